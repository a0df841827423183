process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'oprag-test';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { createTableForTests } from '../../lambdas/adapters/aws/dynamo-tenant-store';
import { ingestJob } from '../../lambdas/adapters/aws/sqs-queue';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-index';
import { streamingApiHandler } from '../../lambdas/handlers/api';
import { type AwsHome, composeAws } from '../../lambdas/handlers/compose';
import { readAwsConfig } from '../../lambdas/handlers/config';
import type { LambdaStreamingRuntime, ResponseStream } from '../../lambdas/handlers/response-stream';
import { processBatch } from '../../lambdas/handlers/worker';
import type { IngestQueue } from '../../lambdas/ports';
import { ScriptedGenerator } from '../helpers/scripted-generator';
import { apiEvent } from './api-event';
import { dynamoClient, type RunningServer, s3Client, startDynalite, startS3rver } from './protocol-servers';
import { sqsEvent } from './queue-events';

const DELIMITER = Buffer.alloc(8);

/**
 * The response stream the Lambda runtime hands a streaming function, as its source behaves: each
 * write recorded as one piece, and the metadata a `HttpResponseStream.from` wrapper set written as
 * its JSON then 8 null bytes, just before the first write.
 */
class FakeResponseStream implements ResponseStream {
  readonly writes: Buffer[] = [];
  contentType: string | null = null;
  ended = 0;
  beforeFirstWrite: ((write: (chunk: string | Uint8Array) => void) => void) | null = null;
  private waiters: { until: (s: FakeResponseStream) => boolean; resolve: () => void }[] = [];

  setContentType(type: string) {
    this.contentType = type;
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.ended) throw new Error('write after end');
    const before = this.beforeFirstWrite;
    this.beforeFirstWrite = null;
    before?.((c) => this.writes.push(Buffer.from(c)));
    this.writes.push(Buffer.from(chunk));
    const ready = this.waiters.filter((w) => w.until(this));
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
    return true;
  }

  end() {
    this.ended += 1;
  }

  /** Resolves once the writes so far satisfy `until`. */
  waitFor(until: (s: FakeResponseStream) => boolean): Promise<void> {
    if (until(this)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ until, resolve }));
  }

  /** The metadata API Gateway reads, and the body pieces after the delimiter. */
  parsed() {
    expect(this.writes.length).toBeGreaterThanOrEqual(3);
    expect(this.writes[1].equals(DELIMITER)).toBe(true);
    return {
      metadata: JSON.parse(this.writes[0].toString('utf8')) as { statusCode: number; headers: Record<string, string> },
      body: this.writes.slice(2).map((b) => b.toString('utf8')),
    };
  }
}

/** The runtime's `awslambda`, as its HttpResponseStream.from behaves. */
const runtime: LambdaStreamingRuntime = {
  streamifyResponse: (handler) => handler,
  HttpResponseStream: {
    from(stream, metadata) {
      const fake = stream as FakeResponseStream;
      fake.setContentType('application/vnd.awslambda.http-integration-response');
      fake.beforeFirstWrite = (write) => {
        write(JSON.stringify(metadata));
        write(new Uint8Array(8));
      };
      return fake;
    },
  },
};

class RecordingQueue implements IngestQueue {
  async enqueue() {}
}

const BUCKET = 'oprag-streaming-test';
const QUESTION = 'Which class is required for flights under six hours?';

