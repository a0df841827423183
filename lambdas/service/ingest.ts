import { createHash } from 'node:crypto';
import { chunkDocument, type ExtractedDocument } from '../core/chunking';
import { Invalid, OpragError } from '../core/errors';
import { detectContentType, ExtractionError, type SupportedType } from '../core/extract';
import { safeFilename } from '../core/filename';
import { newId } from '../core/ids';
import type { Chunk, DocumentRecord, DocumentStatus, ProjectRecord } from '../core/model';
import { readDocument } from '../core/read-document';
import type { Context } from './context';
import { publicDocument } from './document-view';
import { addUsage, checkQuota } from './limits';
import { embedChunks, indexOf } from './search';
import type { Webhooks } from './webhooks';

export interface DocumentInput {
  bytes: Buffer;
  filename?: string | null;
  content_type?: string | null;
  title?: string | null;
  url?: string | null;
  external_id?: string | null;
  tags?: string[];
  metadata?: Record<string, unknown>;
}

export type IngestMode = 'queue' | 'wait' | 'inline';

export type IngestOutcome =
  | { kind: 'accepted'; document: DocumentRecord }
  | { kind: 'ready'; document: DocumentRecord }
  | { kind: 'unchanged'; document: DocumentRecord };

export const originalKey = (id: string) => `originals/${id}`;
export const textKey = (id: string) => `text/${id}`;

/** The extracted text of a document, as export shows it: headings on their own lines. */
function plainText(doc: ExtractedDocument): string {
  return doc.blocks
    .map((b) => b.text.trim())
    .filter(Boolean)
    .join('\n\n');
}

