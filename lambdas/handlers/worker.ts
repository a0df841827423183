import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { OpragError } from '../core/errors';
import { awsHome, logger, metrics } from './api';
import { type AwsHome, parseDropKey, parseQueueMessage, parseUploadKey } from './compose';

type Outcome = 'done' | 'ignored' | 'rejected';

/** The object's bytes, or null when it is gone (S3 delivers notifications at least once). */
async function readObject(home: AwsHome, key: string) {
  try {
    const res = await home.clients.s3.send(new GetObjectCommand({ Bucket: home.config.bucketName, Key: key }));
    const bytes = Buffer.from((await res.Body?.transformToByteArray()) ?? new Uint8Array());
    return { bytes, contentType: res.ContentType ?? null };
  } catch (e) {
    if ((e as { name?: string }).name === 'NoSuchKey') return null;
    throw e;
  }
}

/** Handles one SQS message: an ingest job, or an S3 notification for a drop or an upload. */
export async function handleMessage(home: AwsHome, body: string): Promise<Outcome> {
  const message = parseQueueMessage(body);
  const { documents } = home.services;
  switch (message.type) {
    case 'ingest': {
      await documents.processDocument(message.project_id, message.document_id);
      return 'done';
    }
    case 's3': {
      for (const object of message.objects) {
        if (object.bucket !== home.config.bucketName) continue;
        const drop = parseDropKey(object.key);
        const upload = drop ? null : parseUploadKey(object.key);
        if (!drop && !upload) continue;
        const found = await readObject(home, object.key);
        if (!found) {
          logger.info('object already gone; nothing to ingest', { key: object.key });
          continue;
        }
        const { bytes, contentType } = found;
        if (drop) {
          await documents.ingestDropped(
            drop.projectId,
            {
              bytes,
              filename: object.key.split('/').pop() ?? null,
              content_type: contentType,
              external_id: object.key,
            },
            'inline',
          );
        } else if (upload) {
          await documents.completeUploadObject(upload.uploadId, bytes, 'inline');
          // the original now lives with the project's blobs; the landing copy is not needed
          await home.clients.s3.send(new DeleteObjectCommand({ Bucket: home.config.bucketName, Key: object.key }));
        }
      }
      return 'done';
    }
    default:
      if (message.type === 'invalid')
        logger.warn('unrecognised message on the ingest queue', { reason: message.reason });
      return 'ignored';
  }
}

/**
 * The ingest worker: SQS batches of ingest jobs and S3 drop/upload notifications. A message
 * that can never succeed (unknown project, unsupported or oversized file, used upload) is
 * logged and acknowledged; anything else is reported as a batch item failure, so SQS retries
 * it and finally moves it to the dead-letter queue.
 */
export async function processBatch(home: AwsHome, event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records as SQSRecord[]) {
    try {
      const outcome = await handleMessage(home, record.body);
      metrics.addMetric(outcome === 'done' ? 'IngestMessages' : 'IgnoredMessages', MetricUnit.Count, 1);
    } catch (e) {
      if (e instanceof OpragError && e.status < 500) {
        logger.warn('ingest message rejected', { messageId: record.messageId, reason: e.message });
        metrics.addMetric('RejectedMessages', MetricUnit.Count, 1);
        continue;
      }
      logger.error('ingest message failed; SQS will retry it', { messageId: record.messageId, error: e as Error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  // webhooks of the documents this batch finished, with their retries: a frozen container would drop them
  await home.services.webhooks.idle();
  metrics.publishStoredMetrics();
  return { batchItemFailures: failures };
}

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => processBatch(awsHome(), event);
