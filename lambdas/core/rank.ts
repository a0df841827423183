import { TF_MAX, termHash, wordsOf } from './chunk-terms';

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
