import { createHash } from 'node:crypto';
import { Invalid } from '../../core/errors';
import { safeFilename } from '../../core/filename';
import { detectContentType } from '../../core/formats/detect';
import { newId } from '../../core/ids';
import type { DocumentRecord, ProjectRecord } from '../../core/model';
import { isDerivedText, PLAIN_TEXT_TYPE, textFromStored } from '../../core/stored-text';
import type { Context } from '../context';
import { checkQuota } from '../limits';
import { indexOf } from '../search';
import { type DocumentInput, originalKey, textKey } from './model';

/** A document's content hash: what tells an unchanged re-send from a new version. */
export const contentHash = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * The record of a document taken in, accepted or not: under the id of the document it replaces
 * (same external id), else the id it was promised, else a new one.
 */
export function documentRecord(
  input: DocumentInput,
  at: { existing: DocumentRecord | null; fixedId?: string; now: string; hash: string },
  state: Pick<DocumentRecord, 'content_type' | 'status' | 'error' | 'chunks'>,
): DocumentRecord {
  const { existing, now } = at;
  return {
    id: existing?.id ?? at.fixedId ?? newId('document'),
    title: input.title ?? null,
    url: input.url ?? null,
    filename: safeFilename(input.filename),
    content_type: state.content_type,
    external_id: input.external_id ?? null,
    tags: input.tags ?? [],
    metadata: input.metadata ?? {},
    status: state.status,
    error: state.error,
    chunks: state.chunks,
    bytes: input.bytes.length,
    content_hash: at.hash,
    created_at: existing?.created_at ?? now,
    updated_at: now,
  };
}

const findExisting = (ctx: Context, projectId: string, input: DocumentInput) =>
  input.external_id ? ctx.store.forProject(projectId).findDocumentByExternalId(input.external_id) : null;

/**
 * Before a document's original is replaced by a new version: a kept text that is a marker
 * (core/stored-text.ts) derives from the original about to go, so it is written out as text
 * first. Until the new version is read, export then still shows the previous version's text.
 */
export async function keepTextOfReplaced(blobs: ReturnType<Context['blobs']['forProject']>, documentId: string) {
  const kept = await blobs.get(textKey(documentId));
  if (!kept || !isDerivedText(kept)) return;
  const text = textFromStored(kept, (await blobs.get(originalKey(documentId)))?.bytes ?? null);
  if (text !== null) await blobs.put(textKey(documentId), Buffer.from(text, 'utf8'), PLAIN_TEXT_TYPE);
}

/**
 * Step 1 of ingestion: stores a document's bytes and records it `queued`, or leaves it alone
 * when the same external id already holds the same content. Shared by the API, uploads and drops.
 */
export async function accept(ctx: Context, project: ProjectRecord, input: DocumentInput, fixedId?: string) {
  if (input.bytes.length === 0) throw new Invalid('the document is empty');
  const type = detectContentType(input.bytes, input.content_type, input.filename);
  const hash = contentHash(input.bytes);
  const existing = await findExisting(ctx, project.id, input);
  if (existing && existing.content_hash === hash && existing.status !== 'failed') {
    return { kind: 'unchanged' as const, document: existing };
  }
  await checkQuota(ctx, project, existing ? 0 : 1, input.bytes.length - (existing?.bytes ?? 0));
  const doc = documentRecord(
    input,
    { existing, fixedId, now: ctx.iso(), hash },
    { content_type: type, status: 'queued', error: null, chunks: existing?.chunks ?? 0 },
  );
  const blobs = ctx.blobs.forProject(project.id);
  if (existing) await keepTextOfReplaced(blobs, existing.id);
  await blobs.put(originalKey(doc.id), input.bytes, type, { readSoon: true });
  await ctx.store.forProject(project.id).putDocument(doc);
  return { kind: 'accepted' as const, document: doc };
}

/**
 * A file of a type Oprag cannot read, which arrived with a name to keep it under (its drop path,
 * or the id its upload URL promised): recorded as a failed document with the reason, and
 * without chunks.
 */
export async function acceptUnreadable(
  ctx: Context,
  project: ProjectRecord,
  input: DocumentInput,
  error: string,
  fixedId?: string,
) {
  const failed = documentRecord(
    input,
    { existing: await findExisting(ctx, project.id, input), fixedId, now: ctx.iso(), hash: contentHash(input.bytes) },
    { content_type: input.content_type ?? 'application/octet-stream', status: 'failed', error, chunks: 0 },
  );
  await indexOf(ctx, project).deleteDocument(failed.id);
  await ctx.store.forProject(project.id).putDocument(failed);
  return failed;
}

/** Megabytes, to one decimal where it matters, for a reason a person reads. */
const megabytes = (bytes: number) => `${Math.round((bytes / 2 ** 20) * 10) / 10} MB`;

/**
 * A landed file too large to read (its size known from its notification or its HEAD, before a
 * byte of it is read): recorded as a failed document with the reason, under the name it arrived
 * with, its chunks removed. Its content is unknown, so it has no content hash.
 */
export async function acceptOversized(
  ctx: Context,
  project: ProjectRecord,
  input: Omit<DocumentInput, 'bytes'>,
  size: number,
  fixedId?: string,
) {
  const error = `the file is ${megabytes(size)}; a file may be at most ${megabytes(ctx.settings.maxUploadBytes)}`;
  const failed = documentRecord(
    { ...input, bytes: Buffer.alloc(0) },
    {
      existing: await findExisting(ctx, project.id, { ...input, bytes: Buffer.alloc(0) }),
      fixedId,
      now: ctx.iso(),
      hash: '',
    },
    { content_type: input.content_type ?? 'application/octet-stream', status: 'failed', error, chunks: 0 },
  );
  failed.bytes = size;
  await indexOf(ctx, project).deleteDocument(failed.id);
  await ctx.store.forProject(project.id).putDocument(failed);
  return failed;
}
