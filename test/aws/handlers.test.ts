process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'oprag-test';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { createTableForTests } from '../../lambdas/adapters/aws/dynamo-tenant-store';
import { ingestJob } from '../../lambdas/adapters/aws/sqs-queue';
import { ExtractiveGenerator } from '../../lambdas/adapters/local/extractive-generator';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-index';
import { verifySignature } from '../../lambdas/core/webhook-signature';
import { apiHandler } from '../../lambdas/handlers/api';
import { type AwsHome, composeAws } from '../../lambdas/handlers/compose';
import type { AwsConfig } from '../../lambdas/handlers/config';
import { readAwsConfig } from '../../lambdas/handlers/config';
import { processBatch } from '../../lambdas/handlers/worker';
import { type AppContext, makeApp } from '../../lambdas/http/app';
import type { ApiEvent } from '../../lambdas/http/types';
import type { IngestQueue } from '../../lambdas/ports';
import { zip, entry as zipEntry } from '../fixtures/documents';
import { startReceiver } from '../helpers/webhook-receiver';
import { apiEvent } from './api-event';
import { dynamoClient, type RunningServer, s3Client, startDynalite, startS3rver } from './protocol-servers';
import { s3Notification, sqsEvent } from './queue-events';
import { RecordingJobs } from './recording-jobs';

/** An in-memory IngestQueue: what the documents function would have sent to SQS. */
class RecordingQueue implements IngestQueue {
  readonly sent: { projectId: string; documentId: string }[] = [];
  /** each enqueueMany call: what one SqsIngestQueue.enqueueMany sends in SendMessageBatch calls of ten */
  readonly batches: { projectId: string; documentIds: string[] }[] = [];
  async enqueue(projectId: string, documentId: string) {
    this.sent.push({ projectId, documentId });
  }
  async enqueueMany(projectId: string, documentIds: string[]) {
    this.batches.push({ projectId, documentIds });
    for (const documentId of documentIds) this.sent.push({ projectId, documentId });
  }
}

const BUCKET = 'oprag-ingest-test';

