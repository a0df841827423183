import type { DocumentRecord, DocumentStatus, ProjectRecord } from '../../core/model';
import type { Context } from '../context';
import { addUsage } from '../limits';
import { indexOf } from '../search';
import type { Webhooks } from '../webhooks';
import { failureMessage, textKey } from './model';
import type { Prepared } from './prepare';

type Readable = Extract<Prepared, { chunks: unknown }>;
type Outcome = { doc: DocumentRecord; status: DocumentStatus; patch: Partial<DocumentRecord> };

/**
 * Step 3 of ingestion: stores each prepared document's text and swaps its chunks into the index
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
  const stored = await Promise.allSettled(readable.map((p) => blobs.put(textKey(p.doc.id), p.text, 'text/plain')));
  const toIndex = readable.filter((p, i) => {
    const s = stored[i];
    if (s.status === 'rejected') fail(p.doc, s.reason);
    return s.status === 'fulfilled';
  });
  // one document alone is replaced on its own: a batch write only pays where several share a commit
  // (the embedded index commits a batch on its write thread, which searches can interleave with)
  const errors =
    toIndex.length === 1
      ? [
          await index.replaceDocument(toIndex[0].doc.id, toIndex[0].chunks).then(
            () => null,
            (e: unknown) => e,
          ),
        ]
      : await index.replaceDocuments(toIndex.map((p) => ({ documentId: p.doc.id, chunks: p.chunks })));
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
  for (const [i, d] of done.entries()) {
    if (!d) {
      // replaced meanwhile: the newer version's own run writes its chunks and text; deleted
      // meanwhile: what this run wrote is removed, so nothing is left behind
      const id = outcomes[i].doc.id;
      if (outcomes[i].status === 'ready' && !(await records.getDocument(id))) {
        await index.deleteDocument(id);
        await blobs.delete(textKey(id));
      }
      continue;
    }
    webhooks.documentFinished(projectId, d, project); // scheduled, never awaited
    if (d.status === 'ready') {
      documents++;
      bytes += d.bytes;
    }
  }
  if (documents > 0) await addUsage(ctx, projectId, { documents, bytes });
  return done.filter((d) => d !== null);
}
