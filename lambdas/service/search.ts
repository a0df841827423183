import { fuseRankings } from '../core/fusion';
import type { ProjectRecord } from '../core/model';
import type { ProjectIndex, QueryTerm, SearchResult } from '../ports';
import type { Context } from './context';
import { addUsage } from './limits';

export interface SearchFilter {
  document_ids?: string[];
  tags?: string[];
}

/** The index of a project, where its placement says it lives. */
export function indexOf(ctx: Context, project: Pick<ProjectRecord, 'id' | 'index_placement'>): ProjectIndex {
  return ctx.index.forProject(project.id, project.index_placement);
}

/**
 * One retrieval for a project: lexical always; with an embedder, also nearest neighbours of
 * the query's embedding, fused into one ranking by the core.
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
  const result = await indexOf(ctx, project).search({ terms, vector, topK, filter });
  if (!result.denseHits) return result;
  return { ...result, hits: fuseRankings(result.hits, result.denseHits, ctx.settings.denseWeight, topK) };
}

/** Embeds chunk texts in batches; returns no vectors on a home without an embedder. */
export async function embedChunks(ctx: Context, projectId: string, texts: string[]): Promise<number[][] | null> {
  if (!ctx.embedder) return null;
  const vectors: number[][] = [];
  let units = 0;
  for (let i = 0; i < texts.length; i += ctx.settings.embedBatchSize) {
    const batch = await ctx.embedder.embed(texts.slice(i, i + ctx.settings.embedBatchSize), 'document');
    vectors.push(...batch.vectors);
    units += batch.units;
  }
  await addUsage(ctx, projectId, { embedding_units: units });
  return vectors;
}
