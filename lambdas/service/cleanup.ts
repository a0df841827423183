import { newId } from '../core/ids';
import type { CleanupRecord, DocumentRecord, ProjectRecord } from '../core/model';
import type { ProjectIndex, SearchResult } from '../ports';
import type { Context } from './context';
import { originalKey, textKey } from './ingest/model';
import { labelsDocument, showingPendingLabels } from './relabel';

/**
 * Removals the worker finishes (the AWS home). A request that deletes a document or purges a
 * project writes down the work (a cleanup record), hides what goes and answers; the worker
 * removes index entries and files, and waits for OpenSearch to stop showing them, where a
 * 29-second request could not. A scheduled sweep queues again what a lost message left behind.
 */

/** The store's cleanup methods, present on a home whose worker owns index writes. */
function cleanups(ctx: Context) {
  const { putCleanup, listCleanups, getCleanup, deleteCleanup } = ctx.store;
  if (!putCleanup || !listCleanups || !getCleanup || !deleteCleanup || !ctx.jobs) {
    throw new Error('handing removals to the worker needs a store that keeps cleanups and a job queue');
  }
  const store = ctx.store as Required<
    Pick<typeof ctx.store, 'putCleanup' | 'listCleanups' | 'getCleanup' | 'deleteCleanup'>
  >;
  return { store, jobs: ctx.jobs };
}

/**
 * The index a request searches while the worker finishes what requests handed it: hits of
 * documents still waiting for their removal are left out, so a deleted document answers nothing
 * from the moment its DELETE is answered; hits of documents whose new labels the worker has not
 * yet written to the index show the title and url of their records, so an answer cites the
 * values a PATCH set from the moment it is answered.
 */
export function showingPendingWork(ctx: Context, projectId: string, index: ProjectIndex): ProjectIndex {
  const list = ctx.store.listCleanups?.bind(ctx.store);
  if (!ctx.settings.workerOwnsIndexWrites || !list) return index;
  const search = async (req: Parameters<ProjectIndex['search']>[0]): Promise<SearchResult> => {
    const [result, pending] = await Promise.all([index.search(req), list(projectId)]);
    const gone = new Set(pending.filter((c) => c.kind === 'document').map((c) => c.target));
    const kept =
      gone.size === 0
        ? result
        : {
            ...result,
            hits: result.hits.filter((h) => !gone.has(h.document_id)),
            ...(result.denseHits ? { denseHits: result.denseHits.filter((h) => !gone.has(h.document_id)) } : {}),
          };
    return showingPendingLabels(ctx, projectId, kept, pending);
  };
  // a search with feedback goes through the filtered `search`, not round it in one step
  return Object.assign(Object.create(index) as ProjectIndex, { search, searchWithFeedback: undefined });
}

/** Deletes a document's record and hands its chunks and files to the worker; returns its chunks. */
export async function queueDocumentRemoval(ctx: Context, project: ProjectRecord, doc: DocumentRecord) {
  const { store, jobs } = cleanups(ctx);
  // the work is written down first: a crash after it leaves something the sweeper finishes
  await store.putCleanup({
    kind: 'document',
    project_id: project.id,
    company_id: project.company_id,
    target: doc.id,
    index_placement: project.index_placement,
    requested_at: ctx.iso(),
  });
  await ctx.store.forProject(project.id).deleteDocument(doc.id);
  await jobs.enqueueJob({ type: 'cleanup', project_id: project.id, target: doc.id });
  return doc.chunks;
}

/**
 * Marks a project deleting (every key gets 404 for it from now on) and hands its purge to the
 * worker. Answers what it counted: the documents and keys; the chunks and files are counted
 * by the worker as it removes them, in the receipt it writes to the company's audit.
 */
