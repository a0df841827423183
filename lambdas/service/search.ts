import { DEFAULT_FEEDBACK, type FeedbackParams, feedbackHits, queryExpansion } from '../core/feedback';
import { fuseRankings } from '../core/fusion';
import type { ProjectRecord } from '../core/model';
import type { ProjectIndex, QueryTerm, SearchRequest, SearchResult } from '../ports';
import { showingPendingWork } from './cleanup';
import type { Context } from './context';
import { addUsage } from './limits';

export interface SearchFilter {
  document_ids?: string[];
  tags?: string[];
}

/** The index of a project, where its placement says it lives. */
export function indexOf(ctx: Context, project: Pick<ProjectRecord, 'id' | 'index_placement'>): ProjectIndex {
  return showingPendingWork(ctx, project.id, ctx.index.forProject(project.id, project.index_placement));
}

/**
 * A search with pseudo-relevance feedback, on any index: a first search; where the project is
 * large enough, the words of its best lexical hits (core/feedback.ts) join the query, and a
 * second search ranks the chunks the query's own terms match with them. The nearest neighbours,
 * the chunk count and the term counts are the first search's.
 */
export async function searchWithFeedback(
  index: ProjectIndex,
  req: SearchRequest,
  feedback: FeedbackParams = DEFAULT_FEEDBACK,
): Promise<SearchResult> {
  const first = await index.search({ ...req, topK: Math.max(req.topK, feedback.docs) });
  const top = feedbackHits(first, feedback);
  const stored = top.length > 0 && index.termCounts ? await index.termCounts(top.map((h) => h.id)) : [];
  const expansion = queryExpansion(req.terms, top, feedback, stored);
  const hits =
    expansion.length > 0
      ? (await index.search({ terms: req.terms, expansion, topK: req.topK, filter: req.filter })).hits
      : first.hits.slice(0, req.topK);
  return { ...first, hits, ...(first.denseHits ? { denseHits: first.denseHits.slice(0, req.topK) } : {}) };
}

/**
 * One retrieval for a project: lexical always, with feedback; with an embedder, also nearest
 * neighbours of the query's embedding, fused into one ranking by the core.
 */
export async function searchProject(
  ctx: Context,
  project: ProjectRecord,
  query: string,
  terms: QueryTerm[],
  topK: number,
  filter?: SearchFilter,
): Promise<SearchResult> {
  let vector: number[] | undefined;
  if (ctx.embedder && query.trim()) {
    const embedded = await ctx.embedder.embed([query], 'query');
    vector = embedded.vectors[0];
    await addUsage(ctx, project.id, { embedding_units: embedded.units });
  }
  const result = await searchWithFeedback(indexOf(ctx, project), { terms, vector, topK, filter });
  if (!result.denseHits) return result;
  return { ...result, hits: fuseRankings(result.hits, result.denseHits, ctx.settings.denseWeight, topK) };
}
