import { extendImpactList, ImpactScratch, impactList, topByImpact } from '../../lambdas/core/impact';
import { mulberry32 } from '../helpers/fuzz-model';

/**
 * Candidates from impact-ordered lists (core/impact.ts): the k chunks with the highest weighted
 * sum of impacts, the same as summing every list in full, however early each list is left.
 */

/** Every list summed in full, the k best (ties: lower chunk first). */
function bruteForce(terms: { chunks: number[]; impacts: number[]; weight: number }[], k: number) {
  const sums = new Map<number, number>();
  for (const t of terms) {
    t.chunks.forEach((c, i) => {
      sums.set(c, (sums.get(c) ?? 0) + t.weight * Math.fround(t.impacts[i]));
    });
  }
  return [...sums]
    .map(([chunk, score]) => ({ chunk, score }))
    .sort((x, y) => y.score - x.score || x.chunk - y.chunk)
    .slice(0, k);
}

describe('topByImpact', () => {
  it('orders a list by impact, highest first, and knows its highest chunk', () => {
    const list = impactList([5, 9, 2, 7], [0.1, 0.5, 0.5, 0.3]);
    expect([...list.chunks]).toEqual([2, 9, 7, 5]);
    expect(list.maxChunk).toBe(9);
  });

  it('finds the same k best as summing every list in full, on random lists', () => {
    const rng = mulberry32(11);
    const scratch = new ImpactScratch(); // reused, as a reading context reuses it
    for (let round = 0; round < 60; round++) {
      const n = 50 + Math.floor(rng() * 2000);
      const terms = Array.from({ length: 1 + Math.floor(rng() * 6) }, () => {
        // lists of very different lengths: rare terms and common ones
        const df = 1 + Math.floor(rng() ** 3 * n);
        const chunks = [...new Set(Array.from({ length: df }, () => 1 + Math.floor(rng() * n)))];
        return { chunks, impacts: chunks.map(() => rng()), weight: 0.2 + rng() * 5 };
      });
      const k = 1 + Math.floor(rng() * 60);
      const got = topByImpact(
        terms.map((t) => ({ list: impactList(t.chunks, t.impacts), weight: t.weight })),
        k,
        scratch,
      );
      const want = bruteForce(terms, k);
      expect(got.map((c) => c.chunk)).toEqual(want.map((c) => c.chunk));
      got.forEach((c, i) => {
        expect(c.score).toBeCloseTo(want[i].score, 9);
      });
    }
  });

  it('returns nothing for no terms, empty lists or k of 0, and never a chunk without a term', () => {
    expect(topByImpact([], 5)).toEqual([]);
    expect(topByImpact([{ list: impactList([], []), weight: 1 }], 5)).toEqual([]);
    expect(topByImpact([{ list: impactList([1], [0.5]), weight: 1 }], 0)).toEqual([]);
    const top = topByImpact([{ list: impactList([3, 4], [0.5, 0.2]), weight: 1 }], 10);
    expect(top.map((c) => c.chunk)).toEqual([3, 4]);
  });

  it('keeps the best of a rare term beside a long list of a common one', () => {
    // one rare term with high impacts, one common term whose tail can never catch up
    const rare = impactList([1, 2, 3], [0.9, 0.9, 0.9]);
    const common = impactList(
      Array.from({ length: 1000 }, (_, i) => i + 1),
      Array.from({ length: 1000 }, (_, i) => (i < 3 ? 0.5 : 0.01)),
    );
    const top = topByImpact(
      [
        { list: rare, weight: 5 },
        { list: common, weight: 1 },
      ],
      3,
    );
    expect(top.map((c) => c.chunk)).toEqual([1, 2, 3]);
    expect(top[0].score).toBeCloseTo(5 * Math.fround(0.9) + Math.fround(0.5), 6);
  });
});

describe('extendImpactList', () => {
  it('keeps the entries up to the floor, takes the ones above it from the new list, in impact order', () => {
    const rng = mulberry32(5);
    for (let round = 0; round < 40; round++) {
      const n = 1 + Math.floor(rng() * 300);
      const old = [...new Set(Array.from({ length: n }, () => 1 + Math.floor(rng() * 500)))];
      // a few ties, as stored impacts have them
      const oldImpacts = old.map(() => Math.floor(rng() * 20) / 20);
      const floor = Math.floor(rng() * 520);
      const above = [
        ...new Set(Array.from({ length: Math.floor(rng() * 80) }, () => floor + 1 + Math.floor(rng() * 200))),
      ];
      const aboveImpacts = above.map(() => Math.floor(rng() * 20) / 20);
      const got = extendImpactList(impactList(old, oldImpacts), floor, impactList(above, aboveImpacts));
      const kept = old.map((c, i) => [c, oldImpacts[i]] as const).filter(([c]) => c <= floor);
      const want = impactList([...kept.map(([c]) => c), ...above], [...kept.map(([, x]) => x), ...aboveImpacts]);
      expect([...got.chunks]).toEqual([...want.chunks]);
      expect([...got.impacts]).toEqual([...want.impacts]);
      expect(got.maxChunk).toBe(want.maxChunk);
    }
  });

  it('drops every old entry above the floor, even with nothing new above it', () => {
    const got = extendImpactList(impactList([1, 5, 9], [0.2, 0.9, 0.5]), 5, impactList([], []));
    expect([...got.chunks]).toEqual([5, 1]);
    expect(got.maxChunk).toBe(5);
    // nothing above the floor either way: the list as it is
    const same = impactList([1, 5], [0.2, 0.9]);
    expect(extendImpactList(same, 5, impactList([], []))).toBe(same);
    expect(extendImpactList(same, 4, impactList([], [])).chunks).toEqual(new Int32Array([1]));
  });
});
