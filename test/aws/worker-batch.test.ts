process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'oprag-test';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoTenantStore } from '../../lambdas/adapters/aws/dynamo-tenant-store';
import { ingestJob } from '../../lambdas/adapters/aws/sqs-queue';
import { ExtractiveGenerator } from '../../lambdas/adapters/local/extractive-generator';
import { DERIVED_TEXT_TYPE, textFromStored } from '../../lambdas/core/stored-text';
import { type AwsHome, composeAws } from '../../lambdas/handlers/compose';
import { processBatch } from '../../lambdas/handlers/worker';
import type { IngestQueue, ProjectRecords } from '../../lambdas/ports';
import { type AwsTestServers, appCaller, type Call, startAwsServers } from './aws-home';
import { s3Notification, sqsEvent } from './queue-events';

const BUCKET = 'oprag-worker-batch';

/** The DynamoDB store, counting the reads of projects and documents the worker makes. */
class CountingStore extends DynamoTenantStore {
  projectReads = 0;
  documentReads = 0;

  async getProject(id: string) {
    this.projectReads++;
    return super.getProject(id);
  }

  forProject(projectId: string): ProjectRecords {
    const records = super.forProject(projectId);
    const getDocument = records.getDocument.bind(records);
    const findDocumentByExternalId = records.findDocumentByExternalId.bind(records);
    records.getDocument = (id) => {
      this.documentReads++;
      return getDocument(id);
    };
    records.findDocumentByExternalId = (externalId) => {
      this.documentReads++;
      return findDocumentByExternalId(externalId);
    };
    return records;
  }

  resetCounts() {
    this.projectReads = 0;
    this.documentReads = 0;
  }
}

/** What the documents function would have sent to SQS. */
class RecordingQueue implements IngestQueue {
  readonly sent: string[] = [];
  async enqueue(projectId: string, documentId: string) {
    this.sent.push(JSON.stringify(ingestJob(projectId, documentId)));
  }
}

