process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'oprag-test';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { DynamoTenantStore } from '../../lambdas/adapters/aws/dynamo-tenant-store';
import { ExtractiveGenerator } from '../../lambdas/adapters/local/extractive-generator';
import { DERIVED_TEXT_TYPE } from '../../lambdas/core/stored-text';
import { type AwsHome, composeAws } from '../../lambdas/handlers/compose';
import { ANSWERS_PER_DELIVERY, JOB_ATTEMPTS, processBatch } from '../../lambdas/handlers/worker';
import { type AppContext, makeApp } from '../../lambdas/http/app';
import type { ApiEvent } from '../../lambdas/http/types';
import type { BackgroundJob, IngestQueue, JobQueue } from '../../lambdas/ports';
import { TestClock } from '../helpers/clock';
import { apiEvent } from './api-event';
import { type AwsTestServers, startAwsServers } from './aws-home';
import { sqsEvent } from './queue-events';

const BUCKET = 'oprag-jobs';

/** What the functions would have sent to SQS: the message bodies, with their delays. */
class RecordingJobs implements JobQueue {
  sent: { body: string; delay: number }[] = [];
  async enqueueJob(job: BackgroundJob, delaySeconds = 0) {
    this.sent.push({ body: JSON.stringify(job), delay: delaySeconds });
  }
  take() {
    const out = this.sent;
    this.sent = [];
    return out;
  }
}

/** Documents are made ready inline in these tests: their ingest jobs run at once. */
class InlineIngest implements IngestQueue {
  home: AwsHome | null = null;
  async enqueue(projectId: string, documentId: string) {
    await this.home?.services.documents.processDocuments(projectId, [documentId]);
  }
}

