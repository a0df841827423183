process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'oprag-test';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { createTableForTests } from '../../lambdas/adapters/aws/dynamo-tenant-store';
import { ExtractiveGenerator } from '../../lambdas/adapters/local/extractive-generator';
import { type AwsHome, composeAws } from '../../lambdas/handlers/compose';
import { readAwsConfig } from '../../lambdas/handlers/config';
import { processBatch } from '../../lambdas/handlers/worker';
import { type AppContext, makeApp } from '../../lambdas/http/app';
import type { BackgroundJob, IngestQueue, JobQueue } from '../../lambdas/ports';
import { apiEvent } from './api-event';
import { MemoryCollection } from './opensearch-memory';
import { dynamoClient, type RunningServer, s3Client, startDynalite, startS3rver } from './protocol-servers';
import { s3Notification, sqsEvent } from './queue-events';

const BUCKET = 'oprag-drop-purge';

class DiscardingQueue implements IngestQueue {
  async enqueue() {}
}

/** The worker's removals run as soon as a request queues them. */
class InlineJobs implements JobQueue {
  home: AwsHome | null = null;
  async enqueueJob(job: BackgroundJob) {
    await this.home?.services.jobs.run(job);
  }
}

describe('S3 drops and project purge (dynalite, s3rver, OpenSearch in memory)', () => {
  let dynamo: RunningServer;
  let s3: RunningServer;
  let collection: MemoryCollection;
  let client: S3Client;
  let home: AwsHome;
  let adminKey: string;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read by shape and asserted field by field
  let call: (method: string, path: string, key: string, body?: unknown) => Promise<{ status: number; body: any }>;

  beforeAll(async () => {
    [dynamo, s3, collection] = await Promise.all([startDynalite(), startS3rver(), MemoryCollection.start()]);
    const config = readAwsConfig({
      OPRAG_STAGE: 'test',
      AWS_REGION: 'us-east-1',
      OPRAG_TABLE_NAME: 'oprag-drop-purge',
      OPRAG_BUCKET_NAME: BUCKET,
      OPRAG_INGEST_QUEUE_URL: 'http://127.0.0.1:9/queue',
      OPRAG_COLLECTIONS: JSON.stringify([{ name: 'memory', endpoint: collection.fake.url }]),
      OPRAG_EMBED_MODEL_ID: 'amazon.titan-embed-text-v2:0',
      OPRAG_GENERATE_MODEL_ID: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    });
    client = s3Client(s3.endpoint);
    const clients = {
      dynamo: dynamoClient(dynamo.endpoint),
      s3: client,
      sqs: new SQSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }),
      bedrock: new BedrockRuntimeClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }),
    };
    await createTableForTests(clients.dynamo, config.tableName);
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const jobs = new InlineJobs();
    home = composeAws(config, clients, {
      index: collection.searchIndex(),
      generator: new ExtractiveGenerator(),
      embedder: null,
      queue: new DiscardingQueue(),
      jobs,
    });
    jobs.home = home;
    const app = makeApp(home.services, { maxBodyBytes: home.settings.maxBodyBytes, logger: home.logger });
    call = async (method, path, key, body) => {
      const res = await app(apiEvent(method, path, key, body), {} as AppContext as Context as AppContext);
      return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
    };
    adminKey = (await home.services.keys.createCompany('Drop Co')).api_key.key;
  });

  afterAll(async () => {
    await Promise.all([dynamo.close(), s3.close(), collection.close()]);
  });

  async function newProject() {
    const res = await call('POST', '/v1/projects', adminKey, { name: 'tenant' });
    expect(res.status).toBe(201);
    return { id: res.body.project.id as string, key: res.body.api_key.key as string };
  }

  const put = (Key: string, Body: string, Metadata?: Record<string, string>) =>
    client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body, ContentType: 'text/plain', Metadata }));
  const keysUnder = async (Prefix: string) =>
    ((await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix }))).Contents ?? []).map((o) => o.Key);
  const documents = async (key: string) =>
    (await call('GET', '/v1/documents', key)).body.documents as {
      external_id: string;
      title: string;
      url: string;
      tags: string[];
    }[];

  it('takes title, url and tags from the object metadata, and deletes the document when the object is removed', async () => {
    const p = await newProject();
    const key = `drop/${p.id}/policies/refunds.txt`;
    await put(key, 'Refunds are accepted within 30 days.', {
      'oprag-title': 'Refund policy',
      'oprag-url': '/help/refunds',
      'oprag-tags': 'billing, policy',
    });
    const created = await processBatch(home, sqsEvent(s3Notification(BUCKET, key, 36)));
    expect(created.batchItemFailures).toEqual([]);
    expect(await documents(p.key)).toEqual([
      expect.objectContaining({
        external_id: key,
        title: 'Refund policy',
        url: '/help/refunds',
        tags: ['billing', 'policy'],
      }),
    ]);

    // a removal notification for an object that is back (out-of-order events) leaves the document
    await processBatch(home, sqsEvent(s3Notification(BUCKET, key, 0, 'ObjectRemoved:Delete')));
    expect(await documents(p.key)).toHaveLength(1);

    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    const removed = await processBatch(
      home,
      sqsEvent(s3Notification(BUCKET, key, 0, 'ObjectRemoved:DeleteMarkerCreated')),
    );
    expect(removed.batchItemFailures).toEqual([]);
    expect(await documents(p.key)).toEqual([]);
    const asked = await call('POST', '/v1/chat', p.key, { question: 'Within how many days are refunds accepted?' });
    expect(asked.body.citations).toEqual([]);
  });

  it("a removal under one project's drop prefix never touches another project's document", async () => {
    const a = await newProject();
    const b = await newProject();
    const keyA = `drop/${a.id}/same.txt`;
    await put(keyA, 'Project A owns the osprey file.');
    await processBatch(home, sqsEvent(s3Notification(BUCKET, keyA, 30)));
    // the same path under b's prefix, removed (it never existed): a's document stays
    await processBatch(home, sqsEvent(s3Notification(BUCKET, `drop/${b.id}/same.txt`, 0, 'ObjectRemoved:Delete')));
    expect((await documents(a.key)).map((d) => d.external_id)).toEqual([keyA]);
  });

  it('a project delete removes its drop/ and uploads/ objects and no other project’s', async () => {
    const gone = await newProject();
    const kept = await newProject();
    await put(`drop/${gone.id}/a.txt`, 'dropped a');
    await put(`drop/${gone.id}/deep/b.txt`, 'dropped b');
    await put(`uploads/${gone.id}/upl_00000000000000000000000000`, 'an upload never processed');
    await put(`drop/${kept.id}/stays.txt`, 'kept');
    await put(`uploads/${kept.id}/upl_00000000000000000000000001`, 'kept upload');
    const res = await call('DELETE', `/v1/projects/${gone.id}`, adminKey);
    expect(res.status).toBe(200);
    // the worker's receipt, in the company's audit, counts the landed objects it removed
    const audit = await call('GET', '/v1/company/audit', adminKey);
    const receipt = audit.body.events.find((e: { action: string }) => e.action === 'projects.purged');
    expect(receipt.detail.deleted).toMatchObject({ project_id: gone.id, blobs: 3 });
    expect(await keysUnder(`drop/${gone.id}/`)).toEqual([]);
    expect(await keysUnder(`uploads/${gone.id}/`)).toEqual([]);
    expect(await keysUnder(`drop/${kept.id}/`)).toEqual([`drop/${kept.id}/stays.txt`]);
    expect(await keysUnder(`uploads/${kept.id}/`)).toEqual([`uploads/${kept.id}/upl_00000000000000000000000001`]);
  });
});