/** Accepting, processing and re-processing documents: shared by the API, uploads, drops and workers. */
export function makeIngest(ctx: Context, webhooks: Pick<Webhooks, 'documentFinished'>) {
  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  /**
   * Stores a document's bytes and queues it, or leaves it alone when the same external id
   * already holds the same content. Shared by the API, uploads and the drop folder.
   */
  async function accept(project: ProjectRecord, input: DocumentInput, fixedId?: string) {
    if (input.bytes.length === 0) throw Invalid('the document is empty');
    const type = detectContentType(input.bytes, input.content_type, input.filename);
    const hash = sha256(input.bytes);
    const records = ctx.store.forProject(project.id);
    const existing = input.external_id ? await records.findDocumentByExternalId(input.external_id) : null;
    if (existing && existing.content_hash === hash && existing.status !== 'failed') {
      return { kind: 'unchanged' as const, document: existing };
    }
    await checkQuota(ctx, project, existing ? 0 : 1, input.bytes.length - (existing?.bytes ?? 0));
    const now = ctx.iso();
    const doc: DocumentRecord = {
      id: existing?.id ?? fixedId ?? newId('document'),
      title: input.title ?? null,
      url: input.url ?? null,
      filename: safeFilename(input.filename),
      content_type: type,
      external_id: input.external_id ?? null,
      tags: input.tags ?? [],
      metadata: input.metadata ?? {},
      status: 'queued',
      error: null,
      chunks: existing?.chunks ?? 0,
      bytes: input.bytes.length,
      content_hash: hash,
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
    await ctx.blobs.forProject(project.id).put(originalKey(doc.id), input.bytes, type);
    await records.putDocument(doc);
    return { kind: 'accepted' as const, document: doc };
  }

  /** Reads a stored document and cuts it into chunks (embedded, where an embedder is configured). */
  async function prepare(projectId: string, doc: DocumentRecord) {
    const blob = await ctx.blobs.forProject(projectId).get(originalKey(doc.id));
    if (!blob) throw new ExtractionError('the original file is missing');
    const extracted = await readDocument(blob.bytes, doc.content_type as SupportedType);
    const drafts = chunkDocument(extracted);
    if (drafts.length === 0) throw new ExtractionError('the document contains no text');
    const title = doc.title ?? extracted.title ?? doc.filename ?? firstLine(drafts[0].text);
    const chunks: Chunk[] = drafts.map((d) => ({
      id: newId('chunk'),
      document_id: doc.id,
      ordinal: d.ordinal,
      title,
      section: d.section,
      page: d.page,
      text: d.text,
      url: doc.url,
      tags: doc.tags,
    }));
    const vectors = await embedChunks(
      ctx,
      projectId,
      chunks.map((c) => [c.title, c.section, c.text].filter(Boolean).join('\n')),
    );
    if (vectors) {
      chunks.forEach((c, i) => {
        c.vector = vectors[i];
      });
    }
    return { title, chunks, text: Buffer.from(plainText(extracted)) };
  }

  const failureMessage = (e: unknown) =>
    e instanceof ExtractionError || e instanceof OpragError ? e.message : 'the document could not be processed';

  /**
   * The queue's way through many documents of one project at once: what processDocument does for
   * each, with the record writes of the whole batch in one transaction each (marking them
   * `processing`, then `ready` or `failed`) where the store can, and the usage counted once.
   * Each document succeeds or fails on its own: one that cannot be read fails alone.
   */
  async function processDocuments(projectId: string, documentIds: string[]): Promise<(DocumentRecord | null)[]> {
    const records = ctx.store.forProject(projectId);
    if (!records.patchDocuments) {
      const out: (DocumentRecord | null)[] = [];
      for (const id of documentIds) out.push(await processDocument(projectId, id));
      return out;
    }
    const patchDocuments = records.patchDocuments.bind(records);
    const project = await ctx.store.getProject(projectId);
    if (!project) return documentIds.map(() => null);
    const index = indexOf(ctx, project);
    const found = await Promise.all(documentIds.map((id) => records.getDocument(id)));
    const todo = found.filter((d): d is DocumentRecord => d?.status === 'queued' || d?.status === 'processing');
    const started = ctx.iso();
    const marked = await patchDocuments(
      todo.map((d) => ({
        id: d.id,
        content_hash: d.content_hash,
        patch: { status: 'processing', updated_at: started },
      })),
    );
    const docs = marked.filter((d): d is DocumentRecord => d !== null);

    type Outcome = { doc: DocumentRecord; status: DocumentStatus; patch: Partial<DocumentRecord> };
    const outcomes: Outcome[] = [];
    const prepared = await Promise.all(
      docs.map((doc) =>
        prepare(projectId, doc).then(
          (p) => ({ doc, ...p }),
          (e: unknown) => {
            outcomes.push({ doc, status: 'failed', patch: { error: failureMessage(e), chunks: 0 } });
            return null;
          },
        ),
      ),
    );
    // documents replaced or deleted while they were read are left to their newer state
    const ready = prepared.filter((p) => p !== null);
    const current = await Promise.all(ready.map((p) => records.getDocument(p.doc.id)));
    const live = ready.filter((p, i) => current[i]?.content_hash === p.doc.content_hash);
    const blobs = ctx.blobs.forProject(projectId);
    const stored = await Promise.allSettled(live.map((p) => blobs.put(textKey(p.doc.id), p.text, 'text/plain')));
    const toIndex = live.filter((p, i) => {
      const s = stored[i];
      if (s.status === 'fulfilled') return true;
      outcomes.push({ doc: p.doc, status: 'failed', patch: { error: failureMessage(s.reason), chunks: 0 } });
      return false;
    });
    const replace = (p: (typeof toIndex)[number]) =>
      index.replaceDocument(p.doc.id, p.chunks).then(
        () => null,
        (e) => e,
      );
    const errors = index.replaceDocuments
      ? await index.replaceDocuments(toIndex.map((p) => ({ documentId: p.doc.id, chunks: p.chunks })))
      : await Promise.all(toIndex.map(replace));
    for (const [i, p] of toIndex.entries()) {
      outcomes.push(
        errors[i] == null
          ? { doc: p.doc, status: 'ready', patch: { title: p.title, chunks: p.chunks.length, error: null } }
          : { doc: p.doc, status: 'failed', patch: { error: failureMessage(errors[i]), chunks: 0 } },
      );
    }
    for (const o of outcomes) if (o.status === 'failed') await index.deleteDocument(o.doc.id);

    const finished = ctx.iso();
    const done = await patchDocuments(
      outcomes.map((o) => ({
        id: o.doc.id,
        content_hash: o.doc.content_hash,
        patch: { ...o.patch, status: o.status, updated_at: finished },
      })),
    );
    let documents = 0;
    let bytes = 0;
    for (const [i, d] of done.entries()) {
      const o = outcomes[i];
      if (!d) {
        // deleted while indexing: leave no orphans (a replaced one keeps its chunks until its turn)
        if (o.status === 'ready' && !(await records.getDocument(o.doc.id))) await index.deleteDocument(o.doc.id);
        continue;
      }
      webhooks.documentFinished(projectId, d); // scheduled, never awaited
      if (d.status === 'ready') {
        documents++;
        bytes += d.bytes;
      }
    }
    if (documents > 0) await addUsage(ctx, projectId, { documents, bytes });
    const byId = new Map(done.filter((d) => d !== null).map((d) => [d.id, d]));
    return documentIds.map((id) => byId.get(id) ?? null);
  }

  /**
   * Extracts, chunks and indexes a queued document, then flips it to `ready` — or to `failed`
   * with a readable reason. The index swap is one atomic step; if the document was replaced or
   * deleted meanwhile, this run stands down and leaves the newer state alone.
   */
  async function processDocument(projectId: string, documentId: string): Promise<DocumentRecord | null> {
    const records = ctx.store.forProject(projectId);
    const project = await ctx.store.getProject(projectId);
    if (!project) return null;
    const index = indexOf(ctx, project);
    const doc = await records.getDocument(documentId);
    if (!doc || (doc.status !== 'queued' && doc.status !== 'processing')) return doc;
    await records.putDocument({ ...doc, status: 'processing', updated_at: ctx.iso() });
    const finish = async (status: DocumentStatus, patch: Partial<DocumentRecord>) => {
      const current = await records.getDocument(documentId);
      if (!current || current.content_hash !== doc.content_hash) return current;
      const done = { ...current, ...patch, status, updated_at: ctx.iso() };
      await records.putDocument(done);
      webhooks.documentFinished(projectId, done); // scheduled, never awaited: it cannot slow or fail this
      return done;
    };
    try {
      const { title, chunks, text } = await prepare(projectId, doc);
      const current = await records.getDocument(documentId);
      if (!current || current.content_hash !== doc.content_hash) return current;
      await ctx.blobs.forProject(projectId).put(textKey(doc.id), text, 'text/plain');
      await index.replaceDocument(doc.id, chunks);
      const done = await finish('ready', { title, chunks: chunks.length, error: null });
      if (!done)
        await index.deleteDocument(doc.id); // deleted while indexing: leave no orphans
      else await addUsage(ctx, projectId, { documents: 1, bytes: doc.bytes });
      return done;
    } catch (e) {
      await index.deleteDocument(doc.id);
      return finish('failed', { error: failureMessage(e), chunks: 0 });
    }
  }

  /**
   * `queue`: hand processing to the ingest queue and answer at once; `wait`: process now and
   * fail the request (422) if the document fails; `inline`: process now and report the outcome
   * in the document (workers, which have no caller to fail).
   */
  async function ingest(project: ProjectRecord, input: DocumentInput, mode: IngestMode, fixedId?: string) {
    const accepted = await accept(project, input, fixedId);
    if (accepted.kind === 'unchanged') return accepted;
    if (mode === 'queue') {
      await ctx.queue.enqueue(project.id, accepted.document.id);
      return accepted;
    }
    const done = (await processDocument(project.id, accepted.document.id)) ?? accepted.document;
    if (done.status === 'failed' && mode === 'wait') {
      throw new OpragError('invalid_request', done.error ?? 'the document could not be processed', {
        status: 422,
        body: { document: publicDocument(done) },
      });
    }
    return { kind: done.status === 'ready' ? ('ready' as const) : ('accepted' as const), document: done };
  }

  /** A file that arrived without a caller to answer (drop folder, S3 drop): unreadable types become failed documents. */
  async function ingestUnattended(project: ProjectRecord, input: DocumentInput, mode: IngestMode, fixedId?: string) {
    try {
      return await ingest(project, input, mode, fixedId);
    } catch (e) {
      // a file with a name to keep it under (its drop path, or the id its upload URL promised)
      // becomes a failed document with the reason; one without is only refused
      if (!(e instanceof OpragError) || e.type !== 'unsupported_media_type' || (!input.external_id && !fixedId))
        throw e;
      const existing = input.external_id
        ? await ctx.store.forProject(project.id).findDocumentByExternalId(input.external_id)
        : null;
      const now = ctx.iso();
      const failed: DocumentRecord = {
        id: existing?.id ?? fixedId ?? newId('document'),
        title: input.title ?? null,
        url: input.url ?? null,
        filename: safeFilename(input.filename),
        content_type: input.content_type ?? 'application/octet-stream',
        external_id: input.external_id ?? null,
        tags: input.tags ?? [],
        metadata: input.metadata ?? {},
        status: 'failed',
        error: e.message,
        chunks: 0,
        bytes: input.bytes.length,
        content_hash: createHash('sha256').update(input.bytes).digest('hex'),
        created_at: existing?.created_at ?? now,
        updated_at: now,
      };
      await indexOf(ctx, project).deleteDocument(failed.id);
      await ctx.store.forProject(project.id).putDocument(failed);
      webhooks.documentFinished(project.id, failed);
      return { kind: 'accepted' as const, document: failed };
    }
  }

  return { processDocument, processDocuments, ingest, ingestUnattended };
}

export type Ingest = ReturnType<typeof makeIngest>;

function firstLine(text: string): string {
  const line = text.split('\n')[0].trim();
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
