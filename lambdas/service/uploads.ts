import { randomBytes } from 'node:crypto';
import { NotFound, TooLarge, uploadLengthError } from '../core/errors';
import { claimedType } from '../core/formats/detect';
import { isId, newId } from '../core/ids';
import { hashKey } from '../core/keys';
import type { UploadRecord } from '../core/model';
import type { ProjectAccess } from './access';
import type { Context } from './context';
import { publicDocument } from './document-view';
import type { Ingest, IngestMode } from './ingest';
import { checkRate } from './limits';

/** Upload URLs: created through the API, completed when the bytes land (local server or S3). */
export function makeUploadServices(ctx: Context, { ingestUnattended, refuseOversized }: Ingest) {
  async function landUpload(upload: UploadRecord | null, bytes: Buffer, mode: IngestMode) {
    if (!upload) throw new NotFound('upload URL (unknown, used or expired)');
    const project = await ctx.store.getProject(upload.project_id);
    if (!project) throw new NotFound('upload URL (unknown, used or expired)');
    if (bytes.length > ctx.settings.maxUploadBytes) {
      throw new TooLarge(`an upload may be at most ${ctx.settings.maxUploadBytes / 2 ** 20} MB`);
    }
    if (upload.size != null && bytes.length !== upload.size) throw uploadLengthError(upload.size, bytes.length);
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

  return {
    async createUpload(
      { project }: ProjectAccess<'documents.write'>,
      body: {
        filename: string;
        content_type: string;
        title?: string;
        url?: string;
        external_id?: string;
        tags?: string[];
        size?: number;
      },
      baseUrl: string,
    ) {
      if (body.size !== undefined && body.size > ctx.settings.maxUploadBytes) {
        throw new TooLarge(
          `size is ${body.size} bytes; an upload may be at most ${ctx.settings.maxUploadBytes} bytes (${ctx.settings.maxUploadBytes / 2 ** 20} MB)`,
        );
      }
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
        size: body.size ?? null,
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
        size: body.size,
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

    /**
     * Whether an upload URL's token is good for a PUT (known, unused, unexpired), checked before
     * its bytes are read; claims nothing: the PUT that lands the bytes claims it. Answers the
     * exact length the URL is bound to (null when its request gave none), so the body is read
     * no further than that.
     */
    async checkUploadToken(token: string): Promise<{ size: number | null }> {
      const upload = await ctx.store.findUpload(hashKey(token), ctx.iso());
      if (!upload) throw new NotFound('upload URL (unknown, used or expired)');
      return { size: upload.size ?? null };
    },

    /**
     * The bytes of an upload have landed at the local server: claim the one-time URL and ingest
     * them. No key: the URL's token is the caller's right, and names the project. Bytes of
     * another length than the URL is bound to are refused before the URL is used up.
     */
    async completeUpload(token: string, bytes: Buffer) {
      const pending = await ctx.store.findUpload(hashKey(token), ctx.iso());
      if (pending?.size != null && bytes.length !== pending.size) throw uploadLengthError(pending.size, bytes.length);
      return landUpload(await ctx.store.claimUpload(hashKey(token), ctx.iso()), bytes, 'queue');
    },

    /** System path: the bytes of an upload have landed in object storage (the object key names the upload). */
    async completeUploadObject(uploadId: string, bytes: Buffer, mode: IngestMode = 'inline') {
      const upload = isId('upload', uploadId) ? await ctx.store.claimUploadById(uploadId, ctx.iso()) : null;
      return landUpload(upload, bytes, mode);
    },

    /**
     * System path: the object of an upload is larger than an upload may be (its size known before
     * it is read). The upload is used up, and its promised document fails with the reason.
     */
    async refuseUploadObject(uploadId: string, size: number) {
      const upload = isId('upload', uploadId) ? await ctx.store.claimUploadById(uploadId, ctx.iso()) : null;
      if (!upload) throw new NotFound('upload URL (unknown, used or expired)');
      const project = await ctx.store.getProject(upload.project_id);
      if (!project) throw new NotFound('upload URL (unknown, used or expired)');
      const failed = await refuseOversized(
        project,
        {
          filename: upload.filename,
          content_type: upload.content_type,
          title: upload.title,
          url: upload.url,
          external_id: upload.external_id,
          tags: upload.tags,
        },
        size,
        upload.document_id,
      );
      return { projectId: project.id, document: failed && publicDocument(failed) };
    },
  };
}