describe('the SQS worker runs the ingest pipeline once per project of a batch (dynalite, s3rver, OpenSearch in memory)', () => {
  let servers: AwsTestServers;
  let store: CountingStore;
  let queue: RecordingQueue;
  let home: AwsHome;
  let adminKey: string;
  let call: Call;

  beforeAll(async () => {
    servers = await startAwsServers(BUCKET);
    store = new CountingStore({ client: servers.clients.dynamo, tableName: servers.config.tableName });
    queue = new RecordingQueue();
    // Bedrock cannot run here: no embedder, and the extractive answerer
    home = composeAws(servers.config, servers.clients, {
      store,
      index: servers.collection.searchIndex(),
      generator: new ExtractiveGenerator(),
      embedder: null,
      queue,
    });
    call = appCaller(home);
    adminKey = (await home.services.keys.createCompany('Batch Co')).api_key.key;
  });

  afterAll(async () => servers.close());

  async function newProject() {
    const res = await call('POST', '/v1/projects', adminKey, { name: 'tenant' });
    expect(res.status).toBe(201);
    return { id: res.body.project.id as string, key: res.body.api_key.key as string };
  }

  async function post(key: string, body: Record<string, unknown>) {
    const res = await call('POST', '/v1/documents', key, body);
    expect(res.status).toBe(202);
    expect(res.body.document.status).toBe('queued');
    return res.body.document.id as string;
  }

  const documentsUsage = async (projectId: string) => {
    const res = await call('GET', `/v1/projects/${projectId}/usage`, adminKey);
    return (res.body.usage as { documents: number; bytes: number }[]).reduce(
      (sum, d) => ({ documents: sum.documents + d.documents, bytes: sum.bytes + d.bytes }),
      { documents: 0, bytes: 0 },
    );
  };

  it('makes every readable document ready and indexed, fails the unreadable one alone, and counts usage once each', async () => {
    const a = await newProject();
    const b = await newProject();
    const refunds = 'Refunds are accepted within 30 days of purchase.';
    const shipping = 'Shipping to Canada takes five business days.';
    const warranty = 'The warranty covers two years of normal use.';
    const a1 = await post(a.key, { title: 'Refunds', text: refunds });
    const blank = await post(a.key, {
      content_base64: Buffer.from('<html><body><p> </p></body></html>').toString('base64'),
      content_type: 'text/html',
      external_id: 'blank.html',
    });
    const a2 = await post(a.key, { title: 'Shipping', text: shipping });
    const b1 = await post(b.key, { title: 'Warranty', text: warranty });
    expect(queue.sent).toHaveLength(4);
    store.resetCounts();

    // the jobs as SQS hands them over: projects interleaved, one job delivered twice
    const [jobA1, jobBlank, jobA2, jobB1] = queue.sent;
    const result = await processBatch(home, sqsEvent(jobA1, jobB1, jobBlank, jobA2, jobA1));

    expect(result.batchItemFailures).toEqual([]);
    // one pipeline run a project: its project read once, each document read once
    expect(store.projectReads).toBe(2);
    expect(store.documentReads).toBe(4);
    const get = async (p: { id: string }, id: string) =>
      (await call('GET', `/v1/projects/${p.id}/documents/${id}`, adminKey)).body.document;
    for (const [p, id, bytes] of [
      [a, a1, refunds.length],
      [a, a2, shipping.length],
      [b, b1, warranty.length],
    ] as const) {
      const doc = await get(p, id);
      expect(doc).toMatchObject({ status: 'ready', bytes });
      expect(doc.error).toBeUndefined();
      expect(doc.chunks).toBeGreaterThan(0);
      const stored = servers.collection.chunksOf(p.id, id);
      expect(stored).toHaveLength(doc.chunks);
      expect(new Set(stored.map((c) => c.version)).size).toBe(1);
    }
    expect(await get(a, blank)).toMatchObject({
      status: 'failed',
      error: 'the document contains no text',
      chunks: 0,
    });
    expect(servers.collection.chunksOf(a.id, blank)).toEqual([]);
    expect(await documentsUsage(a.id)).toEqual({ documents: 2, bytes: refunds.length + shipping.length });
    expect(await documentsUsage(b.id)).toEqual({ documents: 1, bytes: warranty.length });
    // a text document's text is kept as a marker its original gives it back from
    const kept = await home.landing.forProject(a.id).get(`text/${a2}`);
    const original = await home.landing.forProject(a.id).get(`originals/${a2}`);
    expect(kept?.contentType).toBe(DERIVED_TEXT_TYPE);
    expect(kept && textFromStored(kept, original?.bytes ?? null)).toContain('Canada');

    // the same jobs again (SQS delivers at least once): nothing waits, nothing changes
    const before = await get(a, a1);
    const again = await processBatch(home, sqsEvent(jobA1, jobB1));
    expect(again.batchItemFailures).toEqual([]);
    expect(await get(a, a1)).toEqual(before);
    expect(await documentsUsage(a.id)).toEqual({ documents: 2, bytes: refunds.length + shipping.length });
  });

  it("looks a dropped file's project up once, and reads its document once", async () => {
    const p = await newProject();
    const key = `drop/${p.id}/guides/returns.md`;
    const body = '# Returns\n\nReturned items must be unused and in their original packaging.';
    await home.clients.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'text/markdown' }),
    );
    const notification = s3Notification(BUCKET, key, body.length);
    store.resetCounts();

    const result = await processBatch(home, sqsEvent(notification));

    expect(result.batchItemFailures).toEqual([]);
    expect(store.projectReads).toBe(1);
    expect(store.documentReads).toBe(1); // the lookup by its path, before it is accepted
    const list = await call('GET', '/v1/documents', p.key);
    expect(list.body.documents).toHaveLength(1);
    expect(list.body.documents[0]).toMatchObject({ external_id: key, status: 'ready', title: 'Returns' });
    expect(servers.collection.chunksOf(p.id, list.body.documents[0].id)).toHaveLength(list.body.documents[0].chunks);
  });
});
