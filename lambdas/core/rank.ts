import { foldCase, indexKey, STOPWORDS, TOKEN } from './text';

/**
 * Lexical ranking of chunks: BM25F over three fields (title, section path, body), computed from
 * what the index stored at write time for each chunk (its field lengths and the term frequencies
 * of its stems, per field), so that a query never re-reads or re-stems a passage's text.
 */

export type FieldName = 'title' | 'section' | 'body';
export const FIELDS: FieldName[] = ['title', 'section', 'body'];

export interface FieldParams {
  /** how much one occurrence here counts against one in the body */
  weight: number;
  /** length normalisation, 0 (none) to 1 (full) */
  b: number;
}

export interface RankingParams {
  /** term-frequency saturation */
  k1: number;
  fields: Record<FieldName, FieldParams>;
  /** how many chunks the candidate search hands to BM25F */
  candidates: number;
  /**
   * From how many chunks a project's candidates are the best by the sum of their query terms'
   * BM25F contributions (impact-ordered lists, see impact.ts) rather than FTS5's own bm25: on a
   * large project FTS5 scores every chunk holding any query word. Unset: never.
   */
  impactOrderedFrom?: number;
}

/**
 * Chosen on the dev splits of SciFact and Climate-FEVER (scripts/tune-retrieval.ts), never on
 * their test splits: a setting had to do well on both, not best on one. Pseudo-relevance
 * feedback, tuned with it, is in feedback.ts.
 */
export const DEFAULT_RANKING: RankingParams = {
  k1: 0.9,
  fields: { title: { weight: 2, b: 0.5 }, section: { weight: 1.5, b: 0.5 }, body: { weight: 1, b: 0.75 } },
  candidates: 200,
  impactOrderedFrom: 20_000,
};

/** Whether a token is indexed as a content term: the same rule queries follow. */
export function isContentToken(token: string): boolean {
  return token.length >= 2 && !STOPWORDS.has(token);
}

export interface AnalyzedChunk {
  /** words per field (stopwords included: they are part of the length) */
  lengths: [number, number, number];
  /** the chunk's content terms by index key, each once, in the order they first appear */
  keys: string[];
  /** term frequency per field of each key of `keys`, in the same order: [title, section, body] */
  tf: [number, number, number][];
  /** the two hashes of each key of `keys`, in the same order (spares encodeTerms a look-up per key) */
  hashes: number[];
}

/**
 * What a token is indexed as: its key and the key's two hashes (see termHash), one object per key
 * however many tokens share it ('refund', 'refunds'), so that a chunk counts a key in one place:
 * `chunk` is the last chunk that met it, `slot` its place among that chunk's keys.
 */
interface ContentTerm {
  key: string;
  a: number;
  b: number;
  chunk: number;
  slot: number;
}

/** Memoized, like the stems: a corpus repeats its words. Cleared between chunks, never within one. */
const contentTerms = new Map<string, ContentTerm | null>();
const termsByKey = new Map<string, ContentTerm>();
let chunksAnalyzed = 0;

/** A token's content term, or null for a stopword or a one-letter token. */
function contentTermOf(token: string): ContentTerm | null {
  let term = contentTerms.get(token);
  if (term === undefined) {
    term = null;
    if (isContentToken(token)) {
      const key = indexKey(token);
      term = termsByKey.get(key) ?? null;
      if (term === null) {
        const [a, b] = termHash(key);
        term = { key, a, b, chunk: -1, slot: 0 };
        termsByKey.set(key, term);
      }
    }
    contentTerms.set(token, term);
  }
  return term;
}

