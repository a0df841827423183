process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'oprag-test';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { BedrockTitanEmbedder } from '../../lambdas/adapters/aws/bedrock-embedder';
import { ingestJob } from '../../lambdas/adapters/aws/sqs-queue';
import { ExtractiveGenerator } from '../../lambdas/adapters/local/extractive-generator';
import { type AwsHome, composeAws } from '../../lambdas/handlers/compose';
import { processBatch, START_MARGIN_MS } from '../../lambdas/handlers/worker';
import type { IngestQueue } from '../../lambdas/ports';
import { type AwsTestServers, appCaller, type Call, startAwsServers } from './aws-home';
import { type BedrockCall, FakeBedrock } from './bedrock-fake';
import { s3Notification, sqsEvent } from './queue-events';

const BUCKET = 'oprag-bounded';
const MAX_BYTES = 64 * 1024;
const DIMENSIONS = 256;
const RESERVE_MS = 100_000;
/** simulated time each embedding call takes: the remaining-time function counts it down */
const CALL_MS = 1000;

class RecordingQueue implements IngestQueue {
  readonly sent: string[] = [];
  async enqueue(projectId: string, documentId: string) {
    this.sent.push(JSON.stringify(ingestJob(projectId, documentId)));
  }
}

/** A notification as S3 writes it, without the object's size (the worker then learns it from the read). */
const withoutSize = (notification: string) => {
  const parsed = JSON.parse(notification);
  delete parsed.Records[0].s3.object.size;
  return JSON.stringify(parsed);
};

