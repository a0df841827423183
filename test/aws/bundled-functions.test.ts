process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'; // Lambda runs Node 22; this machine, 20

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createTableForTests } from '../../lambdas/adapters/aws/dynamo-tenant-store';
import { ingestJob } from '../../lambdas/adapters/aws/sqs-queue';
import { newId } from '../../lambdas/core/ids';
import { DEFAULT_READ_LIMITS } from '../../lambdas/core/read-limits';
import { composeAws } from '../../lambdas/handlers/compose';
import { readAwsConfig } from '../../lambdas/handlers/config';
import { bundle } from '../helpers/bundle';
import { apiEvent } from './api-event';
import { FakeBedrock } from './bedrock-fake';
import { FakeCollection, searchReply } from './opensearch-fake';
import {
  dynamoClient,
  type RunningServer,
  S3RVER_CREDENTIALS,
  s3Client,
  startDynalite,
  startS3rver,
} from './protocol-servers';
import { s3Notification, sqsEvent } from './queue-events';

/**
 * The functions as they ship: each bundle built as `cdk synth` builds it (the AWS SDK inside,
 * ES module builds, minified), run in a Node process of its own with nothing but its environment
 * and no node_modules in reach, its handler called with API Gateway events one after another as a
 * warm container is. DynamoDB is dynalite and S3 is s3rver, reached through the standard
 * `AWS_ENDPOINT_URL_*` variables; OpenSearch and Bedrock are scripted fakes on loopback.
 */

const BUCKET = 'oprag-bundled-test';
const DIMENSIONS = 256;

/**
 * Runs a bundle's handler in a child process: one JSON event per line in, one JSON result per line
 * out. A response-streaming handler (the query function) gets the runtime's `awslambda` global as
 * the runtime gives it: a Writable whose wrapper writes the metadata JSON and 8 null bytes before
 * the first write; its output is read back into a proxy result.
 */
const RUNNER = `
const { Writable } = require('node:stream');
globalThis.awslambda = {
  streamifyResponse: (handler) => Object.assign(handler, { streamed: true }),
  HttpResponseStream: {
    from(stream, metadata) {
      stream.setContentType('application/vnd.awslambda.http-integration-response');
      stream._onBeforeFirstWrite = (write) => {
        write(JSON.stringify(metadata));
        write(new Uint8Array(8));
      };
      return stream;
    },
  },
};
const { handler } = require(process.argv[2]);
const context = { functionName: 'oprag-test', awsRequestId: 'req', getRemainingTimeInMillis: () => 600_000 }; // the worker's 10 minutes; the API functions take less of it
async function invoke(event) {
  if (!handler.streamed) return handler(event, context);
  const pieces = [];
  const stream = new Writable({ write(chunk, _encoding, done) { pieces.push(Buffer.from(chunk)); done(); } });
  stream.setContentType = () => {};
  const write = stream.write.bind(stream);
  stream.write = (chunk, ...rest) => {
    const before = stream._onBeforeFirstWrite;
    stream._onBeforeFirstWrite = null;
    if (before) before((c) => write(c));
    return write(chunk, ...rest);
  };
  await handler(event, stream, context);
  const all = Buffer.concat(pieces);
  const at = all.indexOf(Buffer.alloc(8));
  return { ...JSON.parse(all.subarray(0, at).toString()), body: all.subarray(at + 8).toString() };
}
const lines = require('node:readline').createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  queue = queue.then(async () => {
    try {
      process.stdout.write(JSON.stringify({ ok: await invoke(JSON.parse(line)) }) + '\\n');
    } catch (e) {
      process.stdout.write(JSON.stringify({ thrown: String(e && e.stack || e) }) + '\\n');
    }
  });
});
`;

class BundledFunction {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  private exited: Error | null = null;
  stderr = '';

  constructor(file: string, runner: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--enable-source-maps', runner, file], { env, cwd: tmpdir() });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.resolve(line));
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    // a bundle that cannot even load fails the test with its own error, instead of a timeout
    this.child.on('exit', (code) => {
      this.exited = new Error(`the function's process exited (${code}):\n${this.stderr}`);
      for (const w of this.waiting.splice(0)) w.reject(this.exited);
    });
  }

  // biome-ignore lint/suspicious/noExplicitAny: results are read by shape and asserted field by field
  async invoke(event: unknown): Promise<any> {
    if (this.exited) throw this.exited;
    const line = new Promise<string>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.child.stdin.write(`${JSON.stringify(event)}\n`);
    const out = JSON.parse(await line) as { ok?: unknown; thrown?: string };
    if (out.thrown) throw new Error(`the handler threw: ${out.thrown}\n${this.stderr}`);
    return out.ok;
  }

  close() {
    this.child.kill();
  }
}

