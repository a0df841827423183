import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { isId } from '../../core/ids';
import type { BackgroundJob, IngestQueue, JobQueue } from '../../ports';

/** The job the API sends the worker: process one queued document. */
export interface IngestJobMessage {
  type: 'ingest';
  project_id: string;
  document_id: string;
}

/** An object an S3 `ObjectCreated:*` or `ObjectRemoved:*` notification names, its key decoded. */
export interface S3CreatedObject {
  bucket: string;
  key: string;
  eventName: string;
  size: number | null;
}

/** What a message on the ingest queue can be; parseQueueMessage never throws. */
export type QueueMessage =
  | IngestJobMessage
  /** a golden run, an export, a removal or a relabel to carry on with (SqsJobQueue) */
  | { type: 'job'; job: BackgroundJob }
  | { type: 's3'; objects: S3CreatedObject[] }
  /** the s3:TestEvent S3 sends when notifications are configured: nothing to do */
  | { type: 'test' }
  | { type: 'invalid'; reason: string };

export function ingestJob(projectId: string, documentId: string): IngestJobMessage {
  return { type: 'ingest', project_id: projectId, document_id: documentId };
}

/** The ingest queue of the AWS home: one SQS message per queued document, for the worker Lambda. */
export class SqsIngestQueue implements IngestQueue {
  constructor(private readonly opts: { client: SQSClient; queueUrl: string }) {}

  async enqueue(projectId: string, documentId: string) {
    await this.opts.client.send(
      new SendMessageCommand({
        QueueUrl: this.opts.queueUrl,
        MessageBody: JSON.stringify(ingestJob(projectId, documentId)),
      }),
    );
  }

  /**
   * The documents of a batch, ten to a `SendMessageBatch` (SQS's most). An entry SQS reports
   * failed is sent again on its own; should that fail too, the error reaches the caller and the
   * document stays `queued` for the sweep of stuck documents to queue again.
   */
  async enqueueMany(projectId: string, documentIds: string[]) {
    for (let i = 0; i < documentIds.length; i += SQS_BATCH) {
      const ids = documentIds.slice(i, i + SQS_BATCH);
      const out = await this.opts.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.opts.queueUrl,
          Entries: ids.map((id, n) => ({ Id: String(n), MessageBody: JSON.stringify(ingestJob(projectId, id)) })),
        }),
      );
      for (const failed of out.Failed ?? []) {
        const id = ids[Number(failed.Id)];
        if (id) await this.enqueue(projectId, id);
      }
    }
  }
}

/** The most messages one SendMessageBatch carries. */
const SQS_BATCH = 10;

/** SQS holds a message back at most 15 minutes. */
const MAX_DELAY_SECONDS = 900;

/**
 * Background jobs of the AWS home (golden runs, exports), on the queue the ingest worker reads:
 * one message per delivery, held back by `DelaySeconds` when a run waits for its chat limit.
 */
export class SqsJobQueue implements JobQueue {
  constructor(private readonly opts: { client: SQSClient; queueUrl: string }) {}

  async enqueueJob(job: BackgroundJob, delaySeconds = 0) {
    await this.opts.client.send(
      new SendMessageCommand({
        QueueUrl: this.opts.queueUrl,
        MessageBody: JSON.stringify(job),
        DelaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds))),
      }),
    );
  }
}

function parseJob(value: Record<string, unknown>): QueueMessage {
  const { type, project_id, run_id, export_id, target, document_id } = value;
  if (!isId('project', project_id)) return { type: 'invalid', reason: 'the job names no project' };
  if (type === 'golden_run' && isId('run', run_id)) return { type: 'job', job: { type, project_id, run_id } };
  if (type === 'export' && isId('export', export_id)) return { type: 'job', job: { type, project_id, export_id } };
  // a removal names a document of the project, or the project itself
  if (type === 'cleanup' && (isId('document', target) || target === project_id)) {
    return { type: 'job', job: { type, project_id, target: target as string } };
  }
  if (type === 'relabel' && isId('document', document_id))
    return { type: 'job', job: { type, project_id, document_id } };
  return { type: 'invalid', reason: 'the job names no golden run, export, removal or relabel' };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** S3 writes keys in notifications URL-encoded, with `+` for a space (and `%2B` for a plus). */
export function decodeS3EventKey(key: string): string | null {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

function parseS3Records(records: unknown[]): QueueMessage {
  const objects: S3CreatedObject[] = [];
  for (const r of records) {
    if (!isObject(r) || r.eventSource !== 'aws:s3' || typeof r.eventName !== 'string' || !isObject(r.s3)) {
      return { type: 'invalid', reason: 'a record is not an S3 event record' };
    }
    const { bucket, object } = r.s3;
    if (!isObject(bucket) || typeof bucket.name !== 'string' || !isObject(object) || typeof object.key !== 'string') {
      return { type: 'invalid', reason: 'an S3 event record names no bucket or object key' };
    }
    if (!/^Object(Created|Removed):/.test(r.eventName)) continue;
    const key = decodeS3EventKey(object.key);
    if (key === null) return { type: 'invalid', reason: 'an S3 object key is not validly encoded' };
    const size = typeof object.size === 'number' ? object.size : null;
    objects.push({ bucket: bucket.name, key, eventName: r.eventName, size });
  }
  return { type: 's3', objects };
}

/**
 * Reads an SQS message body of the ingest queue: an ingest job, an S3 event notification (only
 * `ObjectCreated:*` records are kept) or S3's test event. Anything else is `invalid`, with a reason.
 */
export function parseQueueMessage(body: string): QueueMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { type: 'invalid', reason: 'the body is not JSON' };
  }
  if (!isObject(value)) return { type: 'invalid', reason: 'the body is not a JSON object' };
  if (value.type === 'ingest') {
    const { project_id, document_id } = value;
    if (!isId('project', project_id) || !isId('document', document_id)) {
      return { type: 'invalid', reason: 'the ingest job does not name a project and a document' };
    }
    return ingestJob(project_id, document_id);
  }
  if (['golden_run', 'export', 'cleanup', 'relabel'].includes(value.type as string)) return parseJob(value);
  if (value.Event === 's3:TestEvent') return { type: 'test' };
  if (Array.isArray(value.Records) && value.Records.length > 0) return parseS3Records(value.Records);
  return { type: 'invalid', reason: 'the message is neither an ingest job nor an S3 notification' };
}
