import { DocumentFailed, type OpragError, UnsupportedMedia } from '../../core/errors';
import type { DocumentRecord, ProjectRecord } from '../../core/model';
import type { Context } from '../context';
import { publicDocument } from '../document-view';
import type { Webhooks } from '../webhooks';
import { accept, acceptOversized, acceptUnreadable } from './accept';
import { acceptBatch } from './accept-batch';
import { commit } from './commit';
import { type DocumentInput, type IngestMode, readDocuments } from './model';
import { prepare } from './prepare';
import { DocumentRuns } from './runs';

export type { BatchItemOutcome } from './accept-batch';
export type { DocumentInput, IngestMode, IngestOutcome } from './model';
export { originalKey, readDocuments, textKey } from './model';

/**
 * Taking documents in, one pipeline for every way in and both homes: accept (store the bytes,
 * record the document `queued`), prepare (mark it `processing`, read it, cut it into chunks),
 * commit (write text and chunks, settle it `ready` or `failed`). The queue of either home runs
 * prepare and commit through `processDocuments`, a batch of one project's documents at a time.
 */
export function makeIngest(ctx: Context, webhooks: Pick<Webhooks, 'documentFinished'>) {
  // where every run happens in this process, runs of a document never overlap (runs.ts)
  const runs = ctx.settings.runsInOneProcess ? new DocumentRuns() : null;

  /** Prepares and commits documents of one project, as last read; returns the settled ones. */
  async function run(project: ProjectRecord, docs: (DocumentRecord | null)[]) {
    return commit(ctx, webhooks, project, await prepare(ctx, project.id, docs, runs !== null));
  }

  /** `work` once no earlier run holds any of the documents (where runs are kept from overlapping). */
  function holding<T>(projectId: string, documentIds: string[], work: () => Promise<T>): Promise<T> {
    return runs ? runs.exclusive(projectId, documentIds, work) : work();
  }

  /**
   * Processes queued documents of one project (one or many), each read once: every one that is
   * still waiting becomes `ready` or `failed` on its own, one that cannot be read failing alone.
   * Returns each document as this run settled it, or null where it left it alone (unknown, not
   * waiting, or replaced or deleted meanwhile: left to its newer state).
   */
  async function processDocuments(projectId: string, documentIds: string[]): Promise<(DocumentRecord | null)[]> {
    const project = await ctx.store.getProject(projectId);
    if (!project) return documentIds.map(() => null);
    const records = ctx.store.forProject(projectId);
    const ids = [...new Set(documentIds)];
    // read once the documents are this run's: as an earlier run of them left them
    const settled = await holding(projectId, ids, async () => {
      const docs = await readDocuments(records, ids);
      return run(project, docs);
    });
    const byId = new Map(settled.map((d) => [d.id, d]));
    return documentIds.map((id) => byId.get(id) ?? null);
  }

  /**
   * `queue`: hand processing to the ingest queue and answer at once; `wait`: process now and
   * fail the request (422) if the document fails; `inline`: process now and report the outcome
   * in the document (workers, which have no caller to fail).
   */
  async function ingest(project: ProjectRecord, input: DocumentInput, mode: IngestMode, fixedId?: string) {
    const accepted = await accept(ctx, project, input, fixedId);
    if (accepted.kind === 'unchanged') return accepted;
    const { id } = accepted.document;
    if (mode === 'queue') {
      await ctx.queue.enqueue(project.id, id);
      return accepted;
    }
    const [settled] = await holding(project.id, [id], () => run(project, [accepted.document]));
    // left alone: replaced or deleted since it was accepted; report it as it now is
    const done = settled ?? (await ctx.store.forProject(project.id).getDocument(id)) ?? accepted.document;
    if (done.status === 'failed' && mode === 'wait') {
      throw new DocumentFailed(done.error ?? 'the document could not be processed', publicDocument(done));
    }
    return { kind: done.status === 'ready' ? ('ready' as const) : ('accepted' as const), document: done };
  }

  /**
   * A batch of documents of one project (the batch route): accepted item by item, each refused
   * one failing alone. `queue` hands the accepted ones to the ingest queue together; `wait`
   * processes them now, in one run, and reports each as it settled (`ready` or `failed`).
   */
  async function ingestBatch(project: ProjectRecord, items: (DocumentInput | OpragError)[], mode: 'queue' | 'wait') {
    const outcomes = await acceptBatch(ctx, project, items);
    const accepted = outcomes.flatMap((o) => (o.kind === 'accepted' ? [o.document] : []));
    const ids = accepted.map((d) => d.id);
    if (mode === 'wait') {
      if (accepted.length === 0) return outcomes;
      const settled = await holding(project.id, ids, () => run(project, accepted));
      const byId = new Map(settled.map((d) => [d.id, d]));
      // left alone: replaced or deleted since it was accepted; reported as it now is
      const records = ctx.store.forProject(project.id);
      const left = ids.filter((id) => !byId.has(id));
      const now = await readDocuments(records, left);
      left.forEach((id, i) => {
        const doc = now[i];
        if (doc) byId.set(id, doc);
      });
      return outcomes.map((o) =>
        o.kind === 'accepted' ? { ...o, document: byId.get(o.document.id) ?? o.document } : o,
      );
    }
    if (ctx.queue.enqueueMany) await ctx.queue.enqueueMany(project.id, ids);
    else for (const id of ids) await ctx.queue.enqueue(project.id, id);
    return outcomes;
  }

  /** A file that arrived without a caller to answer (drop folder, S3 drop): unreadable types become failed documents. */
  async function ingestUnattended(project: ProjectRecord, input: DocumentInput, mode: IngestMode, fixedId?: string) {
    try {
      return await ingest(project, input, mode, fixedId);
    } catch (e) {
      // a file with a name to keep it under (its drop path, or the id its upload URL promised)
      // becomes a failed document with the reason; one without is only refused
      if (!(e instanceof UnsupportedMedia) || (!input.external_id && !fixedId)) throw e;
      const failed = await acceptUnreadable(ctx, project, input, e.message, fixedId);
      webhooks.documentFinished(project.id, failed, project);
      return { kind: 'accepted' as const, document: failed };
    }
  }

  /**
   * A landed file too large to read, refused from its size alone: a failed document with the
   * reason where it has a name to keep it under (its drop path, or its upload's document id).
   */
  async function refuseOversized(
    project: ProjectRecord,
    input: Omit<DocumentInput, 'bytes'>,
    size: number,
    fixedId?: string,
  ) {
    if (!input.external_id && !fixedId) return null;
    const failed = await acceptOversized(ctx, project, input, size, fixedId);
    webhooks.documentFinished(project.id, failed, project);
    return failed;
  }

  return { processDocuments, ingest, ingestBatch, ingestUnattended, refuseOversized };
}

export type Ingest = ReturnType<typeof makeIngest>;
