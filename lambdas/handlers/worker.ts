import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ChangeMessageVisibilityBatchCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { s3MetadataFields } from '../core/drop-metadata';
import { OpragError } from '../core/errors';
import { OutOfTime, type RemainingMs, UNBOUNDED } from '../core/time-budget';
import type { BackgroundJob } from '../ports';
import { type AwsHome, parseDropKey, parseQueueMessage, parseUploadKey, type QueueMessage } from './compose';
import { awsHome, logger, metrics, tracer } from './home';

type Outcome = 'done' | 'ignored' | 'rejected';

/** Answers a golden run gives in one delivery: well inside the worker's time, Bedrock's latency included. */
export const ANSWERS_PER_DELIVERY = 25;
/**
 * Deliveries of a background job before it is marked failed: one fewer than the queue's
 * maxReceiveCount, so the record says `failed` before the message would go to the dead-letter queue.
 */
export const JOB_ATTEMPTS = 4;
/**
 * Time a message needs left to be started at all: less than this before the invocation ends, it
 * goes straight back to the queue (a batch item failure) instead of being cut off mid-way.
 */
export const START_MARGIN_MS = 60_000;

/**
 * One delivery of a golden run or an export. A run that reached its chat limit, or its share of
 * answers for this delivery, goes back on the queue with the delay it needs; a job that keeps
 * failing is marked failed on its last attempt instead of staying `running`.
 */
async function handleJob(home: AwsHome, job: BackgroundJob, record: SQSRecord): Promise<Outcome> {
  try {
    const next = await home.services.jobs.run(job, { maxAnswers: ANSWERS_PER_DELIVERY });
    if (next) await home.jobs.enqueueJob(job, next.retryAfterSeconds);
    return 'done';
  } catch (e) {
    if (Number(record.attributes?.ApproximateReceiveCount ?? 1) < JOB_ATTEMPTS) throw e;
    logger.error('background job failed for good', { job: job.type, project_id: job.project_id, error: e as Error });
    await home.services.jobs.fail(job, e);
    return 'rejected';
  }
}

/**
 * A landed object larger than a file may be: its document fails with the reason (no retry: the
 * same object would be refused again) and, for an upload, the object is removed. A dropped
 * object stays where its owner put it: removing it would delete the failed document.
 */
async function refuseOversized(
  home: AwsHome,
  key: string,
  area: { drop: { projectId: string } | null; upload: { uploadId: string } | null },
  size: number,
) {
  const { documents } = home.services;
  logger.warn('landed object too large; refused unread', { key, size, max: home.settings.maxUploadBytes });
  metrics.addMetric('OversizedObjects', MetricUnit.Count, 1);
  if (area.drop) {
    await documents.refuseDropped(
      area.drop.projectId,
      { filename: key.split('/').pop() ?? null, external_id: key },
      size,
    );
  } else if (area.upload) {
    await documents.refuseUploadObject(area.upload.uploadId, size);
    await home.landing.deleteLanded(key);
  }
}

/**
 * Messages handed back for lack of time are made visible again at once, so that the next
 * delivery resumes where this one stopped instead of after the queue's visibility timeout (an
 * hour). Best effort: where it fails, the timeout brings them back all the same.
 */
async function releaseHandedBack(home: AwsHome, records: SQSRecord[]) {
  for (let i = 0; i < records.length; i += 10) {
    const entries = records.slice(i, i + 10).map((r, j) => ({
      Id: String(i + j),
      ReceiptHandle: r.receiptHandle,
      VisibilityTimeout: 0,
    }));
    try {
      await home.clients.sqs.send(
        new ChangeMessageVisibilityBatchCommand({ QueueUrl: home.config.ingestQueueUrl, Entries: entries }),
      );
    } catch (e) {
      logger.warn('could not make handed-back messages visible again', { error: e as Error });
    }
  }
}

/** Handles an S3 notification for drops or uploads, or a message with nothing to do. */
async function handleMessage(
  home: AwsHome,
  message: Exclude<QueueMessage, { type: 'ingest' | 'job' }>,
): Promise<Outcome> {
  const { documents } = home.services;
  if (message.type !== 's3') {
    if (message.type === 'invalid') logger.warn('unrecognised message on the ingest queue', { reason: message.reason });
    return 'ignored';
  }
  const { landing } = home;
  for (const object of message.objects) {
    if (object.bucket !== home.config.bucketName) continue;
    const drop = parseDropKey(object.key);
    const upload = drop ? null : parseUploadKey(object.key);
    if (!drop && !upload) continue;
    const removed = object.eventName.startsWith('ObjectRemoved:');
    if (removed && !drop) continue; // a landed upload is removed by the worker itself, once filed
    // the size in the notification refuses an oversized object before any of it is read; the
    // read itself refuses one whose Content-Length is past the limit (a notification without a
    // size, or an object replaced since)
    const maxBytes = home.settings.maxUploadBytes;
    if (!removed && object.size !== null && object.size > maxBytes) {
      await refuseOversized(home, object.key, { drop, upload }, object.size);
      continue;
    }
    const found = await landing.readLanded(object.key, { maxBytes });
    if (removed) {
      // notifications can arrive out of order: an object dropped again since is kept
      if (found) logger.info('removed object is back; its document stays', { key: object.key });
      else await documents.removeDropped(drop?.projectId ?? '', object.key);
      continue;
    }
    if (!found) {
      logger.info('object already gone; nothing to ingest', { key: object.key });
      continue;
    }
    if (found.oversized !== undefined) {
      await refuseOversized(home, object.key, { drop, upload }, found.oversized);
      continue;
    }
    const { bytes, contentType } = found;
    if (drop) {
      const described = s3MetadataFields(found.metadata);
      if ('problem' in described)
        logger.warn('drop object metadata not used', { key: object.key, problem: described.problem });
      await documents.ingestDropped(
        drop.projectId,
        {
          bytes,
          filename: object.key.split('/').pop() ?? null,
          content_type: contentType,
          external_id: object.key,
          ...('fields' in described ? described.fields : {}),
        },
        'inline',
      );
    } else if (upload) {
      await documents.completeUploadObject(upload.uploadId, bytes, 'inline');
      // the original now lives with the project's blobs; the landing copy is not needed
      await landing.deleteLanded(object.key);
    }
  }
  return 'done';
}

