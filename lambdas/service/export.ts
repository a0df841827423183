import { randomBytes } from 'node:crypto';
import { Conflict, NotFound, OpragError } from '../core/errors';
import { isId, newId } from '../core/ids';
import { hashKey } from '../core/keys';
import type { ExportRecord, ProjectRecord } from '../core/model';
import type { ProjectAccess } from './access';
import type { Context } from './context';
import { publicDocument } from './documents';
import { originalKey } from './ingest';
import { publicKey } from './keys';
import { publicProject } from './projects';

/** Where an export job's file is kept among the project's blobs until it is downloaded or expires. */
export const exportKey = (id: string) => `exports/${id}`;

/** How long a download link stays valid. */
const LINK_SECONDS = 5 * 60;

const NDJSON = 'application/x-ndjson';

/** A project's export as the API shows it. */
function publicExport(e: ExportRecord, url?: string) {
  const { originals: _o, token_hash: _h, token_expires_at: _t, downloaded_at: _d, ...shown } = e;
  return { ...shown, ...(url ? { url } : {}) };
}

/**
 * The NDJSON export of a project: the project, every document with its metadata and full
 * extracted text (and its original bytes, base64, when asked), every golden question, its keys
 * (never a secret or its hash) and its audit. Enough to rebuild the project elsewhere.
 */
