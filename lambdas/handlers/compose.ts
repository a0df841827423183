import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { BedrockTitanEmbedder } from '../adapters/aws/bedrock-embedder';
import { BedrockConverseGenerator } from '../adapters/aws/bedrock-generator';
import { DynamoTenantStore } from '../adapters/aws/dynamo-tenant-store';
import { type LambdaInvoke, LambdaReader } from '../adapters/aws/lambda-reader';
import { OpenSearchIndex } from '../adapters/aws/opensearch-index';
import { powertoolsLogger } from '../adapters/aws/powertools-logger';
import { S3BlobStore } from '../adapters/aws/s3-blobs';
import { S3UploadTarget } from '../adapters/aws/s3-upload-target';
import { SqsIngestQueue, SqsJobQueue } from '../adapters/aws/sqs-queue';
import { HttpWebhookSender } from '../adapters/http-webhook-sender';
import { ParsePool } from '../adapters/parse-pool';
import { InvocationBudget } from '../core/time-budget';
import type { BlobStore, JobQueue } from '../ports';
import { makeServices, resolveSettings } from '../service';
import { type Deps, settingsFromEnv } from '../service/context';
import type { AwsConfig } from './config';

/** What the worker reads from S3 object keys and queue messages, as the adapters that write them define it. */
export { parseDropKey, parseUploadKey } from '../adapters/aws/s3-upload-target';
export { parseQueueMessage, type QueueMessage } from '../adapters/aws/sqs-queue';
export { powertoolsLogger };

export interface AwsClients {
  dynamo: DynamoDBClient;
  s3: S3Client;
  sqs: SQSClient;
  bedrock: BedrockRuntimeClient;
  /**
   * Lambda's Invoke, for the document reader function. Optional: without it (or without
   * `config.readerFunctionName`) documents are read in this function's own thread pool.
   */
  lambda?: LambdaInvoke;
}

export function makeClients(config: AwsConfig): AwsClients {
  return {
    dynamo: new DynamoDBClient({ region: config.region }),
    s3: new S3Client({ region: config.region }),
    sqs: new SQSClient({ region: config.region }),
    // the adapters retry throttling themselves, with backoff; SDK retries would stack on top
    bedrock: new BedrockRuntimeClient({ region: config.region, maxAttempts: 1 }),
  };
}

/**
 * The AWS home's composition root: every port on its AWS adapter. Built once per container by
 * the handlers (which hand it their Powertools Logger); `overrides` lets a test swap a port that
 * cannot run here (the OpenSearch index, Bedrock) for one that can, while DynamoDB and S3 run
 * against their protocol servers.
 */
export function composeAws(
  config: AwsConfig,
  clients: AwsClients = makeClients(config),
  overrides: Partial<Deps> = {},
) {
  const settings = {
    ...settingsFromEnv(process.env),
    auditRetentionDays: config.auditTtlDays,
    // a request has 29 s: processing, removals and the waits for OpenSearch are the worker's
    workerOwnsIndexWrites: true,
    // the API function and the worker are separate processes: a run marks its documents `processing`
    runsInOneProcess: false,
    ...overrides.settings,
  };
  const resolved = resolveSettings(settings);
  const logger = overrides.logger ?? powertoolsLogger();
  // the time each invocation has left: the worker points it at its Lambda context while it runs,
  // and every retry loop below (Bedrock, OpenSearch) and the ingest pipeline ask it
  const budget = new InvocationBudget();
  const { remainingMs } = budget;
  const deps: Deps = {
    store: new DynamoTenantStore({
      client: clients.dynamo,
      tableName: config.tableName,
      auditTtlDays: config.auditTtlDays,
    }),
    index: new OpenSearchIndex({
      collections: config.collections,
      indexCap: config.indexCap,
      dimensions: config.embedDimensions,
      region: config.region,
      // a metric filter reads pool_free from this line; an alarm fires before the pool is full
      onPoolLoad: ({ indexes, capacity }) =>
        logger.info('index pool load', {
          pool_indexes: indexes,
          pool_capacity: capacity,
          pool_free: capacity - indexes,
        }),
      remainingMs,
    }),
    blobs: new S3BlobStore({ client: clients.s3, bucket: config.bucketName }),
    uploads: new S3UploadTarget({ client: clients.s3, bucket: config.bucketName }),
    queue: new SqsIngestQueue({ client: clients.sqs, queueUrl: config.ingestQueueUrl }),
    // golden runs and exports ride the same queue to the same worker
    jobs: new SqsJobQueue({ client: clients.sqs, queueUrl: config.ingestQueueUrl }),
    embedder: new BedrockTitanEmbedder({
      client: clients.bedrock,
      modelId: config.embedModelId,
      dimensions: config.embedDimensions,
      retry: { remainingMs },
    }),
    generator: new BedrockConverseGenerator({
      client: clients.bedrock,
      modelId: config.generateModelId,
      retry: { remainingMs },
    }),
    webhookSender: new HttpWebhookSender({ allowPrivate: settings.allowPrivateUrls ?? false }),
    // the same reader as the local home: threads with a heap limit and a deadline, started on
    // the first document (the functions that never read one never start a thread)
    // on AWS, the reader function when one is configured: it parses under a role of its own
    reader:
      config.readerFunctionName && clients.lambda
        ? new LambdaReader({
            invoke: clients.lambda,
            functionName: config.readerFunctionName,
            bucket: config.bucketName,
            s3: clients.s3,
            limits: resolved.readLimits,
          })
        : new ParsePool({ limits: resolved.readLimits, workers: resolved.readWorkers }),
    remainingMs,
    ...overrides,
    settings,
    logger,
  };
  return {
    services: makeServices(deps),
    settings: resolveSettings(deps.settings),
    logger: deps.logger,
    /** where the worker reads dropped and uploaded objects (S3's drop/ and uploads/ areas) */
    landing: deps.blobs as Required<BlobStore>,
    /** where the worker sends a golden run back to the queue to go on later */
    jobs: deps.jobs as JobQueue,
    clients,
    config,
    /** the invocation's remaining time, as the adapters and the use cases above see it */
    budget,
  };
}

export type AwsHome = ReturnType<typeof composeAws>;
