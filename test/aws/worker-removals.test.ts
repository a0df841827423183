process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'oprag-test';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ExtractiveGenerator } from '../../lambdas/adapters/local/extractive-generator';
import { type AwsHome, composeAws } from '../../lambdas/handlers/compose';
import { processBatch, sweep } from '../../lambdas/handlers/worker';
import { type AppContext, makeApp } from '../../lambdas/http/app';
import type { BackgroundJob, IngestQueue, ProjectIndex, SearchIndex } from '../../lambdas/ports';
import { TestClock } from '../helpers/clock';
import { apiEvent } from './api-event';
import { type AwsTestServers, startAwsServers } from './aws-home';
import type { MemoryCollection } from './opensearch-memory';
import { sqsEvent } from './queue-events';
import { RecordingJobs } from './recording-jobs';

const BUCKET = 'oprag-removals';

/** A clock whose sleeps move it: a wait ends when the clock says so, never by wall time. */
class SteppingClock extends TestClock {
  slept = 0;
  async sleep(ms: number) {
    this.slept += ms;
    this.advance(ms);
  }
}

/**
 * The memory collection behind a switch: while `stalled`, every call to a project's index
 * never settles, as an OpenSearch collection that takes forever to show a write. A request
 * path that touched it would never answer.
 */
class StallableIndex implements SearchIndex {
  stalled = false;
  calls = 0;
  /** runs after a relabel's rewrite, before the worker looks at the record again */
  afterRelabel: (() => Promise<void>) | null = null;
  constructor(private readonly inner: SearchIndex) {}
  createProject(projectId: string) {
    return this.inner.createProject(projectId);
  }
  forProject(projectId: string, placement?: string | null): ProjectIndex {
    const index = this.inner.forProject(projectId, placement);
    return new Proxy(index, {
      get: (target, prop) => {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          this.calls++;
          if (this.stalled) return new Promise(() => {});
          const result = await value.apply(target, args);
          if (prop === 'relabelDocument' && this.afterRelabel) await this.afterRelabel();
          return result;
        };
      },
    });
  }
}

/** Ingest jobs run at once when `inline`; otherwise they are only recorded (a lost message). */
class SwitchableIngest implements IngestQueue {
  home: AwsHome | null = null;
  inline = true;
  sent: { projectId: string; documentId: string }[] = [];
  async enqueue(projectId: string, documentId: string) {
    this.sent.push({ projectId, documentId });
    if (this.inline) await this.home?.services.documents.processDocuments(projectId, [documentId]);
  }
}