/** Tokenizes and stems a chunk's fields once, at write time (the tokens of tokenize in text.ts). */
export function analyzeChunk(title: string | null, section: string | null, body: string): AnalyzedChunk {
  if (contentTerms.size >= 200_000) {
    contentTerms.clear();
    termsByKey.clear();
  }
  const chunk = chunksAnalyzed++;
  const lengths: [number, number, number] = [0, 0, 0];
  const keys: string[] = [];
  const tf: [number, number, number][] = [];
  const hashes: number[] = [];
  const fields = [title ?? '', section ?? '', body];
  for (let field = 0; field < 3; field++) {
    const folded = foldCase(fields[field]);
    let words = 0;
    TOKEN.lastIndex = 0;
    for (let m = TOKEN.exec(folded); m !== null; m = TOKEN.exec(folded)) {
      words++;
      const term = contentTermOf(m[1]);
      if (term === null) continue;
      if (term.chunk !== chunk) {
        term.chunk = chunk;
        term.slot = keys.length;
        keys.push(term.key);
        tf.push([0, 0, 0]);
        hashes.push(term.a, term.b);
      }
      tf[term.slot][field]++;
    }
    lengths[field] = words;
  }
  return { lengths, keys, tf, hashes };
}

const hashes = new Map<string, [number, number]>();

/**
 * Two independent 32-bit FNV-1a hashes of a key: 64 bits, so that two terms practically never
 * share one. Memoized, like the stems.
 */
export function termHash(key: string): [number, number] {
  let h = hashes.get(key);
  if (h) return h;
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193 + 2 * i + 1) >>> 0;
  }
  h = [a, b >>> 0];
  if (hashes.size >= 200_000) hashes.clear();
  hashes.set(key, h);
  return h;
}

/** The largest term frequency a field stores (10 bits). */
export const TF_MAX = 1023;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The stored uint32 little-endian words of a chunk's terms, as an array (copied only when it must be). */
function wordsOf(buf: Buffer): Uint32Array {
  const n = Math.floor(buf.length / 4);
  if (LITTLE_ENDIAN && buf.byteOffset % 4 === 0) return new Uint32Array(buf.buffer, buf.byteOffset, n);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = buf.readUInt32LE(i * 4);
  return out;
}

/**
 * A chunk's term statistics as stored: uint32 little-endian words, then for each content term
 * [hash a, hash b, tf title | tf section << 10 | tf body << 20].
 */
export function encodeTerms(analyzed: AnalyzedChunk): Buffer {
  const { tf, hashes } = analyzed;
  const words = new Uint32Array(tf.length * 3);
  for (let i = 0, o = 0; i < tf.length; i++, o += 3) {
    const [t, s, b] = tf[i];
    words[o] = hashes[2 * i];
    words[o + 1] = hashes[2 * i + 1];
    words[o + 2] = Math.min(t, TF_MAX) | (Math.min(s, TF_MAX) << 10) | (Math.min(b, TF_MAX) << 20);
  }
  const buf = Buffer.from(words.buffer, words.byteOffset, words.byteLength);
  if (!LITTLE_ENDIAN) buf.swap32();
  return buf;
}

export interface CollectionStats {
  chunks: number;
  /** average words per field */
  avgLength: [number, number, number];
}

