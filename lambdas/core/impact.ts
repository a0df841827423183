/**
 * Candidate generation over impact-ordered lists: per query term, the chunks that hold it with the
 * term's saturated weighted frequency (its BM25F contribution before IDF, rank.ts termImpacts),
 * highest first. The candidates are the k chunks with the highest sum of IDF × impact over the
 * query's terms — exactly the BM25F score of the query's own terms — found term at a time, the
 * terms with the highest possible contribution first. Once k chunks have been seen, a chunk not yet
 * seen enters only if what it can still reach (its contribution here plus the most every later term
 * can add) beats the k-th best sum so far; the lists being ordered by impact, the first chunk that
 * cannot ends the search for new ones in that list, and the rest of the list only adds to the sums
 * of chunks already held.
 */

/** One term's chunks (rowids) and impacts, highest impact first (ties: lower rowid first). */
export interface ImpactList {
  chunks: Int32Array;
  impacts: Float32Array;
  /** the highest rowid in the list */
  maxChunk: number;
}

/** An impact-ordered list from unordered chunks and their impacts. */
export function impactList(chunks: number[], impacts: number[]): ImpactList {
  const order = Array.from(chunks.keys()).sort((x, y) => impacts[y] - impacts[x] || chunks[x] - chunks[y]);
  const out: ImpactList = {
    chunks: new Int32Array(order.length),
    impacts: new Float32Array(order.length),
    maxChunk: 0,
  };
  order.forEach((at, i) => {
    out.chunks[i] = chunks[at];
    out.impacts[i] = impacts[at];
    if (chunks[at] > out.maxChunk) out.maxChunk = chunks[at];
  });
  return out;
}

/**
 * `list` brought forward: its entries of chunks up to `floor` (rowid) kept as they are, and the
 * chunks above it as `above` now has them (an impact-ordered list of those chunks only), merged
 * in impact order (ties: lower rowid first). `list` itself when it has nothing above the floor
 * and nothing is added.
 */
export function extendImpactList(list: ImpactList, floor: number, above: ImpactList): ImpactList {
  if (above.chunks.length === 0 && list.maxChunk <= floor) return list; // nothing changed: no copy
  let keep = 0;
  for (let i = 0; i < list.chunks.length; i++) if (list.chunks[i] <= floor) keep++;
  const n = keep + above.chunks.length;
  const out: ImpactList = { chunks: new Int32Array(n), impacts: new Float32Array(n), maxChunk: 0 };
  let i = 0;
  let j = 0;
  for (let o = 0; o < n; o++) {
    while (i < list.chunks.length && list.chunks[i] > floor) i++;
    const fromList =
      j >= above.chunks.length ||
      (i < list.chunks.length &&
        (list.impacts[i] > above.impacts[j] ||
          (list.impacts[i] === above.impacts[j] && list.chunks[i] < above.chunks[j])));
    const from = fromList ? list : above;
    const at = fromList ? i++ : j++;
    out.chunks[o] = from.chunks[at];
    out.impacts[o] = from.impacts[at];
    if (out.chunks[o] > out.maxChunk) out.maxChunk = out.chunks[o];
  }
  return out;
}

/**
 * Work space of the sums, indexed by rowid and reused from one search to the next (a generation
 * stamp tells this search's sums from earlier ones, so nothing is cleared), and of the chunks seen.
 */
export class ImpactScratch {
  sums = new Float64Array(0);
  stamps = new Uint32Array(0);
  stamp = 0;
  seen = new Int32Array(1024);
  values = new Float64Array(1024);

  /** Space for rowids up to `max`, and a new stamp. */
  begin(max: number): number {
    if (this.sums.length <= max) {
      const size = Math.max(max + 1, Math.ceil(this.sums.length * 1.5));
      this.sums = new Float64Array(size);
      this.stamps = new Uint32Array(size);
      this.stamp = 0;
    }
    this.stamp = this.stamp === 0xffffffff ? 1 : this.stamp + 1;
    if (this.stamp === 1) this.stamps.fill(0);
    return this.stamp;
  }

  /** Room for `n` chunks seen (their rowids kept). */
  room(n: number): void {
    if (this.seen.length >= n) return;
    const grown = new Int32Array(Math.max(n, this.seen.length * 2));
    grown.set(this.seen);
    this.seen = grown;
    this.values = new Float64Array(grown.length);
  }
}

/** The k-th largest of the first `n` of `values` (1 ≤ k ≤ n); reorders them. */
function kthLargest(values: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] > pivot) i++;
      while (values[j] < pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return values[target];
  }
  return values[target];
}

/**
 * The (at most) `k` chunks with the highest sum of weight × impact over `terms`, best first (ties:
 * lower rowid first), with their sums. A chunk that holds none of the terms is never returned.
 */
export function topByImpact(
  terms: { list: ImpactList; weight: number }[],
  k: number,
  scratch: ImpactScratch = new ImpactScratch(),
): { chunk: number; score: number }[] {
  const live = terms
    .filter((t) => t.weight > 0 && t.list.chunks.length > 0)
    .map((t) => ({ ...t, bound: t.weight * t.list.impacts[0] }))
    .sort((x, y) => y.bound - x.bound);
  if (live.length === 0 || k <= 0) return [];
  const stamp = scratch.begin(Math.max(...live.map((t) => t.list.maxChunk)));
  const { sums, stamps } = scratch;
  // what the terms after each one can add at most
  const after = new Float64Array(live.length);
  for (let i = live.length - 2; i >= 0; i--) after[i] = after[i + 1] + live[i + 1].bound;
  let seen = 0;
  /** the k-th best sum so far: a lower bound of the k-th best final sum, once k chunks are seen */
  const kth = (): number => {
    const { values, seen: chunks } = scratch;
    for (let s = 0; s < seen; s++) values[s] = sums[chunks[s]];
    return kthLargest(values, seen, k);
  };
  let threshold = 0;
  let check = k; // when to raise the threshold next: at k chunks seen, then at every doubling
  for (let i = 0; i < live.length; i++) {
    const { list, weight, bound } = live[i];
    const { chunks, impacts } = list;
    const rest = after[i];
    let j = 0;
    // chunks not seen yet may still enter
    if (seen < k || bound + rest > threshold) {
      scratch.room(seen + chunks.length);
      const held = scratch.seen;
      for (; j < chunks.length; j++) {
        const c = chunks[j];
        const add = weight * impacts[j];
        if (stamps[c] === stamp) sums[c] += add;
        else if (seen < k || add + rest > threshold) {
          stamps[c] = stamp;
          sums[c] = add;
          held[seen++] = c;
          if (seen >= check) {
            threshold = kth();
            check = seen * 2;
          }
        } else break; // no later chunk of this list can enter either
      }
    }
    // the rest of the list adds only to the chunks held
    for (; j < chunks.length; j++) {
      const c = chunks[j];
      if (stamps[c] === stamp) sums[c] += weight * impacts[j];
    }
    if (seen >= k && i + 1 < live.length && live[i + 1].bound + after[i + 1] > threshold) threshold = kth();
  }
  const floor = seen > k ? kth() : Number.NEGATIVE_INFINITY;
  const best: { chunk: number; score: number }[] = [];
  for (let s = 0; s < seen; s++) {
    const chunk = scratch.seen[s];
    if (sums[chunk] >= floor) best.push({ chunk, score: sums[chunk] });
  }
  return best.sort((x, y) => y.score - x.score || x.chunk - y.chunk).slice(0, k);
}
