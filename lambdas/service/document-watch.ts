import { DocumentFailed } from '../core/errors';
import type { DocumentRecord } from '../core/model';
import type { Context } from './context';
import { publicDocument } from './document-view';
import { readDocuments } from './ingest';

/** How long before the end of a request a watch stops: time to answer. */
const ANSWER_MARGIN_MS = 2000;

/**
 * `?wait=true` where the worker processes documents (AWS): reads the records until every one is
 * settled (`ready` or `failed`) or the budget ends, and returns each document as it last stood
 * (one deleted meanwhile: as it stood before; one replaced meanwhile under its id: its new
 * version, watched in turn). The budget is the smaller of the wait budget and the request's
 * remaining time less a margin, all on the context's clock: the answer never waits past it,
 * however slow the worker.
 */
export async function watchDocuments(
  ctx: Context,
  projectId: string,
  docs: DocumentRecord[],
  remainingMs?: () => number,
): Promise<Map<string, DocumentRecord>> {
  const left = remainingMs ? remainingMs() - ANSWER_MARGIN_MS : Number.POSITIVE_INFINITY;
  const deadline = ctx.now().getTime() + Math.max(0, Math.min(ctx.settings.waitBudgetMs, left));
  const records = ctx.store.forProject(projectId);
  const current = new Map(docs.map((d) => [d.id, d]));
  const settled = (d: DocumentRecord) => d.status === 'ready' || d.status === 'failed';
  const watched = new Set(docs.filter((d) => !settled(d)).map((d) => d.id));
  let pause = ctx.settings.waitPollMs;
  for (;;) {
    const now = ctx.now().getTime();
    if (watched.size === 0 || now >= deadline) return current;
    await ctx.sleep(Math.min(pause, deadline - now));
    pause = Math.min(2000, pause * 2);
    const open = [...watched];
    const read = await readDocuments(records, open);
    open.forEach((id, i) => {
      const doc = read[i];
      if (doc) current.set(id, doc);
      // deleted meanwhile: the caller learns how it last stood
      if (!doc || settled(doc)) watched.delete(id);
    });
  }
}

/** One document's `?wait=true` (AWS): `ready` (201), `failed` (422, thrown), or as it stands once the budget ends (202). */
export async function watchDocument(ctx: Context, projectId: string, doc: DocumentRecord, remainingMs?: () => number) {
  const current = (await watchDocuments(ctx, projectId, [doc], remainingMs)).get(doc.id) ?? doc;
  if (current.status === 'failed') {
    throw new DocumentFailed(current.error ?? 'the document could not be processed', publicDocument(current));
  }
  return { kind: current.status === 'ready' ? ('ready' as const) : ('accepted' as const), document: current };
}