describe('the worker within bounds: size refused unread, embeddings resumed, time budgeted (dynalite, s3rver, fake Bedrock)', () => {
  let servers: AwsTestServers;
  let bedrock: FakeBedrock;
  let queue: RecordingQueue;
  let home: AwsHome;
  let adminKey: string;
  /** what the invocation has left, in simulated milliseconds; each Bedrock call spends CALL_MS */
  let left = Number.POSITIVE_INFINITY;
  /** SQS on a loopback port: the calls the worker makes (X-Amz-Target and JSON body) */
  let sqsServer: Server;
  let sqsCalls: {
    target: string;
    body: { QueueUrl: string; Entries: { Id: string; ReceiptHandle: string; VisibilityTimeout: number }[] };
  }[] = [];
  let call: Call;

  beforeAll(async () => {
    bedrock = await new FakeBedrock((c: BedrockCall) => {
      left -= CALL_MS;
      const text = (c.body as { inputText: string }).inputText;
      const embedding = Array.from({ length: DIMENSIONS }, (_, i) => (i === text.length % DIMENSIONS ? 1 : 0));
      return { body: { embedding, inputTextTokenCount: 1 } };
    }).start();
    servers = await startAwsServers(BUCKET, { OPRAG_EMBED_DIMENSIONS: String(DIMENSIONS) });
    sqsServer = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString());
        sqsCalls.push({ target: String(req.headers['x-amz-target']), body });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ Successful: body.Entries.map((e: { Id: string }) => ({ Id: e.Id })), Failed: [] }));
      });
    });
    await new Promise<void>((resolve) => sqsServer.listen(0, '127.0.0.1', resolve));
    const sqsEndpoint = `http://127.0.0.1:${(sqsServer.address() as AddressInfo).port}`;
    const { config } = servers;
    const clients = {
      ...servers.clients,
      sqs: new SQSClient({
        region: 'us-east-1',
        endpoint: sqsEndpoint,
        credentials: { accessKeyId: 'AKIDOPRAGTEST', secretAccessKey: 'oprag-test-secret' },
      }),
      bedrock: bedrock.client(),
    };
    queue = new RecordingQueue();
    home = composeAws(config, clients, {
      index: servers.collection.searchIndex(DIMENSIONS),
      generator: new ExtractiveGenerator(),
      // the real Titan adapter against the fake endpoint, one call at a time so the count is exact
      embedder: new BedrockTitanEmbedder({
        client: clients.bedrock,
        modelId: config.embedModelId,
        dimensions: DIMENSIONS,
        concurrency: 1,
      }),
      queue,
      settings: {
        auditRetentionDays: config.auditTtlDays,
        maxUploadBytes: MAX_BYTES,
        embedBatchSize: 2,
        embedCheckpointChunks: 4,
        ingestReserveMs: RESERVE_MS,
      },
    });
    call = appCaller(home);
    adminKey = (await home.services.keys.createCompany('Bounded Co')).api_key.key;
  });

  afterAll(async () => {
    await Promise.all([servers.close(), bedrock.close()]);
    await new Promise((resolve) => sqsServer.close(resolve));
  });

  beforeEach(() => {
    left = Number.POSITIVE_INFINITY;
    sqsCalls = [];
  });

  async function newProject() {
    const res = await call('POST', '/v1/projects', adminKey, { name: 'tenant' });
    expect(res.status).toBe(201);
    return { id: res.body.project.id as string, key: res.body.api_key.key as string };
  }

  const getDoc = async (p: { key: string }, id: string) => call('GET', `/v1/documents/${id}`, p.key);

  const objectExists = (key: string) =>
    home.clients.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
      () => true,
      () => false,
    );

  it('refuses an upload from the size in its notification, unread: the promised document fails with the reason, the object goes, and the URL is used up', async () => {
    const p = await newProject();
    const other = await newProject();
    const created = await call('POST', '/v1/uploads', p.key, { filename: 'huge.txt', content_type: 'text/plain' });
    expect(created.status).toBe(201);
    const { url, document_id } = created.body.upload;
    const key = decodeURIComponent(new URL(url).pathname).replace(`/${BUCKET}/`, '');
    expect(key).toMatch(new RegExp(`^uploads/${p.id}/upl_`));
    // a small object, but the notification says 200 MB: the size is trusted before any byte is read
    await home.clients.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'small', ContentType: 'text/plain' }),
    );
    const huge = 200 * 2 ** 20;
    const calls = bedrock.calls.length;

    const result = await processBatch(home, sqsEvent(s3Notification(BUCKET, key, huge)));

    expect(result.batchItemFailures).toEqual([]);
    const doc = await getDoc(p, document_id);
    expect(doc.status).toBe(200);
    expect(doc.body.document).toMatchObject({ status: 'failed', chunks: 0, bytes: huge, filename: 'huge.txt' });
    expect(doc.body.document.error).toBe('the file is 200 MB; a file may be at most 0.1 MB');
    expect(bedrock.calls.length).toBe(calls);
    expect(await objectExists(key)).toBe(false);
    // another project's key cannot see it
    expect((await getDoc(other, document_id)).status).toBe(404);
    // delivered again: acknowledged, nothing changes
    const again = await processBatch(home, sqsEvent(s3Notification(BUCKET, key, huge)));
    expect(again.batchItemFailures).toEqual([]);
    expect((await getDoc(p, document_id)).body.document).toEqual(doc.body.document);
  });

  it('refuses a dropped object whose notification has no size from its Content-Length, and keeps the object', async () => {
    const p = await newProject();
    const key = `drop/${p.id}/big/notes.txt`;
    const body = 'x'.repeat(MAX_BYTES + 1);
    await home.clients.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'text/plain' }),
    );

    const result = await processBatch(home, sqsEvent(withoutSize(s3Notification(BUCKET, key, body.length))));

    expect(result.batchItemFailures).toEqual([]);
    const list = await call('GET', '/v1/documents', p.key);
    expect(list.body.documents).toHaveLength(1);
    expect(list.body.documents[0]).toMatchObject({
      external_id: key,
      status: 'failed',
      bytes: MAX_BYTES + 1,
      chunks: 0,
      error: 'the file is 0.1 MB; a file may be at most 0.1 MB',
    });
    expect(await objectExists(key)).toBe(true);
    // one at the limit is read as usual
    const fits = `drop/${p.id}/fits.txt`;
    const fitting = `Warranty terms. ${'y'.repeat(100)}`;
    await home.clients.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: fits, Body: fitting, ContentType: 'text/plain' }),
    );
    expect(
      (await processBatch(home, sqsEvent(s3Notification(BUCKET, fits, fitting.length)))).batchItemFailures,
    ).toEqual([]);
    const docs = (await call('GET', '/v1/documents', p.key)).body.documents as {
      external_id: string;
      status: string;
    }[];
    expect(docs.find((d) => d.external_id === fits)).toMatchObject({ status: 'ready' });
  });

  it('resumes a document cut short by its time budget where it stopped: no chunk embedded twice, usage counted once, no steps left behind', async () => {
    const p = await newProject();
    const sections = Array.from(
      { length: 40 },
      (_, i) =>
        `## Section ${i}\n\nPolicy clause number ${i} says that item ${i} ships within ${i + 1} days of the order.`,
    );
    const posted = await call('POST', '/v1/documents', p.key, {
      title: 'Handbook',
      text: sections.join('\n\n'),
      content_type: 'text/markdown',
    });
    expect(posted.status).toBe(202);
    const id = posted.body.document.id as string;
    const message = queue.sent.at(-1) as string;
    expect(message).toContain(id);
    const before = bedrock.calls.length;

    // three steps of four chunks fit before the reserve is reached; the fourth is not started
    left = RESERVE_MS + 3 * 4 * CALL_MS - 500;
    const first = processBatch(home, sqsEvent(message), () => left);
    const firstResult = await first;

    expect(firstResult.batchItemFailures).toHaveLength(1);
    // handed back for lack of time: visible again at once, not after the visibility timeout
    expect(sqsCalls).toEqual([
      {
        target: 'AmazonSQS.ChangeMessageVisibilityBatch',
        body: {
          QueueUrl: 'http://127.0.0.1:9/queue',
          Entries: [{ Id: '0', ReceiptHandle: 'rh', VisibilityTimeout: 0 }],
        },
      },
    ]);
    expect(bedrock.calls.length - before).toBe(12);
    const cut = (await getDoc(p, id)).body.document;
    expect(cut).toMatchObject({ status: 'processing', chunks: 0 });
    expect(servers.collection.chunksOf(p.id, id)).toEqual([]);
    const kept = await home.clients.s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `projects/${p.id}/embeddings/${id}_` }),
    );
    expect(kept.Contents).toHaveLength(3);

    // the next delivery, with time to spare
    left = 10 * 60_000;
    const second = await processBatch(home, sqsEvent(message), () => left);

    expect(second.batchItemFailures).toEqual([]);
    expect(sqsCalls).toHaveLength(1);
    const done = (await getDoc(p, id)).body.document;
    expect(done.status).toBe('ready');
    expect(done.chunks).toBeGreaterThan(12);
    expect(bedrock.calls.length - before).toBe(done.chunks);
    const texts = bedrock.calls.slice(before).map((c) => (c.body as { inputText: string }).inputText);
    expect(new Set(texts).size).toBe(texts.length);
    const stored = servers.collection.chunksOf(p.id, id);
    expect(stored).toHaveLength(done.chunks);
    for (const c of stored) expect((c.vector as number[]).length).toBe(DIMENSIONS);
    const usage = await call('GET', `/v1/projects/${p.id}/usage`, adminKey);
    const units = (usage.body.usage as { embedding_units: number }[]).reduce((s, d) => s + d.embedding_units, 0);
    expect(units).toBe(done.chunks);
    const after = await home.clients.s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `projects/${p.id}/embeddings/` }),
    );
    expect(after.Contents ?? []).toEqual([]);
  });

  it('starts no message with less than its start margin left: every one goes back to the queue untouched', async () => {
    const p = await newProject();
    const posted = await call('POST', '/v1/documents', p.key, { title: 'Late', text: 'Returns take ten days.' });
    const id = posted.body.document.id as string;
    const message = queue.sent.at(-1) as string;
    const calls = bedrock.calls.length;

    const result = await processBatch(home, sqsEvent(message, message), () => START_MARGIN_MS);

    expect(result.batchItemFailures).toHaveLength(2);
    expect(sqsCalls.map((c) => c.body.Entries.length)).toEqual([2]);
    expect(bedrock.calls.length).toBe(calls);
    expect((await getDoc(p, id)).body.document.status).toBe('queued');
  });
});