describe('golden runs and exports on the AWS home (dynalite, s3rver, the worker handler)', () => {
  let servers: AwsTestServers;
  let home: AwsHome;
  let jobs: RecordingJobs;
  let adminKey: string;
  const clock = new TestClock();
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read by shape and asserted field by field
  let send: (event: ApiEvent) => Promise<{ status: number; body: any }>;
  const call = (method: string, path: string, key: string, body?: unknown) => send(apiEvent(method, path, key, body));

  beforeAll(async () => {
    servers = await startAwsServers(BUCKET);
    const { config, clients } = servers;
    jobs = new RecordingJobs();
    const ingest = new InlineIngest();
    // Bedrock cannot run here: no embedder, and the extractive answerer
    home = composeAws(config, clients, {
      store: new DynamoTenantStore({ client: clients.dynamo, tableName: config.tableName }),
      index: servers.collection.searchIndex(),
      generator: new ExtractiveGenerator(),
      embedder: null,
      queue: ingest,
      jobs,
      clock,
      settings: { inlineExportMaxBytes: 4096 },
    });
    ingest.home = home;
    const app = makeApp(home.services, { maxBodyBytes: home.settings.maxBodyBytes, logger: home.logger });
    send = async (event) => {
      const res = await app(event, {} as AppContext as Context as AppContext);
      const json = (res.headers?.['content-type'] ?? '').toString().includes('application/json');
      return { status: res.statusCode, body: res.body && json ? JSON.parse(res.body) : res.body };
    };
    adminKey = (await home.services.keys.createCompany('Jobs Co')).api_key.key;
  });

  afterAll(async () => servers.close());

  async function projectWithQuestions(count: number) {
    const created = await call('POST', '/v1/projects', adminKey, { name: 'tenant' });
    expect(created.status).toBe(201);
    const id = created.body.project.id as string;
    const key = created.body.api_key.key as string;
    const doc = await call('POST', '/v1/documents', key, {
      title: 'Returns',
      text: 'Returns are accepted within 30 days of delivery with the receipt.',
    });
    expect(doc.status).toBe(202);
    for (let i = 0; i < count; i++) {
      const q = await call('POST', `/v1/projects/${id}/golden-questions`, adminKey, {
        question: i % 2 ? 'How long are returns accepted?' : 'Within how many days are returns accepted?',
        expected_answer: '30 days',
        approved: true,
      });
      expect(q.status).toBe(201);
    }
    return { id, key };
  }
  /** One worker invocation over the messages the functions sent, as SQS would deliver them. */
  const deliver = async (messages: { body: string }[], receiveCount = 1) => {
    const event = sqsEvent(...messages.map((m) => m.body));
    for (const r of event.Records) r.attributes.ApproximateReceiveCount = String(receiveCount);
    return processBatch(home, event);
  };
  const runOf = async (projectId: string, runId: string) =>
    (await call('GET', `/v1/projects/${projectId}/golden-runs/${runId}`, adminKey)).body.run;

  it('runs in the background in shares a delivery, each result its own item, and ends done', async () => {
    const p = await projectWithQuestions(ANSWERS_PER_DELIVERY + 5);
    const started = await call('POST', `/v1/projects/${p.id}/golden-questions/run`, adminKey, {});
    expect(started.status).toBe(202);
    expect(started.body.run).toMatchObject({ status: 'running', total: ANSWERS_PER_DELIVERY + 5 });
    const runId = started.body.run.id as string;
    expect(JSON.parse(jobs.sent[0].body)).toEqual({ type: 'golden_run', project_id: p.id, run_id: runId });

    expect((await deliver(jobs.take())).batchItemFailures).toEqual([]);
    const halfway = await runOf(p.id, runId);
    expect(halfway).toMatchObject({ status: 'running', total: ANSWERS_PER_DELIVERY + 5 });
    expect(halfway.results).toHaveLength(ANSWERS_PER_DELIVERY);
    // the rest comes back at once
    const again = jobs.take();
    expect(again.map((m) => m.delay)).toEqual([0]);

    // delivered twice (at least once): no answer is counted twice
    expect((await deliver([...again, ...again])).batchItemFailures).toEqual([]);
    const done = await runOf(p.id, runId);
    expect(done).toMatchObject({ status: 'done', passed: ANSWERS_PER_DELIVERY + 5, failed: 0 });
    expect(done.results).toHaveLength(ANSWERS_PER_DELIVERY + 5);
    expect(jobs.take()).toEqual([]);
    const list = await call('GET', `/v1/projects/${p.id}/golden-runs`, adminKey);
    expect(list.body.runs[0]).toMatchObject({ id: runId, status: 'done', passed: ANSWERS_PER_DELIVERY + 5 });
  });

  it('shares chat_per_minute across runs: five runs of 20 give 2 answers in a minute and wait for the next', async () => {
    const p = await projectWithQuestions(20);
    await call('PATCH', `/v1/projects/${p.id}`, adminKey, { limits: { chat_per_minute: 2 } });
    clock.freeze(clock.nextMinute(1000));
    try {
      const runIds: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await call('POST', `/v1/projects/${p.id}/golden-questions/run`, adminKey, {});
        expect(res.status).toBe(202);
        runIds.push(res.body.run.id);
      }
      expect((await deliver(jobs.take())).batchItemFailures).toEqual([]);
      const answered = async () => {
        let n = 0;
        for (const id of runIds) n += (await runOf(p.id, id)).results.length;
        return n;
      };
      expect(await answered()).toBe(2);
      // each run is back on the queue, held until the next minute
      const waiting = jobs.take();
      expect(waiting).toHaveLength(5);
      expect(waiting.every((m) => m.delay === 59)).toBe(true);

      clock.advance(60_000);
      expect((await deliver(waiting)).batchItemFailures).toEqual([]);
      expect(await answered()).toBe(4);
      expect(jobs.take()).toHaveLength(5);
    } finally {
      clock.resume();
    }
  });

  it('holds at most max_golden_questions golden questions on DynamoDB: the next is 409 and the others stay', async () => {
    const p = await projectWithQuestions(2);
    const patched = await call('PATCH', `/v1/projects/${p.id}`, adminKey, { limits: { max_golden_questions: 3 } });
    expect(patched.body.project.limits.max_golden_questions).toBe(3);
    const add = () =>
      call('POST', `/v1/projects/${p.id}/golden-questions`, adminKey, {
        question: 'Where do returns go?',
        approved: true,
      });
    expect((await add()).status).toBe(201);
    const refused = await add();
    expect(refused.status).toBe(409);
    expect(refused.body.error.type).toBe('conflict');
    const list = await call('GET', `/v1/projects/${p.id}/golden-questions`, adminKey);
    expect(list.body.golden_questions).toHaveLength(3);
  });

  it('marks a job failed on its last attempt, and lets SQS retry it before', async () => {
    const p = await projectWithQuestions(1);
    const started = await call('POST', `/v1/projects/${p.id}/golden-questions/run`, adminKey, {});
    const [message] = jobs.take();
    const broken = home.services.jobs.run;
    home.services.jobs.run = async () => {
      throw new Error('the model is down');
    };
    try {
      const early = await deliver([message], 1);
      expect(early.batchItemFailures).toHaveLength(1);
      expect((await runOf(p.id, started.body.run.id)).status).toBe('running');
      const last = await deliver([message], JOB_ATTEMPTS);
      expect(last.batchItemFailures).toEqual([]);
      expect(await runOf(p.id, started.body.run.id)).toMatchObject({
        status: 'failed',
        error: 'the run stopped on an internal error',
      });
    } finally {
      home.services.jobs.run = broken;
    }
  });

  it('writes an export to S3 in the worker and hands out a presigned GET of it', async () => {
    const p = await projectWithQuestions(1);
    const created = await send({
      ...apiEvent('POST', `/v1/projects/${p.id}/exports`, adminKey),
      queryStringParameters: { originals: 'true' },
    });
    expect(created.status).toBe(202);
    const exportId = created.body.export.id as string;
    const running = await call('GET', `/v1/projects/${p.id}/exports/${exportId}`, adminKey);
    expect(running.body.export).toMatchObject({ id: exportId, status: 'running' });
    expect(running.body.export.url).toBeUndefined();

    expect((await deliver(jobs.take())).batchItemFailures).toEqual([]);
    const head = await home.clients.s3.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: `projects/${p.id}/exports/${exportId}` }),
    );
    const ready = (await call('GET', `/v1/projects/${p.id}/exports/${exportId}`, adminKey)).body.export;
    expect(ready).toMatchObject({ status: 'ready', bytes: head.ContentLength });
    const url = new URL(ready.url);
    expect(url.pathname).toBe(`/${BUCKET}/projects/${p.id}/exports/${exportId}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    const file = await fetch(ready.url);
    expect(file.status).toBe(200);
    const lines = (await file.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'project', id: p.id });
    const doc = lines.find((l) => l.type === 'document');
    expect(Buffer.from(doc.content_base64, 'base64').toString()).toContain('30 days');
    // the text of a text document is kept in S3 as a marker that the original gives it back from,
    // and exported whole
    expect(doc.text).toBe('Returns are accepted within 30 days of delivery with the receipt.');
    const kept = await home.clients.s3.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: `projects/${p.id}/text/${doc.id}` }),
    );
    expect([kept.ContentType, (kept.ContentLength ?? 0) < 60]).toEqual([DERIVED_TEXT_TYPE, true]);
    expect(lines.filter((l) => l.type === 'golden_question')).toHaveLength(1);

    // another project's admin path, or another project's key, never reaches it
    const other = await projectWithQuestions(0);
    expect((await call('GET', `/v1/projects/${other.id}/exports/${exportId}`, adminKey)).status).toBe(404);
    expect((await call('GET', `/v1/projects/${p.id}/exports/${exportId}`, other.key)).status).toBe(404);

    // the inline export of 1.0 answers 409 past its limit (4 KB in this test)
    expect((await call('GET', `/v1/projects/${p.id}/export`, adminKey)).status).toBe(200);
    await call('POST', '/v1/documents', p.key, { title: 'Manual', text: 'Every word of the manual. '.repeat(200) });
    const inline = await call('GET', `/v1/projects/${p.id}/export`, adminKey);
    expect(inline.status).toBe(409);
    expect(inline.body.error.message).toContain('/exports');
  });
});
