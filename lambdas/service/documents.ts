import { NotFound, TooLarge } from '../core/errors';
import { isId } from '../core/ids';
import type { DocumentStatus } from '../core/model';
import { authorizeProject } from './access';
import type { Context, Principal } from './context';
import { decodeCursor, encodeCursor } from './cursor';
import { publicDocument } from './document-view';
import { type DocumentInput, type Ingest, type IngestMode, originalKey, textKey } from './ingest';
import { checkRate } from './limits';
import { indexOf } from './search';

export { publicDocument } from './document-view';
export type { DocumentInput, IngestMode, IngestOutcome } from './ingest';

/** Reading, listing and deleting documents, and taking new ones in through the API or a drop. */
export function makeDocumentServices(ctx: Context, { processDocuments, ingest, ingestUnattended }: Ingest) {
  async function getOwnDocument(projectId: string, documentId: string) {
    const doc = isId('document', documentId) ? await ctx.store.forProject(projectId).getDocument(documentId) : null;
    if (!doc) throw NotFound('document');
    return doc;
  }

  return {
    processDocuments,

    async createDocument(principal: Principal, projectId: string, input: DocumentInput, wait: boolean) {
      const project = await authorizeProject(ctx, principal, projectId, 'documents.write');
      await checkRate(ctx, project, 'ingest');
      if (input.bytes.length > ctx.settings.maxBodyBytes) {
        throw TooLarge(`a document in a request body may be at most ${ctx.settings.maxBodyBytes} bytes; use uploads`);
      }
      return ingest(project, input, wait ? 'wait' : 'queue');
    },

    /** The drop folder: the path is the external id, so dropping a file again replaces it. */
    async ingestDropped(projectId: string, input: DocumentInput, mode: IngestMode = 'queue') {
      const project = await ctx.store.getProject(projectId);
      if (!project) throw NotFound('project');
      return ingestUnattended(project, input, mode);
    },

    async listDocuments(
      principal: Principal,
      projectId: string,
      query: { limit?: number; cursor?: string; status?: DocumentStatus },
    ) {
      const project = await authorizeProject(ctx, principal, projectId, 'documents.read');
      const page = await ctx.store.forProject(project.id).listDocuments({
        limit: query.limit ?? 50,
        after: decodeCursor(query.cursor),
        status: query.status,
      });
      return { documents: page.items.map(publicDocument), next_cursor: encodeCursor(page.next_cursor) };
    },

    async getDocument(principal: Principal, projectId: string, documentId: string) {
      const project = await authorizeProject(ctx, principal, projectId, 'documents.read');
      return { document: publicDocument(await getOwnDocument(project.id, documentId)) };
    },

    async getContent(principal: Principal, projectId: string, documentId: string) {
      const project = await authorizeProject(ctx, principal, projectId, 'documents.read');
      const doc = await getOwnDocument(project.id, documentId);
      const blob = await ctx.blobs.forProject(project.id).get(originalKey(doc.id));
      if (!blob) throw NotFound('document content');
      return { bytes: blob.bytes, contentType: doc.content_type, filename: doc.filename };
    },

    async deleteDocument(principal: Principal, projectId: string, documentId: string) {
      const project = await authorizeProject(ctx, principal, projectId, 'documents.write');
      const doc = await getOwnDocument(project.id, documentId);
      await ctx.store.forProject(project.id).deleteDocument(doc.id);
      const chunks = await indexOf(ctx, project).deleteDocument(doc.id);
      const blobs = ctx.blobs.forProject(project.id);
      await blobs.delete(originalKey(doc.id));
      await blobs.delete(textKey(doc.id));
      return { deleted: { document_id: doc.id, chunks } };
    },

    /** The extracted text of a document, for export. */
    async extractedText(projectId: string, documentId: string): Promise<string | null> {
      const blob = await ctx.blobs.forProject(projectId).get(textKey(documentId));
      return blob ? blob.bytes.toString('utf8') : null;
    },

    /** Re-queues documents a crash left queued or processing. */
    async recoverUnfinished(projectId: string) {
      const unfinished = await ctx.store.forProject(projectId).listUnfinishedDocuments();
      for (const d of unfinished) await ctx.queue.enqueue(projectId, d.id);
      return unfinished.length;
    },
  };
}
