/**
 * Retrieval quality measures over a ranked list of document ids and graded relevance judgements
 * (BEIR qrels: id → grade, grades > 0 relevant). Each returns a value in [0, 1].
 */

export type Judgements = Map<string, number>;

/** nDCG@k with gains = grades and log2 discounts, ideal from the judgements themselves. */
export function ndcgAt(k: number, ranked: string[], relevant: Judgements): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((id, i) => {
    dcg += (relevant.get(id) ?? 0) / Math.log2(i + 2);
  });
  const ideal = [...relevant.values()]
    .filter((g) => g > 0)
    .sort((a, b) => b - a)
    .slice(0, k);
  const idcg = ideal.reduce((s, g, i) => s + g / Math.log2(i + 2), 0);
  return idcg === 0 ? 0 : dcg / idcg;
}

/** The share of relevant documents found in the first k. */
export function recallAt(k: number, ranked: string[], relevant: Judgements): number {
  const wanted = [...relevant].filter(([, g]) => g > 0).map(([id]) => id);
  if (wanted.length === 0) return 0;
  const seen = new Set(ranked.slice(0, k));
  return wanted.filter((id) => seen.has(id)).length / wanted.length;
}

/** 1 / rank of the first relevant document within the first k, else 0. */
export function mrrAt(k: number, ranked: string[], relevant: Judgements): number {
  const i = ranked.slice(0, k).findIndex((id) => (relevant.get(id) ?? 0) > 0);
  return i < 0 ? 0 : 1 / (i + 1);
}

/**
 * Documents in the order a reader meets them in a chunk ranking: each document at the rank of
 * its best chunk (max aggregation), duplicates dropped.
 */
export function documentRanking(chunkDocumentIds: string[]): string[] {
  return [...new Set(chunkDocumentIds)];
}

export function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The p-th percentile (nearest rank) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
