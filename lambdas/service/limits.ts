import { Conflict, RateLimited } from '../core/errors';
import type { ProjectRecord, UsageCounters } from '../core/model';
import type { Context } from './context';

export const today = (ctx: Context) => ctx.iso().slice(0, 10);

/** Counts one call against the project's per-minute limit; 429 with Retry-After past it. */
export async function checkRate(ctx: Context, project: ProjectRecord, kind: 'chat' | 'ingest') {
  const { refusal } = await rateSlots(ctx, project, kind, 1);
  if (refusal) throw refusal;
}

/**
 * Counts `n` calls of one batch against the project's per-minute limit in one write, in the
 * batch's order: returns how many of them fit (the first ones), and the `RateLimited` error the
 * others get. As with single calls, a refused call counts too.
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
  const total = await ctx.store.forProject(project.id).countInWindow(kind, window, n);
  // the batch's calls hold the counts total - n + 1 .. total
  const allowed = Math.max(0, Math.min(n, limit - (total - n)));
  const refusal =
    allowed < n
      ? new RateLimited(`this project allows ${limit} ${kind} requests a minute`, 60 - now.getUTCSeconds())
      : null;
  return { allowed, refusal };
}

/**
 * The refusal a project's document quotas give a change of `addDocuments` documents and
 * `addBytes` bytes over `totals`, or null when it fits. One rule for a single document and for
 * each item of a batch, which carries its totals from item to item.
 */
export function quotaRefusal(
  limits: Pick<ProjectRecord['limits'], 'max_documents' | 'max_bytes'>,
  totals: { documents: number; bytes: number },
  addDocuments: number,
  addBytes: number,
): Conflict | null {
  const { max_documents, max_bytes } = limits;
  if (max_documents && totals.documents + addDocuments > max_documents) {
    return new Conflict(`the project holds its maximum of ${max_documents} documents`);
  }
  if (max_bytes && totals.bytes + addBytes > max_bytes) {
    return new Conflict(`the document would take the project past its quota of ${max_bytes} bytes`);
  }
  return null;
}

/** Refuses (409) a document that would take the project past its document or byte quota. */
export async function checkQuota(ctx: Context, project: ProjectRecord, addDocuments: number, addBytes: number) {
  const { max_documents, max_bytes } = project.limits;
  if (!max_documents && !max_bytes) return;
  const totals = await ctx.store.forProject(project.id).documentTotals();
  const refusal = quotaRefusal(project.limits, totals, addDocuments, addBytes);
  if (refusal) throw refusal;
}

export async function addUsage(ctx: Context, projectId: string, delta: Partial<UsageCounters>) {
  await ctx.store.forProject(projectId).addUsage(today(ctx), delta);
}
