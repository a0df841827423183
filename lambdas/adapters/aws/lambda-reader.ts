import { DeleteObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ExtractionError } from '../../core/errors';
import type { SupportedType } from '../../core/formats/detect';
import { isId } from '../../core/ids';
import type { ParsedDocument } from '../../core/parse-document';
import type { ReadLimits } from '../../core/read-limits';
import type { DocumentReader } from '../../ports';

/**
 * The document reader as a function of its own (lambdas/handlers/reader.ts), under a role that
 * may only read originals and write `parsed/`: what the worker sends it and what it answers.
 */

/** Where a parsed result too large for a Lambda response waits for the worker (1 day at most). */
export const PARSED_PREFIX = 'parsed/';

/**
 * Largest JSON answer returned inline: a synchronous invocation's response may be 6 MB; anything
 * larger goes through the scratch object.
 */
export const INLINE_MAX_BYTES = 5 * 2 ** 20;

/** Largest original sent inline when the caller names no object (base64 grows it by a third). */
export const INLINE_REQUEST_MAX_BYTES = 4 * 2 ** 20;

/** `projects/<project_id>/originals/<document_id>`: the only objects the reader reads. */
const ORIGINAL = /^projects\/([^/]+)\/originals\/[a-z0-9_]+$/;

/** The project an original's key belongs to, or null for any other key. */
export function originalProject(key: string): string | null {
  const m = ORIGINAL.exec(key);
  return m && isId('project', m[1]) ? m[1] : null;
}

/** True for a scratch key of that project: `parsed/<project_id>/<uuid>.json`, nothing else. */
export function isScratchKey(key: string, projectId: string): boolean {
  return key.startsWith(`${PARSED_PREFIX}${projectId}/`) && /^parsed\/[^/]+\/[0-9a-f-]{36}\.json$/.test(key);
}

export interface ReaderRequest {
  projectId: string;
  type: SupportedType;
  limits: ReadLimits;
  /** the original in the bucket; or, for a caller with no stored original, its bytes in base64 */
  source: { bucket: string; key: string } | { base64: string };
}

export type ReaderResponse =
  | { ok: ParsedDocument }
  | { parsed: { bucket: string; key: string } }
  | { error: { name: string; message: string } };

/** The part of Lambda's Invoke API the adapter calls (the shapes of the SDK's InvokeCommand). */
export type LambdaInvoke = (input: {
  FunctionName: string;
  InvocationType: 'RequestResponse';
  Payload: Uint8Array;
}) => Promise<{ StatusCode?: number; FunctionError?: string; Payload?: Uint8Array }>;

export interface LambdaReaderOptions {
  invoke: LambdaInvoke;
  functionName: string;
  /** the bucket the originals live in, and where scratch results are read back from */
  bucket: string;
  s3: S3Client;
  limits: ReadLimits;
}

/**
 * A DocumentReader that hands each document to the reader function and waits for it: the bytes
 * of an untrusted file are parsed under a role with no table, index, model or queue rights. A
 * parse failure comes back as the ExtractionError the reader's pool threw, so the document fails
 * with the same message as when it is read in-process.
 */
export class LambdaReader implements DocumentReader {
  constructor(private readonly opts: LambdaReaderOptions) {}

  async read(bytes: Buffer, type: SupportedType, from?: { projectId: string; key: string }): Promise<ParsedDocument> {
    const request = this.request(bytes, type, from);
    const res = await this.opts.invoke({
      FunctionName: this.opts.functionName,
      InvocationType: 'RequestResponse',
      Payload: Buffer.from(JSON.stringify(request)),
    });
    const payload = res.Payload ? Buffer.from(res.Payload).toString('utf8') : '';
    if (res.FunctionError) {
      // the function itself failed (a crash, a timeout): its payload is { errorType, errorMessage }
      const detail = safeJson(payload) as { errorType?: string; errorMessage?: string } | null;
      throw new Error(
        `the document reader failed (${res.FunctionError}): ${detail?.errorMessage ?? detail?.errorType ?? 'no detail'}`,
      );
    }
    const answer = safeJson(payload) as ReaderResponse | null;
    if (!answer || typeof answer !== 'object') throw new Error('the document reader gave no answer');
    if ('error' in answer) {
      if (answer.error.name === 'ExtractionError') throw new ExtractionError(answer.error.message);
      const e = new Error(answer.error.message);
      e.name = answer.error.name;
      throw e;
    }
    if ('ok' in answer) return answer.ok;
    if ('parsed' in answer) return this.takeScratch(answer.parsed, request.projectId);
    throw new Error('the document reader gave an answer of unknown shape');
  }

  private request(bytes: Buffer, type: SupportedType, from?: { projectId: string; key: string }): ReaderRequest {
    const { bucket, limits } = this.opts;
    if (from) {
      if (!isId('project', from.projectId)) throw new Error('invalid project id for the document reader');
      const key = `projects/${from.projectId}/${from.key}`;
      if (originalProject(key) !== from.projectId) throw new Error(`not an original: ${from.key}`);
      return { projectId: from.projectId, type, limits, source: { bucket, key } };
    }
    if (bytes.length > INLINE_REQUEST_MAX_BYTES)
      throw new Error('a document read by the reader function must name its stored original');
    // the request names no project: scratch results come back under a placeholder one
    return { projectId: 'none', type, limits, source: { base64: bytes.toString('base64') } };
  }

  /**
   * Reads and removes the scratch object the reader wrote. Only a key of this project below
   * `parsed/` is followed: an answer naming anything else is refused, never read or deleted.
   */
  private async takeScratch(at: { bucket: string; key: string }, projectId: string): Promise<ParsedDocument> {
    if (at.bucket !== this.opts.bucket || !isScratchKey(at.key, projectId)) {
      throw new Error('the document reader named an object outside its scratch area');
    }
    const Bucket = this.opts.bucket;
    const res = await this.opts.s3.send(new GetObjectCommand({ Bucket, Key: at.key }));
    const text = (await res.Body?.transformToString('utf8')) ?? '';
    await this.opts.s3.send(new DeleteObjectCommand({ Bucket, Key: at.key }));
    const doc = safeJson(text) as { ok?: ParsedDocument } | null;
    if (!doc?.ok) throw new Error('the document reader left an unreadable result');
    return doc.ok;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