describe('the query function behind a response-streaming integration', () => {
  let dynamo: RunningServer;
  let s3: RunningServer;
  let indexDir: string;
  let home: AwsHome;
  let generator: ScriptedGenerator;
  let handler: ReturnType<typeof streamingApiHandler>;
  let project: { id: string; key: string };
  let other: { id: string; key: string };
  let adminKey: string;
  const context = { awsRequestId: 'lambda-1', getRemainingTimeInMillis: () => 120_000 } as Context;

  const invoke = (event: ReturnType<typeof apiEvent>) => {
    const stream = new FakeResponseStream();
    return { stream, done: handler(event, stream, context) };
  };

  beforeAll(async () => {
    [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
    indexDir = mkdtempSync(join(tmpdir(), 'oprag-streaming-index-'));
    const config = readAwsConfig({
      OPRAG_STAGE: 'test',
      AWS_REGION: 'us-east-1',
      OPRAG_TABLE_NAME: 'oprag-streaming',
      OPRAG_BUCKET_NAME: BUCKET,
      OPRAG_INGEST_QUEUE_URL: 'http://127.0.0.1:9/queue',
      OPRAG_COLLECTIONS: JSON.stringify([{ name: 'c1', endpoint: 'http://127.0.0.1:9' }]),
      OPRAG_EMBED_MODEL_ID: 'amazon.titan-embed-text-v2:0',
      OPRAG_GENERATE_MODEL_ID: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    });
    const clients = {
      dynamo: dynamoClient(dynamo.endpoint),
      s3: s3Client(s3.endpoint),
      sqs: new SQSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }),
      bedrock: new BedrockRuntimeClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }),
    };
    await createTableForTests(clients.dynamo, config.tableName);
    await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    generator = new ScriptedGenerator({ units: 7 });
    // OpenSearch Serverless and Bedrock cannot run here: the index is the embedded one, the
    // generator a scripted one that streams
    home = composeAws(config, clients, {
      index: new SqliteSearchIndex(indexDir),
      generator,
      embedder: null,
      queue: new RecordingQueue(),
    });
    handler = streamingApiHandler(runtime, () => home);
    adminKey = (await home.services.keys.createCompany('Stream Co')).api_key.key;

    const newProject = async (name: string) => {
      const { stream, done } = invoke(apiEvent('POST', '/v1/projects', adminKey, { name }));
      await done;
      const created = JSON.parse(stream.parsed().body.join(''));
      return { id: created.project.id as string, key: created.api_key.key as string };
    };
    [project, other] = [await newProject('tenant'), await newProject('other tenant')];
    const posted = invoke(
      apiEvent('POST', '/v1/documents', project.key, {
        title: 'Travel policy',
        url: '/kb/travel',
        text: 'Economy class is required for flights under six hours. Business class is allowed on longer flights.',
      }),
    );
    await posted.done;
    const documentId = JSON.parse(posted.stream.parsed().body.join('')).document.id as string;
    const batch = await processBatch(home, sqsEvent(JSON.stringify(ingestJob(project.id, documentId))));
    expect(batch.batchItemFailures).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([dynamo?.close(), s3?.close()]);
    if (indexDir) rmSync(indexDir, { recursive: true, force: true });
  });

  it('writes the status and headers first, then each event as the answer is produced, and `done` last', async () => {
    const { stream, done } = invoke(apiEvent('POST', '/v1/chat', project.key, { question: QUESTION, stream: true }));

    // the generator is held after its first sentence: that sentence is already on its way
    await stream.waitFor((s) => s.writes.some((w) => w.toString().startsWith('event: delta')));
    const early = stream.parsed();
    expect(stream.contentType).toBe('application/vnd.awslambda.http-integration-response');
    expect(early.metadata.statusCode).toBe(200);
    expect(early.metadata.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(early.metadata.headers['x-request-id']).toBe('r1');
    expect(early.body).toHaveLength(1);
    expect(early.body[0]).toMatch(/^event: delta\ndata: \{"text":"Economy class is required/);
    expect(stream.ended).toBe(0);

    generator.release.open();
    await done;
    const { body } = stream.parsed();
    // one write per event, each a whole Server-Sent Event
    for (const piece of body) expect(piece).toMatch(/^event: (delta|done)\ndata: .*\n\n$/s);
    const deltas = body.filter((p) => p.startsWith('event: delta'));
    expect(deltas.length).toBeGreaterThanOrEqual(2);
    expect(body.at(-1)).toMatch(/^event: done\n/);
    expect(body.filter((p) => p.startsWith('event: done'))).toHaveLength(1);
    const answer = JSON.parse(body.at(-1)!.slice('event: done\ndata: '.length));
    expect(answer).toMatchObject({ grounded: true, request_id: 'r1' });
    expect(deltas.map((d) => JSON.parse(d.slice('event: delta\ndata: '.length)).text).join('')).toBe(answer.answer);
    expect(answer.answer).toMatch(/Business class/);
    expect(stream.ended).toBe(1);

    // the streamed answer is audited once it has ended, with what it answered
    const audit = invoke(apiEvent('GET', `/v1/projects/${project.id}/audit`, adminKey));
    await audit.done;
    const events = JSON.parse(audit.stream.parsed().body.join('')).events as { action: string; detail: unknown }[];
    expect(events.find((e) => e.action === 'chat')?.detail).toMatchObject({ grounded: true });
  });

  it('answers a request without stream: true as one JSON body, through the same function', async () => {
    generator.release.open();
    const { stream, done } = invoke(apiEvent('POST', '/v1/chat', project.key, { question: QUESTION }));
    await done;
    const { metadata, body } = stream.parsed();

    expect(metadata.statusCode).toBe(200);
    expect(metadata.headers['content-type']).toBe('application/json');
    expect(body).toHaveLength(1);
    expect(JSON.parse(body[0])).toMatchObject({ grounded: true, citations: [{ url: '/kb/travel' }] });
    expect(stream.ended).toBe(1);
  });

  it('streams the OpenAI-compatible chunks, ending with [DONE]', async () => {
    generator.release.open();
    const { stream, done } = invoke(
      apiEvent('POST', '/v1/chat/completions', project.key, {
        stream: true,
        messages: [{ role: 'user', content: QUESTION }],
      }),
    );
    await done;
    const { metadata, body } = stream.parsed();

    expect(metadata.statusCode).toBe(200);
    expect(metadata.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(body.length).toBeGreaterThanOrEqual(4);
    expect(JSON.parse(body[0].slice('data: '.length)).choices[0].delta.role).toBe('assistant');
    expect(body.at(-1)).toBe('data: [DONE]\n\n');
  });

  it("refuses another project's key and a bad key with the contract's error body, before any event", async () => {
    const cases = [
      { key: other.key, path: `/v1/projects/${project.id}/chat`, status: 404, type: 'not_found' },
      {
        key: adminKey.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')),
        path: '/v1/chat',
        status: 401,
        type: 'unauthorized',
      },
    ];
    for (const c of cases) {
      const { stream, done } = invoke(apiEvent('POST', c.path, c.key, { question: QUESTION, stream: true }));
      await done;
      const { metadata, body } = stream.parsed();

      expect(metadata.statusCode).toBe(c.status);
      expect(metadata.headers['content-type']).toBe('application/json');
      expect(body).toHaveLength(1);
      expect(JSON.parse(body[0])).toMatchObject({ error: { type: c.type, request_id: 'r1' } });
      expect(body[0]).not.toMatch(/Economy|event:/);
    }
  });
});
