import { Conflict, RateLimited } from '../core/errors';
import type { ProjectRecord, UsageCounters } from '../core/model';
import type { Context } from './context';

export const today = (ctx: Context) => ctx.iso().slice(0, 10);

/** Counts one call against the project's per-minute limit; 429 with Retry-After past it. */
export async function checkRate(ctx: Context, project: ProjectRecord, kind: 'chat' | 'ingest') {
  const limit = kind === 'chat' ? project.limits.chat_per_minute : project.limits.ingest_per_minute;
  if (!limit) return;
  const now = ctx.now();
  const window = now.toISOString().slice(0, 16);
  const count = await ctx.store.forProject(project.id).countInWindow(kind, window);
  if (count > limit) {
    const retryAfter = 60 - now.getUTCSeconds();
    throw new RateLimited(`this project allows ${limit} ${kind} requests a minute`, retryAfter);
  }
}

/** Refuses (409) a document that would take the project past its document or byte quota. */
export async function checkQuota(ctx: Context, project: ProjectRecord, addDocuments: number, addBytes: number) {
  const { max_documents, max_bytes } = project.limits;
  if (!max_documents && !max_bytes) return;
  const totals = await ctx.store.forProject(project.id).documentTotals();
  if (max_documents && totals.documents + addDocuments > max_documents) {
    throw new Conflict(`the project holds its maximum of ${max_documents} documents`);
  }
  if (max_bytes && totals.bytes + addBytes > max_bytes) {
    throw new Conflict(`the document would take the project past its quota of ${max_bytes} bytes`);
  }
}

export async function addUsage(ctx: Context, projectId: string, delta: Partial<UsageCounters>) {
  await ctx.store.forProject(projectId).addUsage(today(ctx), delta);
}