describe('the AWS functions, on DynamoDB (dynalite) and S3 (s3rver)', () => {
  let dynamo: RunningServer;
  let s3: RunningServer;
  let indexDir: string;
  let home: AwsHome;
  let queue: RecordingQueue;
  const jobs = new RecordingJobs();
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read by shape and asserted field by field
  let call: (method: string, path: string, key: string, body?: unknown) => Promise<{ status: number; body: any }>;
  let rawCall: (
    method: string,
    path: string,
    key: string,
  ) => Promise<{ statusCode: number; headers: Record<string, string | undefined> }>;
  let adminKey: string;
  let config: AwsConfig;
  let clients: Parameters<typeof composeAws>[1];
  let searchIndex: SqliteSearchIndex;
  /** an event as API Gateway hands it over when every media type is binary: the body base64, as sent */
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read by shape and asserted field by field
  let binaryCall: (event: ApiEvent) => Promise<{ status: number; body: any }>;
  let bodyCall: (
    method: string,
    path: string,
    key: string,
    body?: unknown,
  ) => Promise<{ statusCode: number; headers: Record<string, unknown>; body: string; stream?: unknown }>;

  beforeAll(async () => {
    [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
    indexDir = mkdtempSync(join(tmpdir(), 'oprag-aws-index-'));
    config = readAwsConfig({
      OPRAG_STAGE: 'test',
      AWS_REGION: 'us-east-1',
      OPRAG_TABLE_NAME: 'oprag-test',
      OPRAG_BUCKET_NAME: BUCKET,
      OPRAG_INGEST_QUEUE_URL: 'http://127.0.0.1:9/queue',
      OPRAG_COLLECTIONS: JSON.stringify([{ name: 'c1', endpoint: 'http://127.0.0.1:9' }]),
      OPRAG_EMBED_MODEL_ID: 'amazon.titan-embed-text-v2:0',
      OPRAG_GENERATE_MODEL_ID: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    });
    clients = {
      dynamo: dynamoClient(dynamo.endpoint),
      s3: s3Client(s3.endpoint),
      sqs: new SQSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }),
      bedrock: new BedrockRuntimeClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }),
    };
    await createTableForTests(clients.dynamo, config.tableName);
    await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    queue = new RecordingQueue();
    // OpenSearch Serverless and Bedrock cannot run here: their ports get the embedded adapters
    searchIndex = new SqliteSearchIndex(indexDir);
    home = composeAws(config, clients, {
      index: searchIndex,
      generator: new ExtractiveGenerator(),
      embedder: null,
      queue,
      jobs,
    });
    const app = makeApp(home.services, { maxBodyBytes: home.settings.maxBodyBytes, logger: home.logger });
    binaryCall = async (event) => {
      const res = await app(event, {} as AppContext as Context as AppContext);
      return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
    };
    bodyCall = async (method, path, key, body) => {
      const res = await app(apiEvent(method, path, key, body), {} as AppContext as Context as AppContext);
      return { statusCode: res.statusCode, headers: res.headers ?? {}, body: res.body, stream: res.stream };
    };
    call = async (method, path, key, body) => {
      const res = await app(apiEvent(method, path, key, body), {} as AppContext as Context as AppContext);
      return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
    };
    rawCall = async (method, path, key) => {
      const res = await app(apiEvent(method, path, key), {} as AppContext as Context as AppContext);
      const headers = Object.fromEntries(Object.entries(res.headers ?? {}).map(([k, v]) => [k, String(v)]));
      return { statusCode: res.statusCode, headers };
    };
    adminKey = (await home.services.keys.createCompany('Cloud Co')).api_key.key;
  });

  afterAll(async () => {
    await Promise.all([dynamo.close(), s3.close()]);
    rmSync(indexDir, { recursive: true, force: true });
  });

  async function newProject() {
    const res = await call('POST', '/v1/projects', adminKey, { name: 'tenant' });
    expect(res.status).toBe(201);
    return { id: res.body.project.id as string, key: res.body.api_key.key as string };
  }

  it('serves the API on the AWS set, and the worker processes the queued document', async () => {
    const p = await newProject();
    const posted = await call('POST', '/v1/documents', p.key, {
      title: 'Travel policy',
      url: '/kb/travel',
      text: 'Economy class is required for flights under six hours.',
    });
    expect(posted.status).toBe(202);
    expect(queue.sent.at(-1)).toEqual({ projectId: p.id, documentId: posted.body.document.id });

    const result = await processBatch(home, sqsEvent(JSON.stringify(ingestJob(p.id, posted.body.document.id))));
    expect(result.batchItemFailures).toEqual([]);
    const doc = await call('GET', `/v1/documents/${posted.body.document.id}`, p.key);
    expect(doc.body.document.status).toBe('ready');
    const chat = await call('POST', '/v1/chat', p.key, { question: 'Which class is required for short flights?' });
    expect(chat.body.grounded).toBe(true);
    expect(chat.body.citations[0]).toMatchObject({ document_id: posted.body.document.id, url: '/kb/travel' });
  });

  it('takes a batch on DynamoDB: records written, the accepted ones queued together, a bad item refused alone', async () => {
    const p = await newProject();
    const other = await newProject();
    const sentBefore = queue.sent.length;

    const foreign = await call('POST', `/v1/projects/${p.id}/documents/batch`, other.key, {
      documents: [{ text: 'planted' }],
    });
    expect(foreign.status).toBe(404);
    expect(queue.sent.length).toBe(sentBefore);

    const res = await call('POST', '/v1/documents/batch', p.key, {
      documents: [
        { text: 'Parking is free for visitors on weekends.', external_id: 'kb/parking', title: 'Parking' },
        { text: '' },
        { text: 'Badges are collected at the front desk.', external_id: 'kb/badges' },
      ],
    });

    expect(res.status).toBe(202);
    const [parking, empty, badges] = res.body.documents;
    expect(empty).toMatchObject({ error: { type: 'invalid_request' } });
    expect(queue.batches.at(-1)).toEqual({ projectId: p.id, documentIds: [parking.document.id, badges.document.id] });
    for (const d of [parking, badges]) {
      expect((await call('GET', `/v1/documents/${d.document.id}`, p.key)).body.document.status).toBe('queued');
    }
    const jobsSent = queue.batches.at(-1)?.documentIds.map((id) => JSON.stringify(ingestJob(p.id, id))) ?? [];
    expect((await processBatch(home, sqsEvent(...jobsSent))).batchItemFailures).toEqual([]);
    const listed = await call('GET', '/v1/documents', p.key);
    expect(listed.body.documents.map((d: { status: string }) => d.status)).toEqual(['ready', 'ready']);

    // the same content again under the same external ids: left alone, nothing queued
    const again = await call('POST', '/v1/documents/batch', p.key, {
      documents: [
        { text: 'Parking is free for visitors on weekends.', external_id: 'kb/parking' },
        { text: 'Badges are collected at reception from now on.', external_id: 'kb/badges' },
      ],
    });
    expect(again.body.documents[0]).toMatchObject({ unchanged: true, document: { id: parking.document.id } });
    expect(again.body.documents[1]).toMatchObject({ document: { id: badges.document.id, status: 'queued' } });
    expect(queue.batches.at(-1)?.documentIds).toEqual([badges.document.id]);
    expect((await call('GET', '/v1/documents', other.key)).body.documents).toEqual([]);
  });

  it('changes a document on DynamoDB at once and its chunks in the worker: the next answer cites the new title and url', async () => {
    const p = await newProject();
    const other = await newProject();
    const posted = await call('POST', '/v1/documents', p.key, {
      title: 'Travel policy',
      url: '/kb/travel',
      tags: ['draft'],
      text: 'Economy class is required for flights under six hours.',
    });
    const id = posted.body.document.id as string;
    await processBatch(home, sqsEvent(JSON.stringify(ingestJob(p.id, id))));
    const before = (await call('GET', `/v1/documents/${id}`, p.key)).body.document;
    jobs.take();

    expect((await call('PATCH', `/v1/projects/${p.id}/documents/${id}`, other.key, { title: 'x' })).status).toBe(404);
    expect((await call('PATCH', `/v1/documents/${id}`, other.key, { title: 'x' })).status).toBe(404);
    const bad = await call('PATCH', `/v1/documents/${id}`, p.key, { title: 'x', status: 'ready' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.type).toBe('invalid_request');
    expect((await call('GET', `/v1/documents/${id}`, p.key)).body.document).toEqual(before);
    expect(jobs.sent).toEqual([]);

    const patched = await call('PATCH', `/v1/documents/${id}`, p.key, {
      title: 'Flights handbook',
      url: '/kb/flights',
      tags: ['travel'],
      metadata: { region: 'eu' },
    });

    expect(patched.status).toBe(200);
    expect(patched.body.document).toMatchObject({
      id,
      title: 'Flights handbook',
      url: '/kb/flights',
      tags: ['travel'],
      metadata: { region: 'eu' },
      status: 'ready',
    });
    expect((await call('GET', `/v1/documents/${id}`, p.key)).body.document).toEqual(patched.body.document);
    const queued = jobs.take();
    expect(queued).toEqual([{ type: 'relabel', project_id: p.id, document_id: id }]);

    // the worker has not relabelled the chunks yet: answers cite the record's new values all the same
    const question = 'Which class is required for short flights?';
    const chat = await call('POST', '/v1/chat', p.key, { question });
    expect(chat.body.grounded).toBe(true);
    expect(chat.body.citations[0]).toMatchObject({ document_id: id, title: 'Flights handbook', url: '/kb/flights' });
    const retrieved = await call('POST', '/v1/retrieve', p.key, { query: 'economy class flights' });
    expect(retrieved.body.results[0]).toMatchObject({ document_id: id, title: 'Flights handbook', url: '/kb/flights' });
    // another project's key sees nothing of it
    expect((await call('POST', '/v1/chat', other.key, { question })).body.citations).toEqual([]);

    // the worker's relabel: then the tag filter sees the new tags too, and the chunks hold the new values
    expect((await processBatch(home, sqsEvent(...queued.map((j) => JSON.stringify(j))))).batchItemFailures).toEqual([]);
    const filtered = await call('POST', '/v1/chat', p.key, { question, filter: { tags: ['travel'] } });
    expect(filtered.body.grounded).toBe(true);
    expect(filtered.body.citations[0]).toMatchObject({
      document_id: id,
      title: 'Flights handbook',
      url: '/kb/flights',
    });
    expect((await call('POST', '/v1/chat', p.key, { question, filter: { tags: ['draft'] } })).body.citations).toEqual(
      [],
    );
    expect((await call('GET', `/v1/documents/${id}`, p.key)).body.document).toEqual(patched.body.document);
  });

  it('records a failed authentication by key prefix in the company audit on DynamoDB, a revoked key with its id', async () => {
    const p = await newProject();
    const keys = await call('GET', `/v1/projects/${p.id}/keys`, adminKey);
    const keyId = keys.body.keys[0].id as string;
    expect((await call('DELETE', `/v1/projects/${p.id}/keys/${keyId}`, adminKey)).status).toBe(200);
    expect((await call('POST', '/v1/retrieve', p.key, { query: 'anything' })).status).toBe(401);
    // a key no one holds, sharing the admin key's display prefix
    const forged = `${adminKey.slice(0, 12)}${'x'.repeat(37)}`;
    expect((await call('GET', '/v1/me', forged)).status).toBe(401);

    const audit = await call('GET', '/v1/company/audit', adminKey);
    expect(audit.status).toBe(200);
    const [unknown, revoked] = audit.body.events.filter((e: { action: string }) => e.action === 'auth.failed');
    expect(unknown).toMatchObject({
      actor: { type: 'company_key', key_id: null },
      outcome: 'denied',
      detail: { key_prefix: adminKey.slice(0, 12), reason: 'unknown_key', route: 'me' },
    });
    expect(revoked).toMatchObject({
      actor: { type: 'project_key', key_id: keyId },
      detail: { key_prefix: p.key.slice(0, 12), reason: 'revoked', route: 'retrieve' },
    });
  });

  it("serves 1.1's rules on the AWS set: /v1/me, stats, top_k 100, the 4 MB body, audit filters", async () => {
    const p = await newProject();
    const other = await newProject();
    // what a key is: a project key learns its own project, a company key its role and no project
    const mine = await call('GET', '/v1/me', p.key);
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({
      key: { kind: 'project', prefix: p.key.slice(0, 12), scopes: ['query', 'ingest'], expires_at: null },
      company: { name: 'Cloud Co' },
      project: { id: p.id, name: 'tenant' },
    });
    expect(mine.body.key).not.toHaveProperty('role');
    const company = await call('GET', '/v1/me', adminKey);
    expect(company.body.key).toMatchObject({ kind: 'company', role: 'admin' });
    expect(company.body).not.toHaveProperty('project');

    const posted = await call('POST', '/v1/documents', p.key, {
      title: 'Loading dock',
      text: 'The loading dock opens at six. Forklifts are charged overnight in bay four.',
    });
    expect(posted.status).toBe(202);
    expect(
      (await processBatch(home, sqsEvent(JSON.stringify(ingestJob(p.id, posted.body.document.id))))).batchItemFailures,
    ).toEqual([]);

    // the project list carries each project's stats
    const list = await call('GET', '/v1/projects?limit=100', adminKey);
    expect(list.status).toBe(200);
    const listed = list.body.projects.find((x: { id: string }) => x.id === p.id);
    expect(listed.stats).toMatchObject({ documents: 1, bytes: expect.any(Number) });
    expect(listed.stats.chunks).toBeGreaterThan(0);

    // retrieve takes top_k up to 100, and refuses 101 with the error body
    const hundred = await call('POST', '/v1/retrieve', p.key, { query: 'forklifts charged', top_k: 100 });
    expect(hundred.status).toBe(200);
    expect(hundred.body.results[0].document_id).toBe(posted.body.document.id);
    const over = await call('POST', '/v1/retrieve', p.key, { query: 'forklifts', top_k: 101 });
    expect([over.status, over.body.error.type]).toEqual([400, 'invalid_request']);

    // more than 4 MB of document in a body is 413 naming uploads, and nothing is kept
    const big = await call('POST', '/v1/documents', p.key, { text: 'numbat '.repeat(700_000), external_id: 'too-big' });
    expect([big.status, big.body.error.type]).toEqual([413, 'payload_too_large']);
    expect(big.body.error.message).toMatch(/4 MB; send larger files through uploads/);

    const docs = await call('GET', '/v1/documents?limit=200', p.key);
    expect(docs.body.documents.map((d: { id: string }) => d.id)).toEqual([posted.body.document.id]);

    // the project audit's filters, on DynamoDB; another project's key is 404 and reads nothing
    expect((await call('GET', `/v1/projects/${p.id}/keys`, p.key)).status).toBe(403);
    const retrieves = await call('GET', `/v1/projects/${p.id}/audit?action=retrieve`, adminKey);
    expect(retrieves.status).toBe(200);
    expect(retrieves.body.events.length).toBeGreaterThanOrEqual(1);
    expect(retrieves.body.events.every((e: { action: string }) => e.action === 'retrieve')).toBe(true);
    const denied = await call('GET', `/v1/projects/${p.id}/audit?outcome=denied`, adminKey);
    expect(denied.body.events.map((e: { action: string }) => e.action)).toEqual(['keys.list']);
    const keyId = mine.body.key.id as string;
    const byKey = await call('GET', `/v1/projects/${p.id}/audit?key_id=${keyId}&limit=2`, adminKey);
    expect(byKey.body.events).toHaveLength(2);
    expect(byKey.body.events.every((e: { actor: { key_id: string } }) => e.actor.key_id === keyId)).toBe(true);
    expect(byKey.body.next_cursor).toEqual(expect.any(String));
    const future = encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString());
    expect((await call('GET', `/v1/projects/${p.id}/audit?from=${future}`, adminKey)).body.events).toEqual([]);
    const malformed = await call('GET', `/v1/projects/${p.id}/audit?outcome=maybe`, adminKey);
    expect([malformed.status, malformed.body.error.type]).toEqual([400, 'invalid_request']);
    expect((await call('GET', `/v1/projects/${p.id}/audit`, other.key)).status).toBe(404);
  });

  it('posts signed document.ready and document.failed webhooks from the worker, to the project that set them', async () => {
    const receiver = await startReceiver();
    try {
      // a home that may post to loopback (the receiver); everything else as above
      const hooked = composeAws(config, clients, {
        index: searchIndex,
        generator: new ExtractiveGenerator(),
        embedder: null,
        queue,
        jobs,
        settings: { allowPrivateUrls: true },
      });
      const app = makeApp(hooked.services, { maxBodyBytes: hooked.settings.maxBodyBytes, logger: hooked.logger });
      const hookedCall = async (method: string, path: string, key: string, body?: unknown) => {
        const res = await app(apiEvent(method, path, key, body), {} as AppContext as Context as AppContext);
        return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
      };
      const p = await newProject();
      const quiet = await newProject(); // no webhook_url: none of its events are sent anywhere
      const set = await hookedCall('PATCH', `/v1/projects/${p.id}`, adminKey, { webhook_url: receiver.url });
      expect(set.status).toBe(200);
      const secret = set.body.project.webhook_secret as string;
      expect(secret).toMatch(/^whsec_/);
      expect((await hookedCall('GET', `/v1/projects/${p.id}`, adminKey)).body.project).not.toHaveProperty(
        'webhook_secret',
      );

      const good = await hookedCall('POST', '/v1/documents', p.key, { text: 'Returns are collected on Tuesdays.' });
      const bad = await hookedCall('POST', '/v1/documents', p.key, {
        text: 'animal,diet\nmanatee,"sea grass\n',
        filename: 'diets.csv',
      });
      const elsewhere = await hookedCall('POST', '/v1/documents', quiet.key, { text: 'Nothing to announce.' });
      for (const [project, doc] of [
        [p.id, good],
        [p.id, bad],
        [quiet.id, elsewhere],
      ] as const) {
        const batch = await processBatch(hooked, sqsEvent(JSON.stringify(ingestJob(project, doc.body.document.id))));
        expect(batch.batchItemFailures).toEqual([]);
      }

      // the worker waits for its deliveries before it returns
      expect(receiver.deliveries.map((d) => [d.json.type, d.json.document.id])).toEqual([
        ['document.ready', good.body.document.id],
        ['document.failed', bad.body.document.id],
      ]);
      for (const d of receiver.deliveries) {
        expect(d.json).toMatchObject({ id: d.headers['x-oprag-event-id'], project_id: p.id });
        const ts = Number(d.headers['x-oprag-timestamp']);
        expect(verifySignature(secret, ts, d.body, d.headers['x-oprag-signature'] as string, 0, ts)).toBe(true);
        expect(verifySignature(`${secret}x`, ts, d.body, d.headers['x-oprag-signature'] as string, 0, ts)).toBe(false);
      }
      expect(receiver.deliveries[1].json.document.error).toMatch(/quote/);
      const audit = await hookedCall('GET', `/v1/projects/${p.id}/audit?action=webhook.delivery`, adminKey);
      expect(audit.body.events).toHaveLength(2);
    } finally {
      await receiver.close();
    }
  });

  it('refuses a JSON body holding invalid UTF-8 with 400 naming the byte offset, as API Gateway passes it (base64)', async () => {
    const p = await newProject();
    const bytes = Buffer.concat([Buffer.from('{"question":"caf'), Buffer.from([0xff]), Buffer.from('"}')]);
    const event = { ...apiEvent('POST', '/v1/chat', p.key), body: bytes.toString('base64'), isBase64Encoded: true };
    const res = await binaryCall(event);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      type: 'invalid_request',
      message: 'the body is not valid UTF-8: the sequence at byte offset 16 is malformed',
    });
    // a document's text cut inside a sequence: refused, and nothing stored
    const doc = Buffer.concat([Buffer.from('{"text":"Price: 5 '), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]);
    const posted = await binaryCall({
      ...apiEvent('POST', '/v1/documents', p.key),
      body: doc.toString('base64'),
      isBase64Encoded: true,
    });
    expect(posted.status).toBe(400);
    expect(posted.body.error.message).toContain('byte offset 18');
    expect((await call('GET', '/v1/documents', p.key)).body.documents).toEqual([]);
    // the same body well-formed is read
    const good = Buffer.from('{"question":"café?"}');
    const ok = await binaryCall({
      ...apiEvent('POST', '/v1/chat', p.key),
      body: good.toString('base64'),
      isBase64Encoded: true,
    });
    expect(ok.status).toBe(200);
  });

  it('refuses a ZIP that is not a DOCX and an RTF file with 415 on the functions, storing and queueing nothing', async () => {
    const p = await newProject();
    const queued = queue.sent.length;
    const archive = zip([zipEntry('manual/intro.md', '# Intro\n\nThe archive holds a manual.')]);
    const rtf = Buffer.from('{\\rtf1\\ansi {\\fonttbl {\\f0 Times;}} The warehouse is in Lyon.}', 'latin1');
    for (const [bytes, filename, reason] of [
      [archive, 'manual.docx', /ZIP archive but not a DOCX/],
      [archive, 'manual.zip', /ZIP archive but not a DOCX/],
      [rtf, 'letter.rtf', /RTF/],
    ] as const) {
      const res = await call('POST', '/v1/documents', p.key, { content_base64: bytes.toString('base64'), filename });
      expect({ filename, status: res.status, type: res.body.error.type }).toEqual({
        filename,
        status: 415,
        type: 'unsupported_media_type',
      });
      expect(res.body.error.message).toMatch(reason);
    }
    expect((await call('GET', '/v1/documents', p.key)).body.documents).toEqual([]);
    expect(queue.sent.length).toBe(queued);
  });

  it('answers stream: true as one body of every event, on /v1/chat and /v1/chat/completions', async () => {
    const p = await newProject();
    const posted = await call('POST', '/v1/documents', p.key, {
      title: 'Travel policy',
      text: 'Economy class is required for flights under six hours. Business class is allowed on longer flights.',
    });
    expect(posted.status).toBe(202);
    const batch = await processBatch(home, sqsEvent(JSON.stringify(ingestJob(p.id, posted.body.document.id))));
    expect(batch.batchItemFailures).toEqual([]);
    const question = 'Which class is required for flights under six hours?';
    const chat = await bodyCall('POST', '/v1/chat', p.key, { question, stream: true });
    expect(chat.statusCode).toBe(200);
    expect(chat.stream).toBeUndefined();
    expect(chat.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(chat.body).toMatch(/^event: delta\ndata: /);
    const done = JSON.parse((chat.body.match(/event: done\ndata: (.*)\n\n$/) as RegExpMatchArray)[1]);
    expect(done.grounded).toBe(true);

    const plain = await call('POST', '/v1/chat/completions', p.key, {
      messages: [{ role: 'user', content: question }],
    });
    expect(plain.status).toBe(200);
    expect(plain.body.choices[0].message.content).toBe(done.answer);
    expect(plain.body.oprag.citations).toEqual(done.citations);
    const streamed = await bodyCall('POST', '/v1/chat/completions', p.key, {
      stream: true,
      messages: [{ role: 'user', content: question }],
    });
    expect(streamed.body.endsWith('data: [DONE]\n\n')).toBe(true);

    // the streamed calls are audited with what they answered, as the plain ones are
    const audit = await call('GET', `/v1/projects/${p.id}/audit`, adminKey);
    expect(audit.status).toBe(200);
    const answered = audit.body.events.filter((e: { action: string }) =>
      ['chat', 'chat.completions'].includes(e.action),
    );
    expect(answered).toHaveLength(3);
    for (const e of answered) expect(e.detail).toMatchObject({ grounded: true, refused: false });
  });

  it("hands out a document's original as a short-lived S3 link (302), never through the function", async () => {
    const p = await newProject();
    const text = 'Pallets are stacked at most three high in aisle nine.';
    const posted = await call('POST', '/v1/documents', p.key, { text, filename: 'pallets.txt' });
    expect(posted.status).toBe(202);
    const res = await rawCall('GET', `/v1/documents/${posted.body.document.id}/content`, p.key);
    expect(res.statusCode).toBe(302);
    expect(res.headers['cache-control']).toBe('no-store');
    const location = new URL(String(res.headers.location));
    expect(location.pathname).toContain(`projects/${p.id}/originals/${posted.body.document.id}`);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('300');
    // the link is S3's own: s3rver serves the bytes, named and typed as the document
    const file = await fetch(location);
    expect(file.status).toBe(200);
    expect(await file.text()).toBe(text);
    expect(file.headers.get('content-type')).toBe('text/plain');
    expect(file.headers.get('content-disposition')).toBe("inline; filename*=UTF-8''pallets.txt");
    // another project's key gets the same 404 as for a document that does not exist
    const other = await newProject();
    const foreign = await rawCall('GET', `/v1/documents/${posted.body.document.id}/content`, other.key);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.headers.location).toBeUndefined();
  });

  it("answers with API Gateway's request id: its header, the chat answer, an error body and the audit", async () => {
    const handler = apiHandler(() => home);
    const lambdaContext = { awsRequestId: 'lambda-invocation-1', getRemainingTimeInMillis: () => 5000 } as Context;
    const withId = (event: ReturnType<typeof apiEvent>, requestId: string) => ({
      ...event,
      requestContext: { ...event.requestContext, requestId },
    });
    const p = await newProject();

    const chat = await handler(
      withId(apiEvent('POST', '/v1/chat', p.key, { question: 'Which class is required?' }), 'a1b2c3d4-chat'),
      lambdaContext,
    );
    expect(chat.statusCode).toBe(200);
    expect(chat.headers?.['x-request-id']).toBe('a1b2c3d4-chat');
    expect(JSON.parse(chat.body).request_id).toBe('a1b2c3d4-chat');

    const bad = await handler(withId(apiEvent('POST', '/v1/chat', p.key, {}), 'a1b2c3d4-bad'), lambdaContext);
    expect(bad.statusCode).toBe(400);
    expect(bad.headers?.['x-request-id']).toBe('a1b2c3d4-bad');
    expect(JSON.parse(bad.body).error.request_id).toBe('a1b2c3d4-bad');

    const audit = await call('GET', `/v1/projects/${p.id}/audit`, adminKey);
    const byId = (id: string) => audit.body.events.filter((e: { request_id: string }) => e.request_id === id);
    expect(byId('a1b2c3d4-chat')).toEqual([expect.objectContaining({ action: 'chat', outcome: 'success' })]);
    expect(byId('a1b2c3d4-bad')).toEqual([expect.objectContaining({ action: 'chat', outcome: 'failed' })]);
  });

  it('ingests an S3 drop from its notification, with the object key as external_id', async () => {
    const p = await newProject();
    const key = `drop/${p.id}/hand book/leave policy.md`;
    const body = '# Leave\n\nEmployees receive 27 days of paid leave.';
    await home.clients.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'text/markdown' }),
    );
    const result = await processBatch(home, sqsEvent(s3Notification(BUCKET, key, body.length)));
    expect(result.batchItemFailures).toEqual([]);
    const list = await call('GET', '/v1/documents', p.key);
    expect(list.body.documents).toHaveLength(1);
    expect(list.body.documents[0]).toMatchObject({ external_id: key, status: 'ready', title: 'Leave' });
    const chat = await call('POST', '/v1/chat', p.key, { question: 'How many days of paid leave?' });
    expect(chat.body.answer).toContain('27 days');
  });

  it('ingests a presigned upload when its object lands, under the promised document id', async () => {
    const p = await newProject();
    const created = await call('POST', `/v1/projects/${p.id}/uploads`, adminKey, {
      filename: 'faq.txt',
      content_type: 'text/plain',
      title: 'FAQ',
    });
    expect(created.status).toBe(201);
    const upload = created.body.upload;
    const url = new URL(upload.url);
    expect(url.pathname).toMatch(new RegExp(`/${BUCKET}/uploads/${p.id}/upl_[0-9a-z]{26}$`));
    const text = 'The office opens at eight in the morning.';
    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: text });
    expect(put.status).toBe(200);
    const objectKey = decodeURIComponent(url.pathname.slice(`/${BUCKET}/`.length));

    const result = await processBatch(home, sqsEvent(s3Notification(BUCKET, objectKey, text.length)));
    expect(result.batchItemFailures).toEqual([]);
    const doc = await call('GET', `/v1/projects/${p.id}/documents/${upload.document_id}`, adminKey);
    expect(doc.body.document).toMatchObject({ status: 'ready', title: 'FAQ', bytes: text.length });
    await expect(home.clients.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: objectKey }))).rejects.toThrow();
    // the same notification again (S3 delivers at least once) is acknowledged, not re-ingested
    const again = await processBatch(home, sqsEvent(s3Notification(BUCKET, objectKey, text.length)));
    expect(again.batchItemFailures).toEqual([]);
    const after = await call('GET', `/v1/projects/${p.id}/documents/${upload.document_id}`, adminKey);
    expect(after.body.document.updated_at).toBe(doc.body.document.updated_at);
  });

  it('binds a presigned upload to its size: content-length signed and handed back, over 100 MB refused at creation', async () => {
    const p = await newProject();
    const other = await newProject();
    const text = 'The library closes at nine in the evening.';

    const bound = await call('POST', '/v1/uploads', p.key, {
      filename: 'hours.txt',
      content_type: 'text/plain',
      size: text.length,
    });
    const huge = await call('POST', '/v1/uploads', p.key, {
      filename: 'huge.txt',
      content_type: 'text/plain',
      size: 100 * 2 ** 20 + 1,
    });
    const crossed = await call('POST', `/v1/projects/${p.id}/uploads`, other.key, {
      filename: 'hours.txt',
      content_type: 'text/plain',
      size: 10,
    });

    expect(bound.status).toBe(201);
    expect(bound.body.upload.headers).toEqual({ 'content-type': 'text/plain', 'content-length': String(text.length) });
    expect(new URL(bound.body.upload.url).searchParams.get('X-Amz-SignedHeaders')?.split(';')).toContain(
      'content-length',
    );
    expect(huge.status).toBe(413);
    expect(huge.body.error).toMatchObject({ type: 'payload_too_large' });
    expect(huge.body.error.request_id).toEqual(expect.any(String));
    expect(crossed.status).toBe(404);
    expect((await call('GET', '/v1/documents', p.key)).body.documents).toEqual([]);
  });

  it('acknowledges messages that can never succeed, and asks SQS to retry the others', async () => {
    const p = await newProject();
    const ghostKey = `drop/prj_00000000000000000000000000/x.txt`;
    await home.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: ghostKey, Body: 'orphan' }));
    const missingKey = `drop/${p.id}/never-written.txt`;
    const event = sqsEvent(
      s3Notification(BUCKET, ghostKey, 6), // no such project: permanent
      JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: BUCKET }), // test event: ignored
      'not json at all', // garbage: ignored
      s3Notification(BUCKET, missingKey, 3), // the object is gone: nothing to do
      JSON.stringify(ingestJob(p.id, 'doc_00000000000000000000000000')), // a deleted document: nothing to do
    );
    const result = await processBatch(home, event);
    expect(result.batchItemFailures).toEqual([]);
    const list = await call('GET', '/v1/documents', p.key);
    expect(list.body.documents).toEqual([]);
  });

  it('asks SQS to retry a message when a dependency fails', async () => {
    const broken = composeAws(
      home.config,
      { ...home.clients, s3: s3Client('http://127.0.0.1:9') },
      {
        index: new SqliteSearchIndex(indexDir),
        generator: new ExtractiveGenerator(),
        embedder: null,
        queue,
      },
    );
    const p = await newProject();
    const event = sqsEvent(s3Notification(BUCKET, `drop/${p.id}/a.txt`, 3));
    const result = await processBatch(broken, event);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0].messageId }]);
    const list = await call('GET', '/v1/documents', p.key);
    expect(list.body.documents).toEqual([]);
  });

  it('refuses to start without its configuration', () => {
    expect(() => readAwsConfig({})).toThrow(/OPRAG_COLLECTIONS|OPRAG_TABLE_NAME/);
    expect(() =>
      readAwsConfig({
        OPRAG_TABLE_NAME: 't',
        OPRAG_BUCKET_NAME: 'b',
        OPRAG_INGEST_QUEUE_URL: 'q',
        OPRAG_COLLECTIONS: '{"not":"a list"}',
        OPRAG_EMBED_MODEL_ID: 'e',
        OPRAG_GENERATE_MODEL_ID: 'g',
      }),
    ).toThrow(/OPRAG_COLLECTIONS must be a JSON array/);
  });
});
