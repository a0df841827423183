/**
 * The AWS home as the function tests run it: DynamoDB on dynalite, S3 on s3rver and OpenSearch
 * in memory, behind the real SDK clients (SQS and Bedrock point at a closed port: a test brings
 * its own queue, embedder and generator), the table and the bucket created, and the app called
 * with API Gateway events. One place for what each of these tests would otherwise set up itself.
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { createTableForTests } from '../../lambdas/adapters/aws/dynamo-tenant-store';
import type { AwsClients, AwsHome } from '../../lambdas/handlers/compose';
import { type AwsConfig, readAwsConfig } from '../../lambdas/handlers/config';
import { type AppContext, makeApp } from '../../lambdas/http/app';
import { apiEvent } from './api-event';
import { MemoryCollection } from './opensearch-memory';
import { dynamoClient, type RunningServer, s3Client, startDynalite, startS3rver } from './protocol-servers';

export type Call = (
  method: string,
  path: string,
  key: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read by shape and asserted field by field
) => Promise<{ status: number; body: any }>;

export interface AwsTestServers {
  config: AwsConfig;
  clients: AwsClients;
  /** the bucket's client (s3rver) */
  s3: S3Client;
  bucket: string;
  collection: MemoryCollection;
  close(): Promise<void>;
}

/**
 * Starts dynalite, s3rver and the memory collection, and creates `name` as table and bucket.
 * `env` adds to or replaces the function environment the configuration is read from.
 */
export async function startAwsServers(name: string, env: Record<string, string> = {}): Promise<AwsTestServers> {
  const [dynamo, s3, collection]: [RunningServer, RunningServer, MemoryCollection] = await Promise.all([
    startDynalite(),
    startS3rver(),
    MemoryCollection.start(),
  ]);
  const config = readAwsConfig({
    OPRAG_STAGE: 'test',
    AWS_REGION: 'us-east-1',
    OPRAG_TABLE_NAME: name,
    OPRAG_BUCKET_NAME: name,
    OPRAG_INGEST_QUEUE_URL: 'http://127.0.0.1:9/queue',
    OPRAG_COLLECTIONS: JSON.stringify([{ name: 'memory', endpoint: collection.fake.url }]),
    OPRAG_EMBED_MODEL_ID: 'amazon.titan-embed-text-v2:0',
    OPRAG_GENERATE_MODEL_ID: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    ...env,
  });
  const clients: AwsClients = {
    dynamo: dynamoClient(dynamo.endpoint),
    s3: s3Client(s3.endpoint),
    sqs: new SQSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }),
    bedrock: new BedrockRuntimeClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }),
  };
  await createTableForTests(clients.dynamo, config.tableName);
  await clients.s3.send(new CreateBucketCommand({ Bucket: name }));
  return {
    config,
    clients,
    s3: clients.s3,
    bucket: name,
    collection,
    close: async () => {
      await Promise.all([dynamo.close(), s3.close(), collection.close()]);
    },
  };
}

/** The app of a home, called as API Gateway calls a function: JSON in, status and JSON out. */
export function appCaller(home: AwsHome): Call {
  const app = makeApp(home.services, { maxBodyBytes: home.settings.maxBodyBytes, logger: home.logger });
  return async (method, path, key, body) => {
    const res = await app(apiEvent(method, path, key, body), {} as AppContext as Context as AppContext);
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
  };
}