export async function queueProjectPurge(ctx: Context, project: ProjectRecord) {
  const { store, jobs } = cleanups(ctx);
  const [totals, keys] = await Promise.all([
    ctx.store.forProject(project.id).documentTotals(),
    ctx.store.listProjectKeys(project.id),
  ]);
  const now = ctx.iso();
  await store.putCleanup({
    kind: 'project',
    project_id: project.id,
    company_id: project.company_id,
    target: project.id,
    index_placement: project.index_placement,
    requested_at: now,
    counts: { documents: totals.documents, keys: keys.length },
  });
  await ctx.store.updateProject({ ...project, deleting_at: now, updated_at: now });
  await jobs.enqueueJob({ type: 'cleanup', project_id: project.id, target: project.id });
  return {
    deleted: { project_id: project.id, documents: totals.documents, chunks: 0, keys: keys.length, blobs: 0 },
  };
}

/**
 * The worker's part of a removal: for a document its chunks (waiting until searches no longer
 * see them) and its files; for a project its index, files, landed objects, records and keys,
 * then the purge receipt in the company's audit. Done work is forgotten last, so a delivery
 * that fails part-way is finished by the next one. One already finished is nothing to do.
 */
export async function runCleanup(ctx: Context, projectId: string, target: string): Promise<CleanupRecord | null> {
  const { store } = cleanups(ctx);
  const cleanup = await store.getCleanup(projectId, target);
  if (!cleanup) return null;
  const index = ctx.index.forProject(projectId, cleanup.index_placement);
  const blobs = ctx.blobs.forProject(projectId);
  if (cleanup.kind === 'document') {
    await index.deleteDocument(target);
    await blobs.delete(originalKey(target));
    await blobs.delete(textKey(target));
  } else {
    await purgeProject(ctx, cleanup, index);
  }
  await store.deleteCleanup(projectId, target);
  return cleanup;
}

async function purgeProject(ctx: Context, cleanup: CleanupRecord, index: ProjectIndex) {
  const projectId = cleanup.project_id;
  const chunks = await index.drop();
  const landed = (await ctx.blobs.purgeLanded?.(projectId)) ?? 0;
  const blobs = (await ctx.blobs.forProject(projectId).deleteAll()) + landed;
  const purged = await ctx.store.forProject(projectId).purge();
  const receipt = {
    project_id: projectId,
    documents: Math.max(purged.documents, cleanup.counts?.documents ?? 0),
    chunks,
    keys: Math.max(purged.keys, cleanup.counts?.keys ?? 0),
    blobs,
  };
  await ctx.store.appendCompanyAudit(cleanup.company_id, {
    id: newId('request'),
    at: ctx.iso(),
    actor: { type: 'system', key_id: null },
    action: 'projects.purged',
    resource: `/v1/projects/${projectId}`,
    outcome: 'success',
    request_id: newId('request'),
    detail: { deleted: receipt, requested_at: cleanup.requested_at },
  });
}

/**
 * The scheduled sweep: queues again every document queued or processing for longer than
 * `stuckAfterMs` (its message was lost, or its worker was stopped part-way), and every removal
 * or relabel not finished after as long. Returns what it queued.
 */
export async function sweep(ctx: Context) {
  const { store, jobs } = cleanups(ctx);
  const before = new Date(ctx.now().getTime() - ctx.settings.stuckAfterMs).toISOString();
  let documents = 0;
  let removals = 0;
  for (const company of await ctx.store.listCompanies()) {
    let after: string | null = null;
    do {
      const page = await ctx.store.listProjects(company.id, { limit: 100, after });
      for (const project of page.items) {
        if (project.deleting_at) continue;
        const stuck = (await ctx.store.forProject(project.id).listUnfinishedDocuments()).filter(
          (d) => d.updated_at < before,
        );
        for (const d of stuck) await ctx.queue.enqueue(project.id, d.id);
        documents += stuck.length;
      }
      after = page.next_cursor;
    } while (after);
  }
  let relabels = 0;
  for (const c of await store.listCleanups()) {
    if (c.requested_at >= before) continue;
    const labelsOf = labelsDocument(c);
    if (labelsOf) {
      await jobs.enqueueJob({ type: 'relabel', project_id: c.project_id, document_id: labelsOf });
      relabels++;
      continue;
    }
    await jobs.enqueueJob({ type: 'cleanup', project_id: c.project_id, target: c.target });
    removals++;
  }
  return { documents, removals, relabels };
}