/**
 * The ingest worker: SQS batches of ingest jobs and S3 drop/upload notifications. The ingest jobs
 * of one project are processed together, in one run of the ingest pipeline. A message that can
 * never succeed (unknown project, unsupported or oversized file, used upload) is logged and
 * acknowledged; anything else is reported as a batch item failure, so SQS retries it and finally
 * moves it to the dead-letter queue. `remainingMs` is the invocation's clock: a message is only
 * started with more than START_MARGIN_MS left, and work cut short by it (OutOfTime: a document's
 * embeddings, a retry that would run past the end) goes back to the queue to resume.
 */
export async function processBatch(
  home: AwsHome,
  event: SQSEvent,
  remainingMs: RemainingMs = UNBOUNDED,
): Promise<SQSBatchResponse> {
  return home.budget.within(remainingMs, () => processWithin(home, event, remainingMs));
}

async function processWithin(home: AwsHome, event: SQSEvent, remainingMs: RemainingMs): Promise<SQSBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  /** messages given back unfinished for lack of time, not because anything failed */
  const handedBack = new Set<string>();
  const settle = async (messageIds: string[], work: () => Promise<Outcome>) => {
    if (remainingMs() <= START_MARGIN_MS) {
      logger.info('too little time left to start; back to the queue', { messageIds });
      for (const id of messageIds) {
        failures.push({ itemIdentifier: id });
        handedBack.add(id);
      }
      return;
    }
    try {
      const outcome = await work();
      metrics.addMetric(outcome === 'done' ? 'IngestMessages' : 'IgnoredMessages', MetricUnit.Count, messageIds.length);
    } catch (e) {
      if (e instanceof OpragError && e.status < 500) {
        logger.warn('ingest message rejected', { messageIds, reason: e.message });
        metrics.addMetric('RejectedMessages', MetricUnit.Count, messageIds.length);
        return;
      }
      if (e instanceof OutOfTime) {
        logger.info('out of time; back to the queue to resume', { messageIds, reason: e.message });
        for (const id of messageIds) handedBack.add(id);
      } else logger.error('ingest message failed; SQS will retry it', { messageIds, error: e as Error });
      for (const id of messageIds) failures.push({ itemIdentifier: id });
    }
  };
  /** ingest jobs by project: the documents, and the messages that asked for them */
  const jobs = new Map<string, { documentIds: string[]; messageIds: string[] }>();
  for (const record of event.Records as SQSRecord[]) {
    const message = parseQueueMessage(record.body);
    if (message.type === 'job') {
      await settle([record.messageId], () => handleJob(home, message.job, record));
      continue;
    }
    if (message.type !== 'ingest') {
      await settle([record.messageId], () => handleMessage(home, message));
      continue;
    }
    const job = jobs.get(message.project_id) ?? { documentIds: [], messageIds: [] };
    jobs.set(message.project_id, job);
    job.documentIds.push(message.document_id);
    job.messageIds.push(record.messageId);
  }
  for (const [projectId, job] of jobs) {
    await settle(job.messageIds, async () => {
      await home.services.documents.processDocuments(projectId, job.documentIds);
      return 'done';
    });
  }
  // webhooks of the documents this batch finished, with their retries: a frozen container would drop them
  await home.services.webhooks.idle();
  await releaseHandedBack(
    home,
    event.Records.filter((r) => handedBack.has(r.messageId)),
  );
  metrics.publishStoredMetrics();
  return { batchItemFailures: failures };
}

/** What the scheduled rule sends the worker (lib/oprag-stack.ts): time to sweep. */
export const SWEEP_EVENT = { oprag: 'sweep' } as const;

const isSweep = (event: unknown): boolean => (event as { oprag?: unknown } | null)?.oprag === SWEEP_EVENT.oprag;

/**
 * The scheduled sweep: documents stuck queued or processing, and removals and relabels not finished, go
 * back on the queue (their messages were lost, or their worker stopped part-way).
 */
export async function sweep(home: AwsHome) {
  const queued = await home.services.maintenance.sweep();
  if (queued.documents || queued.removals || queued.relabels) logger.info('sweep queued unfinished work again', queued);
  return queued;
}

/** The worker's AWS set: the shared one, plus Lambda's Invoke for the document reader function. */
function workerHome(): AwsHome {
  return awsHome((region) => {
    const lambda = tracer.captureAWSv3Client(new LambdaClient({ region }));
    return { lambda: async (input) => lambda.send(new InvokeCommand(input)) };
  });
}

export const handler = async (
  event: SQSEvent | typeof SWEEP_EVENT,
  context: Context,
): Promise<SQSBatchResponse | object> =>
  isSweep(event)
    ? sweep(workerHome())
    : processBatch(workerHome(), event as SQSEvent, () => context.getRemainingTimeInMillis());