describe('removals, relabels and waits on the AWS home belong to the worker (dynalite, s3rver, OpenSearch in memory)', () => {
  let servers: AwsTestServers;
  let collection: MemoryCollection;
  let client: S3Client;
  let home: AwsHome;
  let index: StallableIndex;
  let adminKey: string;
  const clock = new SteppingClock();
  const ingest = new SwitchableIngest();
  const jobs = new RecordingJobs();
  let remainingMs = 29_000;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read by shape and asserted field by field
  let call: (method: string, path: string, key: string, body?: unknown) => Promise<{ status: number; body: any }>;

  beforeAll(async () => {
    servers = await startAwsServers(BUCKET);
    ({ collection, s3: client } = servers);
    index = new StallableIndex(collection.searchIndex());
    home = composeAws(servers.config, servers.clients, {
      index,
      generator: new ExtractiveGenerator(),
      embedder: null,
      queue: ingest,
      jobs,
      clock,
    });
    ingest.home = home;
    const app = makeApp(home.services, { maxBodyBytes: home.settings.maxBodyBytes, logger: home.logger });
    call = async (method, path, key, body) => {
      const context = { getRemainingTimeInMillis: () => remainingMs } as unknown as AppContext;
      const [route, query] = path.split('?');
      const event = apiEvent(method, route, key, body);
      event.queryStringParameters = query ? Object.fromEntries(new URLSearchParams(query)) : null;
      const res = await app(event, context);
      return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
    };
    adminKey = (await home.services.keys.createCompany('Removals Co')).api_key.key;
  });

  afterEach(() => {
    index.stalled = false;
    index.afterRelabel = null;
    ingest.inline = true;
    remainingMs = 29_000;
    clock.resume();
    jobs.take();
  });

  afterAll(async () => {
    await servers.close();
  });

  async function newProject() {
    const res = await call('POST', '/v1/projects', adminKey, { name: 'tenant' });
    expect(res.status).toBe(201);
    return { id: res.body.project.id as string, key: res.body.api_key.key as string };
  }
  async function readyDocument(key: string, text: string) {
    const res = await call('POST', '/v1/documents', key, { title: 'Refunds', text });
    expect(res.status).toBe(202);
    const doc = (await call('GET', `/v1/documents/${res.body.document.id}`, key)).body.document;
    expect(doc.status).toBe('ready');
    return doc as { id: string; chunks: number };
  }
  const keysUnder = async (Prefix: string) =>
    ((await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix }))).Contents ?? []).map((o) => o.Key);
  const deliver = (queued: BackgroundJob[]) => processBatch(home, sqsEvent(...queued.map((j) => JSON.stringify(j))));

  it('?wait=true answers 202 with the document in progress once its budget is spent, never touching the index', async () => {
    const p = await newProject();
    ingest.inline = false; // the worker is slow: nothing settles the document
    index.stalled = true;
    remainingMs = 10_000; // the budget is the function's remaining time less the answer's margin
    const start = clock.freeze().getTime();
    clock.slept = 0;
    const res = await call('POST', '/v1/documents?wait=true', p.key, { text: 'Refunds take 30 days.' });
    expect(res.status).toBe(202);
    expect(res.body.document.status).toBe('queued');
    expect(clock.slept).toBe(8000);
    expect(clock.now().getTime() - start).toBeLessThanOrEqual(home.settings.waitBudgetMs);
    expect(ingest.sent.at(-1)).toEqual({ projectId: p.id, documentId: res.body.document.id });
  });

  it('?wait=true is bounded by the wait budget when the function has more time, and 201 once the worker is done', async () => {
    const p = await newProject();
    ingest.inline = false;
    clock.freeze();
    clock.slept = 0;
    remainingMs = 15 * 60_000;
    const slow = await call('POST', '/v1/documents?wait=true', p.key, { text: 'Exchanges take 14 days.' });
    expect(slow.status).toBe(202);
    expect(clock.slept).toBe(home.settings.waitBudgetMs);

    ingest.inline = true; // the worker settles it before the first look
    const quick = await call('POST', '/v1/documents?wait=true', p.key, { text: 'Warranty lasts 2 years.' });
    expect(quick.status).toBe(201);
    expect(quick.body.document.status).toBe('ready');
  });

  it('?wait=true answers 422 unprocessable with the failed document once the worker could not read it', async () => {
    const p = await newProject();
    ingest.inline = true;
    clock.freeze();
    remainingMs = 15 * 60_000;
    const res = await call('POST', '/v1/documents?wait=true', p.key, {
      text: 'animal,diet\nmanatee,"sea grass and lettuce\nhippo,grass\n',
      filename: 'diets.csv',
    });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ type: 'unprocessable', message: expect.stringMatching(/quote/) });
    expect(res.body.document).toMatchObject({ status: 'failed', chunks: 0, error: expect.stringMatching(/quote/) });
    const listed = await call('GET', '/v1/documents?status=failed', p.key);
    expect(listed.body.documents.map((d: { id: string }) => d.id)).toEqual([res.body.document.id]);
    const found = await call('POST', '/v1/retrieve', p.key, { query: 'manatee sea grass lettuce' });
    expect(found.body.results).toEqual([]);
  });

  it('?wait=true on a batch watches its documents: 200 once the worker settled them, 202 as they stand past the budget', async () => {
    const p = await newProject();
    clock.freeze();
    remainingMs = 15 * 60_000;
    const done = await call('POST', '/v1/documents/batch?wait=true', p.key, {
      documents: [
        { text: 'Parking is free after six.' },
        { text: 'animal,diet\nmanatee,"sea grass and lettuce\nhippo,grass\n', filename: 'diets.csv' },
        { text: '' },
      ],
    });
    expect(done.status).toBe(200);
    const outcome = (i: { document?: { status: string }; error?: { type: string } }) =>
      i.document?.status ?? i.error?.type;
    expect(done.body.documents.map(outcome)).toEqual(['ready', 'failed', 'invalid_request']);

    ingest.inline = false; // the worker is slow: nothing settles them
    clock.slept = 0;
    const slow = await call('POST', '/v1/documents/batch?wait=true', p.key, {
      documents: [{ text: 'Badges are renewed every year.' }],
    });
    expect(slow.status).toBe(202);
    expect(slow.body.documents[0].document.status).toBe('queued');
    expect(clock.slept).toBe(home.settings.waitBudgetMs);
    expect(ingest.sent.at(-1)).toEqual({ projectId: p.id, documentId: slow.body.documents[0].document.id });
  });

  it('a document delete answers at once; the worker removes its chunks and files; no answer cites it meanwhile', async () => {
    const p = await newProject();
    const other = await newProject();
    const doc = await readyDocument(p.key, 'Refunds are accepted within 30 days of purchase.');
    expect(collection.chunksOf(p.id, doc.id).length).toBeGreaterThan(0);
    expect(await keysUnder(`projects/${p.id}/`)).toHaveLength(2);

    // another project's key cannot reach it
    expect((await call('DELETE', `/v1/projects/${p.id}/documents/${doc.id}`, other.key)).status).toBe(404);
    expect((await call('DELETE', `/v1/documents/${doc.id}`, other.key)).status).toBe(404);
    expect(jobs.sent).toEqual([]);

    index.stalled = true;
    const res = await call('DELETE', `/v1/documents/${doc.id}`, p.key);
    expect(res.status).toBe(200);
    expect(res.body.deleted).toEqual({ document_id: doc.id, chunks: doc.chunks });
    expect((await call('GET', `/v1/documents/${doc.id}`, p.key)).status).toBe(404);
    index.stalled = false;

    // its chunks are still in the index, and still no answer cites them
    expect(collection.chunksOf(p.id, doc.id).length).toBeGreaterThan(0);
    const asked = await call('POST', '/v1/retrieve', p.key, { query: 'refunds accepted within 30 days' });
    expect(asked.status).toBe(200);
    expect(asked.body.results).toEqual([]);

    const queued = jobs.take();
    expect(queued).toEqual([{ type: 'cleanup', project_id: p.id, target: doc.id }]);
    expect((await deliver(queued)).batchItemFailures).toEqual([]);
    expect(collection.chunksOf(p.id, doc.id)).toEqual([]);
    expect(await keysUnder(`projects/${p.id}/`)).toEqual([]);
    expect(await home.services.maintenance.sweep()).toEqual({ documents: 0, removals: 0, relabels: 0 });
    // a second delivery of the same message finds nothing left to do
    expect((await deliver(queued)).batchItemFailures).toEqual([]);
  });

  it('a project purge answers at once, the project is 404 to every key, and the worker purges it and writes the receipt', async () => {
    const gone = await newProject();
    const kept = await newProject();
    const doc = await readyDocument(gone.key, 'The osprey nests by the river.');
    const keptDoc = await readyDocument(kept.key, 'The heron fishes at dawn.');
    const put = (Key: string) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x' }));
    await put(`drop/${gone.id}/a.txt`);
    await put(`uploads/${gone.id}/upl_00000000000000000000000000`);
    await put(`drop/${kept.id}/stays.txt`);

    // the other project's key cannot purge it
    expect((await call('DELETE', `/v1/projects/${gone.id}`, kept.key)).status).toBe(404);

    index.stalled = true;
    const res = await call('DELETE', `/v1/projects/${gone.id}`, adminKey);
    expect(res.status).toBe(200);
    expect(res.body.deleted).toMatchObject({ project_id: gone.id, documents: 1, keys: 1 });
    index.stalled = false;
    expect((await call('GET', `/v1/projects/${gone.id}`, adminKey)).status).toBe(404);
    expect((await call('GET', '/v1/documents', gone.key)).status).toBe(404);
    const listed = (await call('GET', '/v1/projects', adminKey)).body.projects.map((x: { id: string }) => x.id);
    expect(listed).not.toContain(gone.id);

    const queued = jobs.take();
    expect(queued).toEqual([{ type: 'cleanup', project_id: gone.id, target: gone.id }]);
    expect((await deliver(queued)).batchItemFailures).toEqual([]);
    expect(collection.indexes.has(`oprag-${gone.id}`)).toBe(false);
    expect(await keysUnder(`projects/${gone.id}/`)).toEqual([]);
    expect(await keysUnder(`drop/${gone.id}/`)).toEqual([]);
    expect(await keysUnder(`uploads/${gone.id}/`)).toEqual([]);
    // the other project keeps everything
    expect(await keysUnder(`drop/${kept.id}/`)).toEqual([`drop/${kept.id}/stays.txt`]);
    expect(collection.chunksOf(kept.id, keptDoc.id).length).toBeGreaterThan(0);
    expect((await call('GET', `/v1/documents/${keptDoc.id}`, kept.key)).status).toBe(200);

    const audit = (await call('GET', '/v1/company/audit?action=projects.purged', adminKey)).body.events;
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'projects.purged',
        actor: { type: 'system', key_id: null },
        detail: expect.objectContaining({
          deleted: { project_id: gone.id, documents: 1, chunks: doc.chunks, keys: 1, blobs: 4 },
        }),
      }),
    ]);
    expect(await home.services.maintenance.sweep()).toEqual({ documents: 0, removals: 0, relabels: 0 });
  });

  it('the sweep queues again documents stuck in progress and removals whose message was lost', async () => {
    const p = await newProject();
    ingest.inline = false;
    const stuck = await call('POST', '/v1/documents', p.key, { text: 'Shipping is free above 50 euros.' });
    expect(stuck.status).toBe(202);
    ingest.inline = true;
    const doc = await readyDocument(p.key, 'Returns need the receipt.');
    expect((await call('DELETE', `/v1/documents/${doc.id}`, p.key)).status).toBe(200);
    jobs.take(); // the removal's message is lost

    ingest.inline = false;
    ingest.sent = [];
    // not yet past the threshold: nothing is queued again
    expect(await sweep(home)).toEqual({ documents: 0, removals: 0, relabels: 0 });
    clock.advance(home.settings.stuckAfterMs + 1000);
    // (documents the wait tests left queued in their own projects are queued again too)
    expect((await sweep(home)).removals).toBe(1);
    const mine = () => ingest.sent.filter((s) => s.projectId === p.id);
    expect(mine()).toEqual([{ projectId: p.id, documentId: stuck.body.document.id }]);
    const again = jobs.take();
    expect(again).toEqual([{ type: 'cleanup', project_id: p.id, target: doc.id }]);

    // the worker finishes both
    await home.services.documents.processDocuments(p.id, [stuck.body.document.id]);
    expect((await call('GET', `/v1/documents/${stuck.body.document.id}`, p.key)).body.document.status).toBe('ready');
    expect((await deliver(again)).batchItemFailures).toEqual([]);
    expect(collection.chunksOf(p.id, doc.id)).toEqual([]);
    ingest.sent = [];
    expect((await sweep(home)).removals).toBe(0);
    expect(mine()).toEqual([]);
  });
  const labelsOf = (projectId: string, documentId: string) =>
    collection.chunksOf(projectId, documentId).map((c) => ({ title: c.title, url: c.url, tags: c.tags }));

  it('a PATCH answers 200 at once while OpenSearch never settles; the worker relabels the chunks; a redelivery does nothing', async () => {
    const p = await newProject();
    const other = await newProject();
    const doc = await readyDocument(p.key, 'Refunds are accepted within 30 days of purchase.');
    const old = labelsOf(p.id, doc.id);
    expect(old.length).toBe(doc.chunks);
    expect(old.every((l) => l.title === 'Refunds' && l.url === null)).toBe(true);
    const edit = { title: 'Refund policy', url: 'https://example.com/refunds', tags: ['policy'] };

    // another project's key reaches nothing and queues nothing
    expect((await call('PATCH', `/v1/projects/${p.id}/documents/${doc.id}`, other.key, edit)).status).toBe(404);
    expect((await call('PATCH', `/v1/documents/${doc.id}`, other.key, edit)).status).toBe(404);
    expect(jobs.sent).toEqual([]);

    // an index that never makes a write visible (or answers at all): the PATCH never asks it
    index.stalled = true;
    const calls = index.calls;
    const res = await call('PATCH', `/v1/documents/${doc.id}`, p.key, edit);
    expect(res.status).toBe(200);
    expect(res.body.document).toMatchObject({ id: doc.id, ...edit, status: 'ready', chunks: doc.chunks });
    expect(index.calls).toBe(calls);
    index.stalled = false;
    expect(labelsOf(p.id, doc.id)).toEqual(old);
    expect((await call('GET', `/v1/documents/${doc.id}`, p.key)).body.document.status).toBe('ready');

    const queued = jobs.take();
    expect(queued).toEqual([{ type: 'relabel', project_id: p.id, document_id: doc.id }]);
    expect((await deliver(queued)).batchItemFailures).toEqual([]);
    const relabelled = collection.chunksOf(p.id, doc.id);
    expect(relabelled).toHaveLength(doc.chunks);
    expect(labelsOf(p.id, doc.id).every((l) => JSON.stringify(l) === JSON.stringify(edit))).toBe(true);
    expect((await call('GET', `/v1/documents/${doc.id}`, p.key)).body.document).toEqual(res.body.document);

    // a second delivery finds the labels done and leaves the index alone
    const before = index.calls;
    expect((await deliver(queued)).batchItemFailures).toEqual([]);
    expect(index.calls).toBe(before);
    expect(collection.chunksOf(p.id, doc.id)).toEqual(relabelled);
    clock.advance(home.settings.stuckAfterMs + 1000);
    expect((await sweep(home)).relabels).toBe(0);
    expect(jobs.take().filter((j) => j.project_id === p.id)).toEqual([]);
  });

  it('a relabel whose message was lost is queued again by the sweep and done by the worker', async () => {
    const p = await newProject();
    const doc = await readyDocument(p.key, 'Exchanges are free within 14 days.');
    const res = await call('PATCH', `/v1/documents/${doc.id}`, p.key, { url: 'https://example.com/exchanges' });
    expect(res.status).toBe(200);
    jobs.take(); // the message is lost

    expect((await sweep(home)).relabels).toBe(0);
    expect(jobs.take()).toEqual([]);
    clock.advance(home.settings.stuckAfterMs + 1000);
    expect((await sweep(home)).relabels).toBe(1);
    const again = jobs.take().filter((j) => j.type === 'relabel');
    expect(again).toEqual([{ type: 'relabel', project_id: p.id, document_id: doc.id }]);
    expect((await deliver(again)).batchItemFailures).toEqual([]);
    expect(labelsOf(p.id, doc.id).every((l) => l.url === 'https://example.com/exchanges')).toBe(true);
    clock.advance(home.settings.stuckAfterMs + 1000);
    expect((await sweep(home)).relabels).toBe(0);
  });

  it('labels changed again during the relabel are done again in the same delivery', async () => {
    const p = await newProject();
    const doc = await readyDocument(p.key, 'Warranty claims need the serial number.');
    expect((await call('PATCH', `/v1/documents/${doc.id}`, p.key, { title: 'Warranty' })).status).toBe(200);
    const queued = jobs.take();
    index.afterRelabel = async () => {
      index.afterRelabel = null;
      clock.advance(1000); // the second PATCH is a later one
      expect((await call('PATCH', `/v1/documents/${doc.id}`, p.key, { title: 'Warranty claims' })).status).toBe(200);
    };
    expect((await deliver(queued)).batchItemFailures).toEqual([]);
    expect(labelsOf(p.id, doc.id).map((l) => l.title)).toEqual(Array(doc.chunks).fill('Warranty claims'));
    // the second PATCH's own message finds nothing left to do
    const second = jobs.take();
    expect(second).toEqual([{ type: 'relabel', project_id: p.id, document_id: doc.id }]);
    const before = index.calls;
    expect((await deliver(second)).batchItemFailures).toEqual([]);
    expect(index.calls).toBe(before);
  });

  it('a relabel racing a re-ingest of the same document does not leave the old content in the index', async () => {
    const p = await newProject();
    const post = (text: string) =>
      call('POST', '/v1/documents', p.key, { title: 'Shipping', external_id: 'kb/shipping', text });
    const first = await post('Shipping takes five days by standard post.');
    const id = first.body.document.id as string;
    expect((await call('GET', `/v1/documents/${id}`, p.key)).body.document.status).toBe('ready');
    expect((await call('PATCH', `/v1/documents/${id}`, p.key, { tags: ['logistics'] })).status).toBe(200);
    const queued = jobs.take();

    // during the rewrite the document is taken in again with new content, and the rewrite's
    // removal of the other versions lands after the new version: the old content is back
    index.afterRelabel = async () => {
      index.afterRelabel = null;
      const rewritten = collection.chunksOf(p.id, id);
      const again = await post('Shipping takes two days by courier.');
      expect(again.status).toBe(202);
      expect(again.body.document.id).toBe(id);
      const docs = collection.indexes.get(`oprag-${p.id}`) as Map<string, Record<string, unknown>>;
      for (const [key, c] of [...docs]) if (c.document_id === id) docs.delete(key);
      for (const [i, c] of rewritten.entries()) docs.set(`restored-${i}`, c);
      expect(collection.chunksOf(p.id, id).some((c) => String(c.text).includes('five days'))).toBe(true);
    };
    expect((await deliver(queued)).batchItemFailures).toEqual([]);

    // the worker saw the content change and processed the document again
    const texts = collection.chunksOf(p.id, id).map((c) => String(c.text));
    expect(texts.some((t) => t.includes('two days by courier'))).toBe(true);
    expect(texts.some((t) => t.includes('five days'))).toBe(false);
    // with the labels the record holds (a re-ingest sets the tags it is given: none here)
    const doc = (await call('GET', `/v1/documents/${id}`, p.key)).body.document;
    expect(doc).toMatchObject({ status: 'ready', tags: [] });
    expect(labelsOf(p.id, id).every((l) => JSON.stringify(l.tags) === '[]')).toBe(true);
  });
});
