import { Conflict, NotFound, type OpragError, TooLarge } from '../core/errors';
import { isId } from '../core/ids';
import type { DocumentRecord, DocumentStatus, ProjectRecord } from '../core/model';
import { isDerivedText, textFromStored } from '../core/stored-text';
import type { ProjectAccess } from './access';
import { queueDocumentRemoval } from './cleanup';
import type { Context } from './context';
import { decodeCursor, encodeCursor } from './cursor';
import { publicDocument } from './document-view';
import { watchDocument, watchDocuments } from './document-watch';
import { type DocumentInput, type Ingest, type IngestMode, originalKey, textKey } from './ingest';
import { checkRate } from './limits';
import { patchWithRelabel } from './relabel';
import { indexOf } from './search';

export { publicDocument } from './document-view';

/** What a document's PATCH changes: what citations show and filters match, and its metadata. */
export interface DocumentEdit {
  title?: string;
  url?: string | null;
  tags?: string[];
  metadata?: Record<string, unknown>;
}
export type { BatchItemOutcome, DocumentInput, IngestMode, IngestOutcome } from './ingest';

/**
 * Reading, listing and deleting documents, and taking new ones in through the API or a drop.
 * The API's use cases take the caller's `ProjectAccess`; the system paths (the ingest queue, the
 * drop folder, upload completions) have no caller and take a project id, which they look up.
 */
