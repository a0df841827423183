import { createHash, randomBytes } from 'node:crypto';
import { chunkDocument, type ExtractedDocument } from '../core/chunking';
import { Invalid, NotFound, OpragError, TooLarge } from '../core/errors';
import { claimedType, detectContentType, ExtractionError, type SupportedType } from '../core/extract';
import { isId, newId } from '../core/ids';
import { hashKey } from '../core/keys';
import type { Chunk, DocumentRecord, DocumentStatus, ProjectRecord, UploadRecord } from '../core/model';
import { readDocument } from '../core/read-document';
import { authorizeProject } from './access';
import type { Context, Principal } from './context';
import { decodeCursor, encodeCursor } from './cursor';
import { addUsage, checkQuota, checkRate } from './limits';
import { embedChunks, indexOf } from './search';

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

const originalKey = (id: string) => `originals/${id}`;
const textKey = (id: string) => `text/${id}`;

/** The extracted text of a document, as export shows it: headings on their own lines. */
function plainText(doc: ExtractedDocument): string {
  return doc.blocks
    .map((b) => b.text.trim())
    .filter(Boolean)
    .join('\n\n');
}

export function makeDocumentServices(ctx: Context) {
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
      filename: input.filename ?? null,
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
      return done;
    };
    try {
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
      const current = await records.getDocument(documentId);
      if (!current || current.content_hash !== doc.content_hash) return current;
      await ctx.blobs.forProject(projectId).put(textKey(doc.id), Buffer.from(plainText(extracted)), 'text/plain');
      await index.replaceDocument(doc.id, chunks);
      const done = await finish('ready', { title, chunks: chunks.length, error: null });
      if (!done)
        await index.deleteDocument(doc.id); // deleted while indexing: leave no orphans
      else await addUsage(ctx, projectId, { documents: 1, bytes: doc.bytes });
      return done;
    } catch (e) {
      const message =
        e instanceof ExtractionError || e instanceof OpragError ? e.message : 'the document could not be processed';
      await index.deleteDocument(doc.id);
      return finish('failed', { error: message, chunks: 0 });
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
      if (!(e instanceof OpragError) || e.type !== 'unsupported_media_type' || !input.external_id) throw e;
      const existing = await ctx.store.forProject(project.id).findDocumentByExternalId(input.external_id);
      const now = ctx.iso();
      const failed: DocumentRecord = {
        id: existing?.id ?? fixedId ?? newId('document'),
        title: input.title ?? null,
        url: input.url ?? null,
        filename: input.filename ?? null,
        content_type: input.content_type ?? 'application/octet-stream',
        external_id: input.external_id,
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
      return { kind: 'accepted' as const, document: failed };
    }
  }

  async function landUpload(upload: UploadRecord | null, bytes: Buffer, mode: IngestMode) {
    if (!upload) throw NotFound('upload URL (unknown, used or expired)');
    const project = await ctx.store.getProject(upload.project_id);
    if (!project) throw NotFound('upload URL (unknown, used or expired)');
    if (bytes.length > ctx.settings.maxUploadBytes) {
      throw TooLarge(`an upload may be at most ${ctx.settings.maxUploadBytes / 2 ** 20} MB`);
    }
    const outcome = await ingestUnattended(
      project,
      {
        bytes,
        filename: upload.filename,
        content_type: upload.content_type,
        title: upload.title,
        url: upload.url,
        external_id: upload.external_id,
        tags: upload.tags,
      },
      mode,
      upload.document_id,
    );
    return { projectId: project.id, document: publicDocument(outcome.document) };
  }

  async function getOwnDocument(projectId: string, documentId: string) {
    const doc = isId('document', documentId) ? await ctx.store.forProject(projectId).getDocument(documentId) : null;
    if (!doc) throw NotFound('document');
    return doc;
  }

  return {
    processDocument,

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

    async createUpload(
      principal: Principal,
      projectId: string,
      body: {
        filename: string;
        content_type: string;
        title?: string;
        url?: string;
        external_id?: string;
        tags?: string[];
      },
      baseUrl: string,
    ) {
      const project = await authorizeProject(ctx, principal, projectId, 'documents.write');
      await checkRate(ctx, project, 'ingest');
      // refuse an unsupported declared type now rather than after 100 MB have been sent
      claimedType(body.content_type, body.filename);
      const existing = body.external_id
        ? await ctx.store.forProject(project.id).findDocumentByExternalId(body.external_id)
        : null;
      const token = randomBytes(32).toString('base64url');
      const expires = new Date(ctx.now().getTime() + ctx.settings.uploadTtlSeconds * 1000);
      const documentId = existing?.id ?? newId('document');
      const uploadId = newId('upload');
      await ctx.store.putUpload({
        id: uploadId,
        project_id: project.id,
        document_id: documentId,
        token_hash: hashKey(token),
        filename: body.filename,
        content_type: body.content_type,
        title: body.title ?? null,
        url: body.url ?? null,
        external_id: body.external_id ?? null,
        tags: body.tags ?? [],
        expires_at: expires.toISOString(),
        used_at: null,
        created_at: ctx.iso(),
      });
      const target = await ctx.uploads.createUrl({
        projectId: project.id,
        uploadId,
        documentId,
        token,
        contentType: body.content_type,
        expiresAt: expires,
        baseUrl,
      });
      return {
        upload: {
          url: target.url,
          method: 'PUT',
          headers: target.headers,
          expires_at: expires.toISOString(),
          document_id: documentId,
        },
      };
    },

    /** The bytes of an upload have landed at the local server: claim the one-time URL and ingest them. */
    async completeUpload(token: string, bytes: Buffer) {
      return landUpload(await ctx.store.claimUpload(hashKey(token), ctx.iso()), bytes, 'queue');
    },

    /** The bytes of an upload have landed in object storage (the object key names the upload). */
    async completeUploadObject(uploadId: string, bytes: Buffer, mode: IngestMode = 'inline') {
      const upload = isId('upload', uploadId) ? await ctx.store.claimUploadById(uploadId, ctx.iso()) : null;
      return landUpload(upload, bytes, mode);
    },
  };
}

export function publicDocument(d: DocumentRecord) {
  return {
    id: d.id,
    title: d.title,
    url: d.url,
    filename: d.filename,
    content_type: d.content_type,
    external_id: d.external_id,
    tags: d.tags,
    metadata: d.metadata,
    status: d.status,
    ...(d.error ? { error: d.error } : {}),
    chunks: d.chunks,
    bytes: d.bytes,
    content_hash: d.content_hash,
    created_at: d.created_at,
    updated_at: d.updated_at,
  };
}

function firstLine(text: string): string {
  const line = text.split('\n')[0].trim();
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
