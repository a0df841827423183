import { analyzeChunk, TF_MAX } from './chunk-terms';
import type { ExpansionTerm, QueryTerm, SearchHit, SearchRequest, SearchResult } from './search-types';
import { indexKey } from './text';

/**
 * Pseudo-relevance feedback (RM3): the best chunks of a first search lend their words to the
 * query, and a second search ranks the same matches with those words added. The policy lives
 * here (`feedbackSearch`, driven by the retrieval use case, service/search.ts, or by an index
 * that runs it in one place), so that every index gets it; an index only scores the words it is
 * given (`SearchRequest.expansion`).
 */

export interface FeedbackParams {
  /** feedback chunks: the best of the first search */
  docs: number;
  /** expansion terms; feedback is off when 0 */
  terms: number;
  /** the original query's share of the mixed query, 0..1 */
  originalWeight: number;
  /**
   * only in projects of at least this many chunks: in a small one a word found in one chunk
   * outweighs the query's own words, and feedback drifts
   */
  minChunks: number;
}

/**
 * Chosen with the ranking (core/rank.ts DEFAULT_RANKING) on the dev splits of SciFact and
 * Climate-FEVER (scripts/tune-retrieval.ts), never on their test splits.
 */
export const DEFAULT_FEEDBACK: FeedbackParams = { docs: 5, terms: 10, originalWeight: 0.93, minChunks: 1000 };

/**
 * A chunk's content terms by index key, with their frequency over its fields (each field's count
 * capped as the embedded index stores it), in the order they first occur: what chunk-terms.ts
 * analyzeChunk found when the chunk was written, analysed again from the chunk's own text.
 */
export function chunkTermCounts(chunk: Pick<SearchHit, 'title' | 'section' | 'text'>): Map<string, number> {
  const { keys, tf } = analyzeChunk(chunk.title, chunk.section, chunk.text);
  return new Map(keys.map((key, i) => [key, tf[i].reduce((sum, n) => sum + Math.min(n, TF_MAX), 0)]));
}

/**
 * RM3: a relevance model from the best first-pass chunks (each term's share of a chunk, weighted
 * by the chunk's share of the scores), its strongest `terms` new words mixed with the original
 * query. Returns the expansion words with their weights, on the scale where each original term
 * weighs 1.
 */
export function feedbackTerms(
  original: Set<string>,
  top: { score: number; counts: Map<string, number> }[],
  params: FeedbackParams,
): Map<string, number> {
  const out = new Map<string, number>();
  if (params.terms <= 0 || top.length === 0 || params.originalWeight >= 1) return out;
  const scoreSum = top.reduce((s, t) => s + Math.max(t.score, 0), 0) || 1;
  const model = new Map<string, number>();
  for (const { score, counts } of top) {
    let total = 0;
    for (const n of counts.values()) total += n;
    if (total === 0) continue;
    for (const [key, n] of counts) {
      model.set(key, (model.get(key) ?? 0) + ((Math.max(score, 0) / scoreSum) * n) / total);
    }
  }
  const expansion = [...model]
    .filter(([k]) => !original.has(k))
    .sort((x, y) => y[1] - x[1])
    .slice(0, params.terms);
  const mass = expansion.reduce((s, [, v]) => s + v, 0) || 1;
  // original terms: originalWeight / |Q| each; expansion: (1 − originalWeight) × its share; rescaled by |Q| / originalWeight
  const scale = ((1 - params.originalWeight) / params.originalWeight) * original.size;
  for (const [key, v] of expansion) out.set(key, (scale * v) / mass);
  return out;
}

/**
 * The hits of a first search (lexical, best first) that feed back: its best `docs`, or none when
 * feedback is off or the project has fewer than `minChunks` chunks.
 */
export function feedbackHits(first: { hits: SearchHit[]; chunkCount: number }, params: FeedbackParams): SearchHit[] {
  return params.terms <= 0 || first.chunkCount < params.minChunks ? [] : first.hits.slice(0, params.docs);
}

/**
 * The words a query gains from its feedback hits. `stored` holds, in the same order, the term
 * counts an index kept for them (ProjectIndex.termCounts); a hit without is counted from its text.
 */
export function queryExpansion(
  terms: QueryTerm[],
  hits: SearchHit[],
  params: FeedbackParams,
  stored: (Map<string, number> | null)[] = [],
): ExpansionTerm[] {
  if (hits.length === 0) return [];
  const original = new Set(terms.map((t) => indexKey(t.token)));
  const top = hits.map((h, i) => ({ score: h.score, counts: stored[i] ?? chunkTermCounts(h) }));
  return [...feedbackTerms(original, top, params)].map(([key, weight]) => ({ key, weight }));
}

/** What a search with feedback asks of the index next: a search, or the term counts it stored for chunks. */
export type FeedbackStep = { search: SearchRequest } | { termCounts: string[] };

/**
 * A search with feedback as the steps it asks of an index, one at a time: the caller runs each
 * step (a search, or `ProjectIndex.termCounts` where the index stores counts: `stored`) and hands
 * its answer to `next`, synchronously or not; the generator's return is the result. A first
 * search; where the project is large enough, the words of its best lexical hits join the query,
 * and a second search ranks the chunks the query's own terms match with them. The nearest
 * neighbours, the chunk count and the term counts are the first search's.
 */
export function* feedbackSearch(
  req: SearchRequest,
  params: FeedbackParams,
  stored: boolean,
): Generator<FeedbackStep, SearchResult, SearchResult | (Map<string, number> | null)[]> {
  const first = (yield { search: { ...req, topK: Math.max(req.topK, params.docs) } }) as SearchResult;
  const top = feedbackHits(first, params);
  const counts =
    top.length > 0 && stored ? ((yield { termCounts: top.map((h) => h.id) }) as (Map<string, number> | null)[]) : [];
  const expansion = queryExpansion(req.terms, top, params, counts);
  const hits =
    expansion.length > 0
      ? ((yield { search: { terms: req.terms, expansion, topK: req.topK, filter: req.filter } }) as SearchResult).hits
      : first.hits.slice(0, req.topK);
  return { ...first, hits, ...(first.denseHits ? { denseHits: first.denseHits.slice(0, req.topK) } : {}) };
}