export function makeDocumentServices(
  ctx: Context,
  { processDocuments, ingest, ingestBatch, ingestUnattended, refuseOversized }: Ingest,
) {
  async function getOwnDocument(projectId: string, documentId: string) {
    const doc = isId('document', documentId) ? await ctx.store.forProject(projectId).getDocument(documentId) : null;
    if (!doc) throw new NotFound('document');
    return doc;
  }

  /** Removes a document: its record first (it stops answering), then its chunks and files. */
  async function removeDocument(project: ProjectRecord, doc: DocumentRecord) {
    await ctx.store.forProject(project.id).deleteDocument(doc.id);
    const chunks = await indexOf(ctx, project).deleteDocument(doc.id);
    const blobs = ctx.blobs.forProject(project.id);
    await blobs.delete(originalKey(doc.id));
    await blobs.delete(textKey(doc.id));
    return chunks;
  }

  return {
    /** System path: the ingest queue's job for 1..n documents of one project. */
    processDocuments,

    /**
     * `remainingMs` is what the request has left (a function's remaining time): where the worker
     * owns index writes (AWS), `wait` hands the document to the worker and watches its record
     * for at most the wait budget, within that time.
     */
    async createDocument(
      { project }: ProjectAccess<'documents.write'>,
      input: DocumentInput,
      wait: boolean,
      remainingMs?: () => number,
    ) {
      await checkRate(ctx, project, 'ingest');
      if (input.bytes.length > ctx.settings.maxBodyBytes) {
        throw new TooLarge(
          `a document in a request body may be at most ${ctx.settings.maxBodyBytes / 2 ** 20} MB; send larger files through uploads`,
        );
      }
      if (!wait || !ctx.settings.workerOwnsIndexWrites) return ingest(project, input, wait ? 'wait' : 'queue');
      const queued = await ingest(project, input, 'queue');
      if (queued.kind === 'unchanged') return queued;
      return watchDocument(ctx, project.id, queued.document, remainingMs);
    },

    /**
     * Many documents in one request, queued: each item is checked as a single POST would be
     * (rate, size, type, quota, external id) and refused alone; the answer keeps the request's
     * order. Together the items may hold at most what one request body may (`maxBodyBytes`).
     */
    async createDocuments(
      { project }: ProjectAccess<'documents.write'>,
      items: (DocumentInput | OpragError)[],
      wait = false,
      remainingMs?: () => number,
    ) {
      const total = items.reduce((sum, i) => sum + ('bytes' in i ? i.bytes.length : 0), 0);
      if (total > ctx.settings.maxBodyBytes) {
        throw new TooLarge(
          `the documents of a batch may hold at most ${ctx.settings.maxBodyBytes / 2 ** 20} MB together; send smaller batches, or larger files through uploads`,
        );
      }
      if (!wait || !ctx.settings.workerOwnsIndexWrites) return ingestBatch(project, items, wait ? 'wait' : 'queue');
      const queued = await ingestBatch(project, items, 'queue');
      const watched = await watchDocuments(
        ctx,
        project.id,
        queued.flatMap((o) => (o.kind === 'accepted' ? [o.document] : [])),
        remainingMs,
      );
      return queued.map((o) =>
        o.kind === 'accepted' ? { ...o, document: watched.get(o.document.id) ?? o.document } : o,
      );
    },

    /**
     * System path, the drop folder (local) or drop prefix (S3): the path is the external id, so
     * dropping a file again replaces it. The project is looked up here, once per file.
     */
    async ingestDropped(projectId: string, input: DocumentInput, mode: IngestMode = 'queue') {
      const project = await ctx.store.getProject(projectId);
      if (!project) throw new NotFound('project');
      return ingestUnattended(project, input, mode);
    },

    /**
     * System path: a dropped file larger than a file may be, refused from its size before it is
     * read; it becomes a failed document under its path, with the reason.
     */
    async refuseDropped(projectId: string, input: Omit<DocumentInput, 'bytes'>, size: number) {
      const project = await ctx.store.getProject(projectId);
      if (!project) throw new NotFound('project');
      return refuseOversized(project, input, size);
    },

    /**
     * System path: a dropped file was removed, so its document goes (API.md 1.1). Only a
     * document that came in through this project's drop folder (its external id is
     * `drop/<project_id>/...`) can be removed this way. Returns whether there was one.
     */
    async removeDropped(projectId: string, externalId: string): Promise<boolean> {
      if (!externalId.startsWith(`drop/${projectId}/`)) return false;
      const project = await ctx.store.getProject(projectId);
      if (!project) return false;
      const doc = await ctx.store.forProject(projectId).findDocumentByExternalId(externalId);
      if (!doc) return false;
      await removeDocument(project, doc);
      return true;
    },

    async listDocuments(
      { project }: ProjectAccess<'documents.read'>,
      query: { limit?: number; cursor?: string; status?: DocumentStatus },
    ) {
      const page = await ctx.store.forProject(project.id).listDocuments({
        limit: query.limit ?? 50,
        after: decodeCursor(query.cursor),
        status: query.status,
      });
      return { documents: page.items.map(publicDocument), next_cursor: encodeCursor(page.next_cursor) };
    },

    async getDocument({ project }: ProjectAccess<'documents.read'>, documentId: string) {
      return { document: publicDocument(await getOwnDocument(project.id, documentId)) };
    },

    /**
     * New title, url, tags or metadata, without ingesting again: the record, then every indexed
     * chunk, so that the next answer cites the new title and url and filters see the new tags
     * (where the worker owns index writes, the chunks are the worker's: relabel.ts). A
     * document still being read has no chunks yet to change and would write its old values over
     * the new ones: it is a conflict until it is ready or failed.
     */
    async updateDocument({ project }: ProjectAccess<'documents.write'>, documentId: string, edit: DocumentEdit) {
      const doc = await getOwnDocument(project.id, documentId);
      if (doc.status === 'queued' || doc.status === 'processing') {
        throw new Conflict('the document is still being processed; change it once it is ready or failed');
      }
      const given = Object.fromEntries(Object.entries(edit).filter(([, v]) => v !== undefined)) as DocumentEdit;
      const write = async () => {
        const [written] = await ctx.store.forProject(project.id).patchDocuments([
          {
            id: doc.id,
            content_hash: doc.content_hash,
            patch: { ...given, updated_at: ctx.clock.now().toISOString() },
          },
        ]);
        if (!written) throw new Conflict('the document changed meanwhile; read it again and retry');
        return written;
      };
      const { metadata: _, ...labels } = given;
      const relabel = doc.status === 'ready' && Object.keys(labels).length > 0;
      // where the worker owns index writes, the record changes now and the chunks in the worker
      if (relabel && ctx.settings.workerOwnsIndexWrites) {
        return { document: publicDocument(await patchWithRelabel(ctx, project, doc.id, write)) };
      }
      const written = await write();
      if (relabel && written.status === 'ready') await indexOf(ctx, project).relabelDocument(doc.id, labels);
      return { document: publicDocument(written) };
    },

    /** The original file: its bytes, or where a store can hand out a URL (S3), a 5-minute link to them. */
    async getContent(
      { project }: ProjectAccess<'documents.read'>,
      documentId: string,
    ): Promise<{ redirect: string } | { bytes: Buffer; contentType: string; filename: string | null }> {
      const doc = await getOwnDocument(project.id, documentId);
      const blobs = ctx.blobs.forProject(project.id);
      if (blobs.downloadUrl) {
        const url = await blobs.downloadUrl(originalKey(doc.id), {
          filename: doc.filename,
          contentType: doc.content_type,
          expiresInSeconds: 300,
        });
        if (!url) throw new NotFound('document content');
        return { redirect: url };
      }
      const blob = await blobs.get(originalKey(doc.id));
      if (!blob) throw new NotFound('document content');
      return { bytes: blob.bytes, contentType: doc.content_type, filename: doc.filename };
    },

    /** Where the worker owns index writes, the record goes now and the chunks and files in the worker. */
    async deleteDocument({ project }: ProjectAccess<'documents.write'>, documentId: string) {
      const doc = await getOwnDocument(project.id, documentId);
      const chunks = ctx.settings.workerOwnsIndexWrites
        ? await queueDocumentRemoval(ctx, project, doc)
        : await removeDocument(project, doc);
      return { deleted: { document_id: doc.id, chunks } };
    },
  };
}

/**
 * The extracted text of a document, for export (of a project its caller was authorized for):
 * kept as it is, or (a text document) given back from its original, which the caller passes when
 * it has read it already. Null when there is none.
 */
export function extractedText(ctx: Pick<Context, 'blobs'>) {
  return async (projectId: string, documentId: string, original?: { bytes: Buffer } | null): Promise<string | null> => {
    const blobs = ctx.blobs.forProject(projectId);
    const kept = await blobs.get(textKey(documentId));
    if (!kept) return null;
    if (!isDerivedText(kept)) return textFromStored(kept, null);
    const from = original === undefined ? await blobs.get(originalKey(documentId)) : original;
    return textFromStored(kept, from?.bytes ?? null);
  };
}
