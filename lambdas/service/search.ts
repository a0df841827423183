import { DEFAULT_FEEDBACK, type FeedbackParams, feedbackSearch } from '../core/feedback';
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
 * A search with pseudo-relevance feedback (core/feedback.ts `feedbackSearch`), on any index: in
 * one step where the index runs it itself, else its steps one at a time through `search` and
 * `termCounts`.
 */
export async function searchWithFeedback(
  index: ProjectIndex,
  req: SearchRequest,
  feedback: FeedbackParams = DEFAULT_FEEDBACK,
): Promise<SearchResult> {
  if (index.searchWithFeedback) return index.searchWithFeedback(req, feedback);
  const steps = feedbackSearch(req, feedback, Boolean(index.termCounts));
  for (let step = steps.next(); ; ) {
    if (step.done) return step.value;
    const ask = step.value;
    step = steps.next('search' in ask ? await index.search(ask.search) : await termCountsOf(index, ask.termCounts));
  }
}

function termCountsOf(index: ProjectIndex, chunkIds: string[]) {
  if (!index.termCounts) throw new Error('the index stores no term counts');
  return index.termCounts(chunkIds);
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