export function makeExportServices(
  ctx: Context,
  extractedText: (p: string, d: string, original?: { bytes: Buffer } | null) => Promise<string | null>,
) {
  async function* lines(project: ProjectRecord, originals: boolean): AsyncGenerator<string> {
    const records = ctx.store.forProject(project.id);
    const blobs = ctx.blobs.forProject(project.id);
    yield JSON.stringify({ type: 'project', ...publicProject(project) });
    let after: string | null = null;
    do {
      const page = await records.listDocuments({ limit: 200, after });
      for (const d of page.items) {
        const original = originals ? await blobs.get(originalKey(d.id)) : undefined;
        const text = await extractedText(project.id, d.id, original);
        yield JSON.stringify({
          type: 'document',
          ...publicDocument(d),
          text,
          ...(originals ? { content_base64: original ? original.bytes.toString('base64') : null } : {}),
        });
      }
      after = page.next_cursor;
    } while (after);
    for (const q of await records.listGoldenQuestions()) yield JSON.stringify({ type: 'golden_question', ...q });
    for (const k of await ctx.store.listProjectKeys(project.id)) yield JSON.stringify({ type: 'key', ...publicKey(k) });
    after = null;
    do {
      const page = await records.listAudit({ limit: 500, after });
      for (const e of page.items) yield JSON.stringify({ type: 'audit', ...e });
      after = page.next_cursor;
    } while (after);
  }

  async function own(projectId: string, id: string) {
    const found = isId('export', id) ? await ctx.store.forProject(projectId).getExport(id) : null;
    if (!found) throw new NotFound('export');
    return found;
  }

  return {
    /**
     * The export in the response (API 1.0), for exports up to `inlineExportMaxBytes`; a larger
     * one is a `409` that points to export jobs, found before the whole file is built.
     */
    async exportProject({ project }: ProjectAccess<'project.export'>): Promise<string> {
      const max = ctx.settings.inlineExportMaxBytes;
      const parts: string[] = [];
      let bytes = 0;
      for await (const line of lines(project, false)) {
        bytes += Buffer.byteLength(line) + 1;
        if (bytes > max) {
          throw new Conflict(
            `the export is larger than ${max} bytes; create an export job with POST /v1/projects/${project.id}/exports`,
          );
        }
        parts.push(line);
      }
      return `${parts.join('\n')}\n`;
    },

    /** Starts an export job; the file is written in the background. */
    async createExport({ project }: ProjectAccess<'project.export'>, options: { originals?: boolean } = {}) {
      if (!ctx.jobs) throw new Error('this home runs no background jobs');
      const record: ExportRecord = {
        id: newId('export'),
        status: 'running',
        created_at: ctx.iso(),
        originals: options.originals ?? false,
      };
      await ctx.store.forProject(project.id).putExport(record);
      await ctx.jobs.enqueueJob({ type: 'export', project_id: project.id, export_id: record.id });
      return { export: { id: record.id, status: record.status, created_at: record.created_at } };
    },

    /**
     * An export and, once it is ready and not yet downloaded, its download: a presigned URL where
     * the store hands out URLs (S3), else a one-time link to this API that a new call replaces.
     */
    async getExport({ project }: ProjectAccess<'project.export'>, id: string, baseUrl: string) {
      const record = await own(project.id, id);
      const expired = record.expires_at !== undefined && record.expires_at <= ctx.iso();
      const blobs = ctx.blobs.forProject(project.id);
      // a file past its time goes when it is next asked for (or with the project)
      if (expired) await blobs.delete(exportKey(record.id));
      if (record.status !== 'ready' || record.downloaded_at || expired) return { export: publicExport(record) };
      if (blobs.downloadUrl) {
        const url = await blobs.downloadUrl(exportKey(record.id), {
          filename: `${project.id}-${record.id}.ndjson`,
          contentType: NDJSON,
          expiresInSeconds: LINK_SECONDS,
        });
        return { export: publicExport(record, url ?? undefined) };
      }
      const secret = randomBytes(32).toString('base64url');
      const linkExpires = new Date(ctx.now().getTime() + LINK_SECONDS * 1000).toISOString();
      await ctx.store
        .forProject(project.id)
        .putExport({ ...record, token_hash: hashKey(secret), token_expires_at: linkExpires });
      const token = `${project.id}.${record.id}.${secret}`;
      return { export: publicExport(record, `${baseUrl}/v1/exports/${token}`) };
    },

    /**
     * The local home's one-time download. No key: the link's token is the caller's right, and
     * names the project and the export; the file is deleted as it is handed out.
     */
    async downloadExport(token: string): Promise<{ bytes: Buffer; contentType: string; filename: string }> {
      const [projectId, exportId, secret] = token.split('.');
      if (!isId('project', projectId) || !isId('export', exportId) || !secret) throw new NotFound('export');
      const records = ctx.store.forProject(projectId);
      const now = ctx.iso();
      const current = await records.getExport(exportId);
      if (!current?.token_expires_at || current.token_expires_at <= now) throw new NotFound('export');
      const claimed = await records.claimExportDownload(exportId, hashKey(secret), now);
      if (!claimed) throw new NotFound('export');
      const blobs = ctx.blobs.forProject(projectId);
      const blob = await blobs.get(exportKey(exportId));
      await blobs.delete(exportKey(exportId));
      if (!blob) throw new NotFound('export');
      return { bytes: blob.bytes, contentType: NDJSON, filename: `${projectId}-${exportId}.ndjson` };
    },

    /** The background part: writes the file and marks the export ready (or failed). */
    async writeExport(projectId: string, exportId: string) {
      const records = ctx.store.forProject(projectId);
      const project = await ctx.store.getProject(projectId);
      const record = await records.getExport(exportId);
      if (!project || !record || record.status !== 'running') return;
      const parts: string[] = [];
      for await (const line of lines(project, record.originals)) parts.push(line);
      const body = Buffer.from(`${parts.join('\n')}\n`);
      await ctx.blobs.forProject(projectId).put(exportKey(exportId), body, NDJSON);
      const expires = new Date(ctx.now().getTime() + ctx.settings.exportTtlSeconds * 1000).toISOString();
      await records.putExport({ ...record, status: 'ready', bytes: body.length, expires_at: expires });
    },

    async failExport(projectId: string, exportId: string, error: unknown) {
      const records = ctx.store.forProject(projectId);
      const record = await records.getExport(exportId);
      if (record?.status !== 'running') return;
      const message = error instanceof OpragError ? error.message : 'the export stopped on an internal error';
      await records.putExport({ ...record, status: 'failed', error: message });
    },
  };
}
