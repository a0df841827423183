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

/**
 * Counts `n` calls of one batch against the project's per-minute limit, in the batch's order:
 * returns how many of them fit (the first ones), and the `RateLimited` error the others get. The
 * counts are taken side by side; each call gets a distinct count, so the smallest ones are
 * handed to the batch's first calls whatever order the store answered in.
 */
export async function rateSlots(
  ctx: Context,
  project: ProjectRecord,
  kind: 'chat' | 'ingest',
  n: number,
): Promise<{ allowed: number; refusal: RateLimited | null }> {
  const limit = kind === 'chat' ? project.limits.chat_per_minute : project.limits.ingest_per_minute;
  if (!limit || n === 0) return { allowed: n, refusal: null };
  const now = ctx.now();
  const window = now.toISOString().slice(0, 16);
  const records = ctx.store.forProject(project.id);
  const counts = await Promise.all(Array.from({ length: n }, () => records.countInWindow(kind, window)));
  const allowed = counts.filter((c) => c <= limit).length;
  const refusal =
    allowed < n
      ? new RateLimited(`this project allows ${limit} ${kind} requests a minute`, 60 - now.getUTCSeconds())
      : null;
  return { allowed, refusal };
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