describe('the bundled functions, run as Lambda runs them', () => {
  let dynamo: RunningServer;
  let s3: RunningServer;
  let collection: FakeCollection;
  let bedrock: FakeBedrock;
  let dir: string;
  let control: BundledFunction;
  let query: BundledFunction;
  let worker: BundledFunction;
  let reader: BundledFunction;
  let adminKey: string;

  beforeAll(async () => {
    [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
    collection = await new FakeCollection().start();
    bedrock = await new FakeBedrock((call) => ({
      body: {
        embedding: Array.from({ length: DIMENSIONS }, (_, i) => (i === 0 ? 1 : 0)),
        inputTextTokenCount: String((call.body as { inputText?: string }).inputText ?? '').split(' ').length,
      },
    })).start();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      OPRAG_STAGE: 'test',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock.url,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      OPRAG_TABLE_NAME: 'oprag-bundled',
      OPRAG_BUCKET_NAME: BUCKET,
      OPRAG_INGEST_QUEUE_URL: 'http://127.0.0.1:9/queue',
      OPRAG_COLLECTIONS: JSON.stringify([{ name: 'c1', endpoint: collection.url }]),
      OPRAG_EMBED_MODEL_ID: 'amazon.titan-embed-text-v2:0',
      OPRAG_EMBED_DIMENSIONS: String(DIMENSIONS),
      OPRAG_GENERATE_MODEL_ID: 'anthropic.claude-3-5-haiku-20241022-v1:0',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_METRICS_NAMESPACE: 'oprag-test',
    };
    // the company and its admin key, written by the same store code through the test's own client
    const config = readAwsConfig(env);
    const clients = {
      dynamo: dynamoClient(dynamo.endpoint),
      s3: s3Client(s3.endpoint),
      sqs: new SQSClient({ region: 'us-east-1' }),
      bedrock: bedrock.client(),
    };
    await createTableForTests(clients.dynamo, config.tableName);
    await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    adminKey = (await composeAws(config, clients).services.keys.createCompany('Bundle Co')).api_key.key;

    dir = mkdtempSync(join(tmpdir(), 'oprag-bundled-'));
    const runner = join(dir, 'runner.js');
    writeFileSync(runner, RUNNER);
    control = new BundledFunction(bundle('control', dir).outfile, runner, env);
    query = new BundledFunction(bundle('query', dir).outfile, runner, env);
    // Lambda's Invoke API on loopback, handing each call to the bundled reader as Lambda would
    lambda = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const payload = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        invocations.push({ method: req.method ?? '', path: req.url ?? '', payload });
        const answer = await reader.invoke(payload);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => lambda.listen(0, '127.0.0.1', resolve));
    const address = lambda.address() as { port: number };
    worker = new BundledFunction(bundle('worker', dir).outfile, runner, {
      ...env,
      OPRAG_READER_FUNCTION: 'oprag-test-reader',
      AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${address.port}`,
    });
    // the document reader is told only its stage and bucket, as the stack tells it
    const readerEnv = Object.fromEntries(
      Object.entries(env).filter(([k]) => !k.startsWith('OPRAG_') || ['OPRAG_STAGE', 'OPRAG_BUCKET_NAME'].includes(k)),
    );
    reader = new BundledFunction(bundle('reader', dir).outfile, runner, readerEnv);
  }, 60_000);

  afterAll(async () => {
    control?.close();
    query?.close();
    worker?.close();
    reader?.close();
    lambda?.close();
    await Promise.all([dynamo?.close(), s3?.close(), collection?.close(), bedrock?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let lambda: Server;
  const invocations: { method: string; path: string; payload: { projectId: string; source: { key?: string } } }[] = [];
  let projectId = '';
  let projectKey = '';

  it('creates a project: its records in DynamoDB, its index in the OpenSearch collection', async () => {
    collection.on('GET', '/_cat/indices/oprag-*', { body: [] });
    collection.on('PUT', '/oprag-*', { body: { acknowledged: true } });
    const created = await control.invoke(apiEvent('POST', '/v1/projects', adminKey, { name: 'Bundled tenant' }));
    const body = JSON.parse(created.body);
    expect({ status: created.statusCode, body }).toMatchObject({ status: 201 });
    projectId = body.project.id;
    projectKey = body.api_key.key;
    expect(body.project.name).toBe('Bundled tenant');
    const put = collection.received.find((r) => r.method === 'PUT');
    expect(put?.path).toBe(`/oprag-${projectId}`);
    // signed by the bundled SDK's default credential chain, for OpenSearch Serverless
    expect(put?.headers.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=${S3RVER_CREDENTIALS.accessKeyId}/\\d{8}/us-east-1/aoss/aws4_request`),
    );

    // the list shows each project's stats: its chunks are counted in its index
    collection.on('GET', `/oprag-${projectId}/_count`, { body: { count: 0 } });
    const list = await control.invoke(apiEvent('GET', '/v1/projects', adminKey));
    expect(list.statusCode).toBe(200);
    expect(JSON.parse(list.body).projects).toEqual([
      expect.objectContaining({ id: projectId, stats: { documents: 0, chunks: 0, bytes: 0 } }),
    ]);
  });

  it('answers bad keys and bad input with the contract error bodies', async () => {
    const denied = await control.invoke(apiEvent('GET', '/v1/projects', 'oprag_ak_not-a-real-key'));
    expect(denied.statusCode).toBe(401);
    expect(JSON.parse(denied.body).error.type).toBe('unauthorized');
    const bad = await control.invoke(apiEvent('POST', '/v1/projects', adminKey, { name: '' }));
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error.type).toBe('invalid_request');
    const other = await control.invoke(apiEvent('GET', '/v1/projects', projectKey));
    expect(other.statusCode).toBe(403);
  });

  it('hands out a presigned upload URL that S3 accepts', async () => {
    const created = await control.invoke(
      apiEvent('POST', `/v1/projects/${projectId}/uploads`, adminKey, {
        filename: 'faq.txt',
        content_type: 'text/plain',
      }),
    );
    expect(created.statusCode).toBe(201);
    const upload = JSON.parse(created.body).upload;
    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: 'The office opens at eight.' });
    expect(put.status).toBe(200);
    const key = decodeURIComponent(new URL(upload.url).pathname.slice(`/${BUCKET}/`.length));
    const stored = await s3Client(s3.endpoint).send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await stored.Body?.transformToString()).toBe('The office opens at eight.');
  });

  it('retrieves: the question embedded by Bedrock, the search sent to the project index', async () => {
    collection.on('POST', `/oprag-${projectId}/_search`, searchReply([]));
    const res = await query.invoke(
      apiEvent('POST', '/v1/retrieve', projectKey, { query: 'when does the office open' }),
    );
    expect({ status: res.statusCode, body: JSON.parse(res.body) }).toMatchObject({
      status: 200,
      body: { results: [] },
    });
    expect(bedrock.calls.map((c) => `${c.method} ${c.path}`)).toContain(
      'POST /model/amazon.titan-embed-text-v2%3A0/invoke',
    );
    expect(collection.calls()).toContain(`POST /oprag-${projectId}/_search`);
  });

  it('the worker takes an SQS batch and acknowledges the jobs that can never succeed', async () => {
    const record = (messageId: string, body: string) => ({
      messageId,
      receiptHandle: 'rh',
      body,
      attributes: {},
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:oprag-ingest',
      awsRegion: 'us-east-1',
    });
    const gone = JSON.stringify(ingestJob(projectId, 'doc_00000000000000000000000000'));
    const acked = await worker.invoke({ Records: [record('m1', gone), record('m2', 'not json')] });
    expect(acked).toEqual({ batchItemFailures: [] });
  });

  it('the document reader reads an original in its bundled thread and answers its chunks', async () => {
    const project = newId('project');
    const key = `projects/${project}/originals/doc_bundled`;
    await s3Client(s3.endpoint).send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '# Billing\n\nInvoices are sent monthly.\n' }),
    );

    const answer = await reader.invoke({
      projectId: project,
      type: 'text/markdown',
      limits: DEFAULT_READ_LIMITS,
      source: { bucket: BUCKET, key },
    });

    expect(answer.ok.drafts).toEqual([
      { ordinal: 0, section: 'Billing', page: null, text: 'Invoices are sent monthly.' },
    ]);
  });

  it('the worker hands a dropped file to the reader function through Lambda Invoke, and writes the chunks it answers to the index', async () => {
    const key = `drop/${projectId}/billing.md`;
    const body = '# Billing\n\nInvoices are sent on the first day of each month.\n';
    await s3Client(s3.endpoint).send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    collection.on('HEAD', `/oprag-${projectId}`, { body: {} });
    collection.on('POST', `/oprag-${projectId}/_bulk`, { body: { errors: false, items: [] } });
    collection.on('POST', `/oprag-${projectId}/_search`, { body: searchReply([]) });
    collection.on('POST', `/oprag-${projectId}/_count`, { body: { count: 1 } });
    collection.on('GET', `/oprag-${projectId}/_count`, { body: { count: 1 } });

    // (what follows the write, the scripted collection does not play out: only the write is asserted)
    await worker.invoke(sqsEvent(s3Notification(BUCKET, key, Buffer.byteLength(body))));

    // one synchronous call of the named function, with the stored original of this project
    expect(invocations).toHaveLength(1);
    expect(invocations[0].method).toBe('POST');
    expect(invocations[0].path).toBe('/2015-03-31/functions/oprag-test-reader/invocations');
    expect(invocations[0].payload.projectId).toBe(projectId);
    expect(invocations[0].payload.source.key).toMatch(new RegExp(`^projects/${projectId}/originals/doc_`));
    // the reader's chunk reached the index: the worker embedded and wrote what it answered
    const bulk = collection.received.filter((r) => r.method === 'POST' && r.path.endsWith('/_bulk'));
    expect(JSON.stringify(bulk.map((r) => r.body))).toContain('Invoices are sent on the first day of each month.');
  });
});
