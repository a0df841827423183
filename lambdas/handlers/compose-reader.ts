/**
 * The document reader function's composition root: S3 and a pool of reading threads, nothing
 * else. Apart from handlers/compose.ts so that the reader's bundle carries no table, index, queue
 * or model client, and its environment needs none of their names.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { makeReaderHandler } from '../adapters/aws/reader-function';
import { ParsePool } from '../adapters/parse-pool';
import type { ReadLimits } from '../core/read-limits';
import type { DocumentReader } from '../ports';

/** What the worker sends the reader function and what it answers, as the adapter defines them. */
export type { ReaderRequest, ReaderResponse } from '../adapters/aws/lambda-reader';

/** One pool per distinct limits: the worker sends the same ones every time. */
export function poolsByLimits(make: (limits: ReadLimits) => DocumentReader = (limits) => new ParsePool({ limits })) {
  const pools = new Map<string, DocumentReader>();
  return (limits: ReadLimits) => {
    const id = JSON.stringify(limits);
    let pool = pools.get(id);
    if (!pool) {
      pool = make(limits);
      pools.set(id, pool);
    }
    return pool;
  };
}

/** The handler over the function's environment: OPRAG_BUCKET_NAME and the region. */
export function composeReader(env: NodeJS.ProcessEnv = process.env) {
  const bucket = env.OPRAG_BUCKET_NAME;
  if (!bucket) throw new Error('missing environment variable OPRAG_BUCKET_NAME');
  return makeReaderHandler({ s3: new S3Client({ region: env.AWS_REGION }), bucket, readerFor: poolsByLimits() });
}
