import type { CleanupRecord, DocumentRecord, ProjectRecord } from '../core/model';
import type { ChunkLabels, ProjectIndex, SearchHit, SearchResult } from '../ports';
import type { Context } from './context';

/**
 * New labels the worker writes to the index (the AWS home). A PATCH of a document's title, url
 * or tags writes its record and answers; rewriting every chunk of the document, and waiting for
 * OpenSearch to show the new version, is the worker's, where a 29-second request could not. Until
 * the worker is done a marker (a cleanup record of kind `labels`) says so: searches then show the
 * record's title and url on the document's hits, and the scheduled sweep queues again a relabel
 * whose message was lost.
 */

const SUFFIX = '#labels';

/** The cleanup target of a document's pending labels (beside, never equal to, its removal's). */
export const labelsTarget = (documentId: string) => `${documentId}${SUFFIX}`;

/** The document whose labels a cleanup record waits for, or null for a removal. */
export function labelsDocument(c: CleanupRecord): string | null {
  return c.kind === 'labels' && c.target.endsWith(SUFFIX) ? c.target.slice(0, -SUFFIX.length) : null;
}

/** Rounds one delivery makes while the labels keep changing under it; the next delivery goes on. */
const MAX_ROUNDS = 3;

function markers(ctx: Context) {
  const { putCleanup, getCleanup, deleteCleanup } = ctx.store;
  if (!putCleanup || !getCleanup || !deleteCleanup || !ctx.jobs) {
    throw new Error('handing relabels to the worker needs a store that keeps cleanups and a job queue');
  }
  return {
    put: putCleanup.bind(ctx.store),
    get: getCleanup.bind(ctx.store),
    remove: deleteCleanup.bind(ctx.store),
    jobs: ctx.jobs,
  };
}

const labelsOf = (doc: DocumentRecord): ChunkLabels => ({
  title: doc.title ?? undefined,
  url: doc.url,
  tags: doc.tags,
});

const sameLabels = (a: DocumentRecord, b: DocumentRecord) =>
  JSON.stringify(labelsOf(a)) === JSON.stringify(labelsOf(b));

/**
 * The request's part of a PATCH where the worker owns index writes: the marker is written before
 * the record (a crash between them leaves a relabel of the values the record holds: no harm) and
 * again after it (a worker that finished meanwhile removed the first), then the job is queued.
 */
export async function patchWithRelabel<T>(
  ctx: Context,
  project: ProjectRecord,
  documentId: string,
  write: () => Promise<T>,
): Promise<T> {
  const { put, jobs } = markers(ctx);
  const marker: CleanupRecord = {
    kind: 'labels',
    project_id: project.id,
    company_id: project.company_id,
    target: labelsTarget(documentId),
    index_placement: project.index_placement,
    requested_at: ctx.iso(),
  };
  await put(marker);
  const written = await write();
  await put(marker);
  await jobs.enqueueJob({ type: 'relabel', project_id: project.id, document_id: documentId });
  return written;
}

/**
 * The worker's part: gives the document's chunks the labels its record holds now, then removes
 * the marker. Idempotent: without a marker (done already) there is nothing to do, and a relabel
 * with the values the chunks hold changes nothing. A document no longer ready (deleted, or taken
 * in again: its new chunks carry its record's labels) is left alone. The record is read again
 * after the marker goes: labels changed meanwhile are written down again and done again, and a
 * content changed meanwhile (a re-ingest racing the rewrite, whose chunks the rewrite may have
 * replaced with the old version's) is processed again from its stored original.
 */
export async function runRelabel(ctx: Context, projectId: string, documentId: string): Promise<number> {
  const { put, get, remove } = markers(ctx);
  const target = labelsTarget(documentId);
  const marker = await get(projectId, target);
  if (!marker) return 0;
  const records = ctx.store.forProject(projectId);
  const index = ctx.index.forProject(projectId, marker.index_placement);
  let doc = await records.getDocument(documentId);
  let changed = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (doc?.status !== 'ready') {
      await remove(projectId, target);
      return changed;
    }
    changed = await index.relabelDocument(doc.id, labelsOf(doc));
    await remove(projectId, target);
    const now = await records.getDocument(documentId);
    if (!now || (now.content_hash === doc.content_hash && sameLabels(now, doc))) return changed;
    if (now.content_hash !== doc.content_hash) {
      await processAgain(ctx, projectId, now, index);
      return changed;
    }
    await put({ ...marker, requested_at: ctx.iso() });
    doc = now;
  }
  throw new Error('the labels kept changing during the relabel; the next delivery carries on');
}

/** A document whose content changed during a relabel: its index entries are made again from it. */
async function processAgain(ctx: Context, projectId: string, doc: DocumentRecord, index: ProjectIndex) {
  ctx.logger.info('content changed during a relabel; processing the document again', { document_id: doc.id });
  if (doc.status === 'failed') {
    await index.deleteDocument(doc.id);
    return;
  }
  if (doc.status === 'ready') {
    await ctx.store
      .forProject(projectId)
      .patchDocuments([{ id: doc.id, content_hash: doc.content_hash, patch: { status: 'queued' } }]);
  }
  await ctx.queue.enqueue(projectId, doc.id);
}

/**
 * A search's hits with the title and url (and tags) of their records, for the documents whose
 * new labels are still on their way to the index; a document's record is read once per search.
 */
export async function showingPendingLabels(
  ctx: Context,
  projectId: string,
  result: SearchResult,
  pending: CleanupRecord[],
): Promise<SearchResult> {
  const relabelling = new Set(pending.map(labelsDocument).filter((id): id is string => id !== null));
  if (relabelling.size === 0) return result;
  const all = [...result.hits, ...(result.denseHits ?? [])];
  const ids = [...new Set(all.map((h) => h.document_id))].filter((id) => relabelling.has(id));
  if (ids.length === 0) return result;
  const records = ctx.store.forProject(projectId);
  const found = await Promise.all(ids.map((id) => records.getDocument(id)));
  const current = new Map(found.filter((d): d is DocumentRecord => d !== null).map((d) => [d.id, d]));
  const relabel = (h: SearchHit): SearchHit => {
    const d = current.get(h.document_id);
    return d ? { ...h, title: d.title, url: d.url, tags: d.tags } : h;
  };
  return {
    ...result,
    hits: result.hits.map(relabel),
    ...(result.denseHits ? { denseHits: result.denseHits.map(relabel) } : {}),
  };
}
