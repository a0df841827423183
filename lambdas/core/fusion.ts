import type { SearchHit } from './search-types';

/**
 * Merges a lexical and a dense ranking of the same project's chunks. Each list's scores are
 * scaled to 0..1 by its best hit, then combined as (1 - w)·lexical + w·dense; a chunk found by
 * one list only scores 0 on the other. Weighted score fusion rather than reciprocal rank fusion:
 * on the SciFact dev split it kept lexical quality where rank fusion lost a third of it.
 */
export function fuseRankings(lexical: SearchHit[], dense: SearchHit[], denseWeight: number, topK: number): SearchHit[] {
  if (dense.length === 0) return lexical.slice(0, topK);
  if (lexical.length === 0) return dense.slice(0, topK);
  const scale = (hits: SearchHit[]) => {
    const max = Math.max(...hits.map((h) => h.score));
    const min = Math.min(0, ...hits.map((h) => h.score));
    return new Map(hits.map((h) => [h.id, max > min ? (h.score - min) / (max - min) : 1]));
  };
  const lex = scale(lexical);
  const den = scale(dense);
  const byId = new Map<string, SearchHit>();
  for (const h of [...lexical, ...dense]) if (!byId.has(h.id)) byId.set(h.id, h);
  return [...byId.values()]
    .map((h) => ({ ...h, score: (1 - denseWeight) * (lex.get(h.id) ?? 0) + denseWeight * (den.get(h.id) ?? 0) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, topK);
}
