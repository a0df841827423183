import type { DocumentRecord, DocumentStatus, ProjectRecord } from '../../core/model';
import { OutOfTime } from '../../core/time-budget';
import type { Context } from '../context';
import { addUsage } from '../limits';
import { indexOf } from '../search';
import type { Webhooks } from '../webhooks';
import { dropCheckpoints } from './embed';
import { failureMessage, textKey } from './model';
import { type Prepared, readChunks } from './prepare';

type Readable = Extract<Prepared, { chunks: unknown }>;
type Outcome = { doc: DocumentRecord; status: DocumentStatus; patch: Partial<DocumentRecord> };

/**
 * Step 3 of ingestion: stores each prepared document's text (or its marker) and swaps its chunks into the index
 * (the batch in one step where the index can), removes the chunks of the ones that failed, then
 * settles every document `ready` or `failed` in one write, each only while it still holds the
 * content it was prepared from. Usage is counted once for the batch; each settled document's
 * webhook is scheduled. Returns the settled documents.
 */
export async function commit(
  ctx: Context,
  webhooks: Pick<Webhooks, 'documentFinished'>,
  project: ProjectRecord,
  prepared: Prepared[],
): Promise<DocumentRecord[]> {
  if (prepared.length === 0) return [];
  const projectId = project.id;
  const records = ctx.store.forProject(projectId);
  const blobs = ctx.blobs.forProject(projectId);
  const index = indexOf(ctx, project);
  const outcomes: Outcome[] = [];
  const fail = (doc: DocumentRecord, e: unknown) =>
    outcomes.push({ doc, status: 'failed', patch: { error: failureMessage(e), chunks: 0 } });

  const readable: Readable[] = [];
  for (const p of prepared) {
    if ('chunks' in p) readable.push(p);
    else fail(p.doc, p.error);
  }
  const stored = await Promise.allSettled(
    readable.map((p) => blobs.put(textKey(p.doc.id), p.text.bytes, p.text.contentType)),
  );
  const toIndex = readable.filter((p, i) => {
    const s = stored[i];
    if (s.status === 'rejected') fail(p.doc, s.reason);
    return s.status === 'fulfilled';
  });
  // one document alone is replaced on its own: a batch write (the embedded index's write thread)
  // only pays where several documents share a commit
  const errors =
    toIndex.length === 1
      ? [
          await index.replaceDocument(toIndex[0].doc.id, toIndex[0].chunks).then(
            () => null,
            (e: unknown) => e,
          ),
        ]
      : await index.replaceDocuments(toIndex.map((p) => ({ documentId: p.doc.id, chunks: p.chunks })));
  // the index could not be written before the invocation's end: nothing is settled, the documents
  // stay `processing`, and the next delivery writes them again from the embeddings kept
  const cut = errors.find((e) => e instanceof OutOfTime);
  if (cut) throw cut;
  for (const [i, p] of toIndex.entries()) {
    if (errors[i] != null) fail(p.doc, errors[i]);
    else
      outcomes.push({ doc: p.doc, status: 'ready', patch: { title: p.title, chunks: p.chunks.length, error: null } });
  }
  for (const o of outcomes) if (o.status === 'failed') await index.deleteDocument(o.doc.id);

  const finished = ctx.iso();
  const done = await records.patchDocuments(
    outcomes.map((o) => ({
      id: o.doc.id,
      content_hash: o.doc.content_hash,
      patch: { ...o.patch, status: o.status, updated_at: finished },
    })),
  );
  let documents = 0;
  let bytes = 0;
  for (const d of done) {
    if (!d) continue;
    webhooks.documentFinished(projectId, d, project); // scheduled, never awaited
    if (d.status === 'ready') {
      documents++;
      bytes += d.bytes;
    }
  }
  if (documents > 0) await addUsage(ctx, projectId, { documents, bytes });
  for (const [i, d] of done.entries()) if (!d) await standDown(ctx, project, outcomes[i].doc.id);
  // settled (or left to a newer version): the embedding steps kept for this run are done with
  for (const p of readable) await dropCheckpoints(ctx, projectId, p.checkpoints);
  return done.filter((d) => d !== null);
}

/**
 * Puts right what this run wrote for a document deleted or replaced while it was written (its
 * record, read once more, says which). Deleted: its text and chunks are removed. Replaced by a
 * version still queued: that version's own run writes over them. Replaced by one already being
 * written or settled, which this run may have written over: that version's text and chunks are
 * written again from its original (none for a failed one).
 */
async function standDown(ctx: Context, project: ProjectRecord, id: string) {
  const current = await ctx.store.forProject(project.id).getDocument(id);
  const blobs = ctx.blobs.forProject(project.id);
  const index = indexOf(ctx, project);
  if (!current || current.status === 'failed') {
    await index.deleteDocument(id);
    if (!current) await blobs.delete(textKey(id));
  } else if (current.status !== 'queued') {
    const again = await readChunks(ctx, project.id, current);
    await blobs.put(textKey(id), again.text.bytes, again.text.contentType);
    await index.replaceDocument(id, again.chunks);
    await dropCheckpoints(ctx, project.id, again.checkpoints);
  }
}
