/**
 * The document reader function's work (lambdas/handlers/reader.ts): fetches one original from the
 * bucket, reads it with a DocumentReader (the thread pool: heap limit, deadline) and answers its
 * chunk drafts inline, or through a scratch object below `parsed/` when they are too large for a
 * Lambda response. What LambdaReader (lambda-reader.ts) sends and reads back.
 */
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ExtractionError } from '../../core/errors';
import { SUPPORTED_TYPES } from '../../core/formats/detect';
import type { ParsedDocument } from '../../core/parse-document';
import type { ReadLimits } from '../../core/read-limits';
import type { DocumentReader } from '../../ports';
import {
  INLINE_MAX_BYTES,
  originalProject,
  PARSED_PREFIX,
  type ReaderRequest,
  type ReaderResponse,
} from './lambda-reader';

export interface ReaderDeps {
  s3: S3Client;
  /** the one bucket whose originals it reads and where it writes scratch results */
  bucket: string;
  /** the reader for a request's limits (one pool per distinct limits, kept between invocations) */
  readerFor(limits: ReadLimits): DocumentReader;
  /** the name of a scratch result @default a random UUID */
  scratchId?: () => string;
  /** largest answer returned inline @default INLINE_MAX_BYTES */
  inlineMaxBytes?: number;
}

/** Builds the handler over its ports, so a test runs it against s3rver and a pool of its own. */
export function makeReaderHandler(deps: ReaderDeps) {
  const scratchId = deps.scratchId ?? randomUUID;
  const inlineMax = deps.inlineMaxBytes ?? INLINE_MAX_BYTES;
  return async (event: ReaderRequest): Promise<ReaderResponse> => {
    const request = checked(event, deps.bucket);
    let bytes: Buffer;
    if ('base64' in request.source) bytes = Buffer.from(request.source.base64, 'base64');
    else {
      const found = await getObject(deps.s3, deps.bucket, request.source.key);
      if (!found) return { error: { name: 'ExtractionError', message: 'the original file is missing' } };
      bytes = found;
    }
    let answer: { ok: ParsedDocument };
    try {
      answer = { ok: await deps.readerFor(request.limits).read(bytes, request.type) };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      return { error: { name: err instanceof ExtractionError ? 'ExtractionError' : 'Error', message: err.message } };
    }
    const json = JSON.stringify(answer);
    if (Buffer.byteLength(json) <= inlineMax) return answer;
    const key = `${PARSED_PREFIX}${request.projectId}/${scratchId()}.json`;
    await deps.s3.send(
      new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: json, ContentType: 'application/json' }),
    );
    return { parsed: { bucket: deps.bucket, key } };
  };
}

/** The request as the worker sends it; anything else is refused before a byte is read. */
function checked(event: ReaderRequest, bucket: string): ReaderRequest {
  if (!event || typeof event !== 'object' || !event.source || !event.limits) throw new Error('not a reader request');
  if (!(SUPPORTED_TYPES as readonly string[]).includes(event.type)) throw new Error('unsupported document type');
  if (!Object.values(event.limits).every((n) => typeof n === 'number' && Number.isFinite(n) && n > 0))
    throw new Error('read limits must be positive numbers');
  if ('base64' in event.source) {
    if (event.projectId !== 'none' || typeof event.source.base64 !== 'string') throw new Error('not a reader request');
    return event;
  }
  if (event.source.bucket !== bucket) throw new Error('not the bucket of this reader');
  if (originalProject(event.source.key) !== event.projectId) throw new Error('not an original of the project');
  return event;
}

async function getObject(s3: S3Client, Bucket: string, Key: string): Promise<Buffer | null> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket, Key }));
    return Buffer.from((await res.Body?.transformToByteArray()) ?? new Uint8Array());
  } catch (e) {
    const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (err?.name === 'NoSuchKey' || err?.$metadata?.httpStatusCode === 404) return null;
    throw e;
  }
}