/** Inverse document frequency, BM25 style (Lucene's), never negative. */
export function bm25Idf(df: number, n: number): number {
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

/** A query term to score: its index key, how many chunks hold it, its weight in the query. */
export interface WeightedTerm {
  key: string;
  df: number;
  weight: number;
}

/** A candidate chunk: its id, field lengths and encoded terms. */
export interface Candidate {
  chunk: number;
  lengths: [number, number, number];
  terms: Buffer;
}

/** A chunk's stored terms read back: each key (`keys`, space-separated, in the order of `terms`) with its total frequency. */
export function storedTermCounts(terms: Buffer, keys: string): Map<string, number> {
  const split = keys.split(' ');
  const out = new Map<string, number>();
  for (let i = 0, o = 0; o + 12 <= terms.length && i < split.length; i++, o += 12) {
    const packed = terms.readUInt32LE(o + 8);
    out.set(split[i], (packed & TF_MAX) + ((packed >>> 10) & TF_MAX) + ((packed >>> 20) & TF_MAX));
  }
  return out;
}

/**
 * Per candidate holding the term `key`, its saturated weighted term frequency (the BM25F
 * contribution of the term before its IDF and query weight: what `rankCandidates` adds, divided
 * by them); a candidate without the term is left out.
 */
export function termImpacts(
  key: string,
  candidates: Iterable<Candidate>,
  stats: CollectionStats,
  params: RankingParams,
): { chunks: number[]; impacts: number[] } {
  const [w0, w1, w2] = FIELDS.map((f) => params.fields[f].weight);
  const [b0, b1, b2] = FIELDS.map((f) => params.fields[f].b);
  const [a0, a1, a2] = stats.avgLength.map((a) => (a > 0 ? a : 1));
  const { k1 } = params;
  const [qa, qb] = termHash(key);
  const chunks: number[] = [];
  const impacts: number[] = [];
  for (const c of candidates) {
    const words = wordsOf(c.terms);
    for (let o = 0; o + 3 <= words.length; o += 3) {
      if (words[o] !== qa || words[o + 1] !== qb) continue;
      const packed = words[o + 2];
      const n0 = 1 - b0 + (b0 * c.lengths[0]) / a0;
      const n1 = 1 - b1 + (b1 * c.lengths[1]) / a1;
      const n2 = 1 - b2 + (b2 * c.lengths[2]) / a2;
      const tfn =
        (w0 * (packed & TF_MAX)) / n0 + (w1 * ((packed >>> 10) & TF_MAX)) / n1 + (w2 * ((packed >>> 20) & TF_MAX)) / n2;
      chunks.push(c.chunk);
      impacts.push(tfn / (k1 + tfn));
      break;
    }
  }
  return { chunks, impacts };
}

/** The weight of a query term in `rankCandidates`: its IDF times its weight in the query. */
export function termWeight(t: WeightedTerm, stats: CollectionStats): number {
  return bm25Idf(t.df, Math.max(stats.chunks, t.df)) * t.weight;
}

export interface RankedChunk {
  chunk: number;
  score: number;
}

/** BM25F over the candidates, best first (ties: the earlier chunk first). */
export function rankCandidates(
  query: WeightedTerm[],
  candidates: Candidate[],
  stats: CollectionStats,
  params: RankingParams,
): RankedChunk[] {
  const [w0, w1, w2] = FIELDS.map((f) => params.fields[f].weight);
  const [b0, b1, b2] = FIELDS.map((f) => params.fields[f].b);
  const [a0, a1, a2] = stats.avgLength.map((a) => (a > 0 ? a : 1));
  const { k1 } = params;
  // the query's hashes and weights (idf × weight), with a 1,024-bit filter on the first hash:
  // most of a chunk's terms are not in the query and fail the filter at once
  const n = query.length;
  const qa = new Uint32Array(n);
  const qb = new Uint32Array(n);
  const qw = new Float64Array(n);
  const filter = new Uint8Array(1024);
  query.forEach((t, i) => {
    [qa[i], qb[i]] = termHash(t.key);
    qw[i] = termWeight(t, stats);
    filter[qa[i] & 1023] = 1;
  });
  const ranked: RankedChunk[] = [];
  for (const c of candidates) {
    const n0 = 1 - b0 + (b0 * c.lengths[0]) / a0;
    const n1 = 1 - b1 + (b1 * c.lengths[1]) / a1;
    const n2 = 1 - b2 + (b2 * c.lengths[2]) / a2;
    const words = wordsOf(c.terms);
    let score = 0;
    for (let o = 0; o + 3 <= words.length; o += 3) {
      const ha = words[o];
      if (filter[ha & 1023] === 0) continue;
      for (let i = 0; i < n; i++) {
        if (qa[i] !== ha || qb[i] !== words[o + 1]) continue;
        const packed = words[o + 2];
        const t0 = packed & TF_MAX;
        const t1 = (packed >>> 10) & TF_MAX;
        const t2 = (packed >>> 20) & TF_MAX;
        const tfn = (w0 * t0) / n0 + (w1 * t1) / n1 + (w2 * t2) / n2;
        score += (qw[i] * tfn) / (k1 + tfn);
      }
    }
    ranked.push({ chunk: c.chunk, score });
  }
  ranked.sort((x, y) => y.score - x.score || x.chunk - y.chunk);
  return ranked;
}
