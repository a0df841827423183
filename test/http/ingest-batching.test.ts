import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '../../lambdas/adapters/local/fs-blobs';
import { InProcessQueue } from '../../lambdas/adapters/local/memory-queue';
import { SqliteTenantStore } from '../../lambdas/adapters/local/sqlite-tenant-store';
import type { ApiClient } from '../../lambdas/client/api-client';
import { bulkIngest } from '../../lambdas/client/bulk-ingest';
import { newId } from '../../lambdas/core/ids';
import type { DocumentRecord } from '../../lambdas/core/model';
import { startTestServer, type TestServer } from '../helpers/server';

interface Doc {
  id: string;
  external_id: string | null;
  status: string;
  error?: string | null;
  chunks: number;
}

const tmp = () => mkdtempSync(join(tmpdir(), 'oprag-batching-'));

describe('the in-process queue hands batches to its batch worker', () => {
  it('groups the waiting jobs of one project, in order, at most batchSize at a time, projects taking turns', async () => {
    const queue = new InProcessQueue({ concurrency: 1, batchSize: 3 });
    for (const id of ['a1', 'a2', 'a3', 'a4']) await queue.enqueue('prj_a', id);
    await queue.enqueue('prj_b', 'b1');
    await queue.enqueue('prj_a', 'a5');
    const batches: string[] = [];
    queue.start(async (p, ids) => {
      batches.push(`${p}:${ids.join(',')}`);
    });
    await queue.idle();

    expect(batches).toEqual(['prj_a:a1,a2,a3', 'prj_b:b1', 'prj_a:a4,a5']);
  });

  it('runs at most perProject batches of one project at once, and another project meanwhile', async () => {
    const queue = new InProcessQueue({ concurrency: 4, batchSize: 2, perProject: 2 });
    for (let i = 1; i <= 8; i++) await queue.enqueue('prj_a', `a${i}`);
    await queue.enqueue('prj_b', 'b1');
    const running = new Map<string, number>();
    let most = 0;
    const started: string[] = [];
    const gates: (() => void)[] = [];
    queue.start(async (p, ids) => {
      started.push(`${p}:${ids.join(',')}`);
      running.set(p, (running.get(p) ?? 0) + 1);
      most = Math.max(most, running.get('prj_a') ?? 0);
      await new Promise<void>((r) => gates.push(r));
      running.set(p, (running.get(p) ?? 1) - 1);
    });
    await new Promise((r) => setImmediate(r));
    // four may run, but prj_a only two: the third slot goes to prj_b, the fourth stays free
    expect(started).toEqual(['prj_a:a1,a2', 'prj_b:b1', 'prj_a:a3,a4']);
    while (gates.length > 0 || started.length < 5) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await queue.idle();
    expect(most).toBe(2);
    expect(started.slice(3)).toEqual(['prj_a:a5,a6', 'prj_a:a7,a8']);
  });

  it('works through a backlog of 200,000 documents (a restart after a crash mid-import), each once', async () => {
    const queue = new InProcessQueue({ concurrency: 2, batchSize: 32 });
    for (let i = 0; i < 200_000; i++) await queue.enqueue(i % 2 ? 'prj_a' : 'prj_b', `doc_${i}`);
    await queue.enqueue('prj_a', 'doc_1'); // already waiting: not queued twice
    const seen = new Set<string>();
    let batches = 0;
    queue.start(async (p, ids) => {
      batches++;
      for (const id of ids) seen.add(`${p}/${id}`);
    });
    await queue.idle();

    expect(seen.size).toBe(200_000);
    expect(batches).toBe(6250);
  });

  it('runs each document of a batch that failed as a whole on its own', async () => {
    const queue = new InProcessQueue({ concurrency: 1, batchSize: 10 });
    for (const id of ['d1', 'd2', 'd3']) await queue.enqueue('prj_a', id);
    const singles: string[] = [];
    const errors = jest.spyOn(console, 'error').mockImplementation(() => {});
    queue.start(async (_p, ids) => {
      if (ids.length > 1) throw new Error('the batch fell over');
      singles.push(...ids);
    });
    await queue.idle();
    errors.mockRestore();

    expect(singles).toEqual(['d1', 'd2', 'd3']);
  });
});

describe('a batch of documents, processed together', () => {
  let t: TestServer;
  let p: { id: string; key: string; client: ApiClient };

  beforeAll(async () => {
    t = await startTestServer();
    p = await t.project('batching');
  });
  afterAll(async () => {
    await t.close();
  });

  it('fails the unreadable documents alone; their batch-mates become ready and searchable', async () => {
    // the queue stands still, so that this test decides what forms the batch
    await t.server.home.queue.stop();
    const post = async (body: Record<string, unknown>) => {
      const res = await p.client.post<{ document: Doc }>('/v1/documents', body);
      expect(res.status).toBe(202);
      return res.body.document.id;
    };
    const good1 = await post({ title: 'Refunds', text: 'Refunds are accepted within 30 days of purchase.' });
    const empty = await post({
      content_base64: Buffer.from('<html><body><p> </p></body></html>').toString('base64'),
      content_type: 'text/html',
      external_id: 'empty.html',
    });
    const missing = await post({ title: 'Gone', text: 'This original will be missing when it is processed.' });
    const good2 = await post({ title: 'Shipping', text: 'Shipping to Canada takes five business days.' });
    await t.server.home.blobs.forProject(p.id).delete(`originals/${missing}`);

    const done = await t.server.services.documents.processDocuments(p.id, [good1, empty, missing, good2]);

    expect(done.map((d) => d?.status)).toEqual(['ready', 'failed', 'failed', 'ready']);
    const get = async (id: string) => (await p.client.get<{ document: Doc }>(`/v1/documents/${id}`)).body.document;
    for (const id of [good1, good2]) {
      const d = await get(id);
      expect(d).toMatchObject({ status: 'ready', chunks: 1 });
      expect(d.error ?? null).toBeNull();
    }
    expect(await get(empty)).toMatchObject({ status: 'failed', error: 'the document contains no text', chunks: 0 });
    expect(await get(missing)).toMatchObject({ status: 'failed', error: 'the original file is missing', chunks: 0 });

    const hits = await p.client.post<{ results: { document_id: string }[] }>('/v1/retrieve', {
      query: 'shipping to Canada',
    });
    expect(hits.status).toBe(200);
    expect(hits.body.results.map((r) => r.document_id)).toContain(good2);
    const usage = await t.admin.get<{ usage: { documents: number }[] }>(`/v1/projects/${p.id}/usage`);
    expect(usage.body.usage.reduce((s, d) => s + d.documents, 0)).toBe(2); // only the ready ones count

    // documents that are not waiting (already ready, or unknown) are left as they are
    const again = await t.server.services.documents.processDocuments(p.id, [good1, newId('document')]);
    expect(again).toEqual([null, null]);
    expect(await get(good1)).toMatchObject({ status: 'ready', chunks: 1 });
  });
});

describe('patchDocuments in the SQLite tenant store', () => {
  let dir: string;
  let store: SqliteTenantStore;
  const projectId = newId('project');
  const doc = (id: string, hash: string): DocumentRecord => ({
    id,
    title: null,
    url: null,
    filename: null,
    content_type: 'text/plain',
    external_id: null,
    tags: [],
    metadata: {},
    status: 'queued',
    error: null,
    chunks: 0,
    bytes: 10,
    content_hash: hash,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  });

  beforeEach(() => {
    dir = tmp();
    store = new SqliteTenantStore(join(dir, 'control.db'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('patches only documents that still hold the content the patch was made for', async () => {
    const records = store.forProject(projectId);
    const [kept, replaced, deleted] = [newId('document'), newId('document'), newId('document')];
    for (const id of [kept, replaced, deleted]) await records.putDocument(doc(id, 'h1'));
    await records.putDocument(doc(replaced, 'h2'));
    await records.deleteDocument(deleted);

    const out = await (records.patchDocuments as NonNullable<typeof records.patchDocuments>)(
      [kept, replaced, deleted].map((id) => ({ id, content_hash: 'h1', patch: { status: 'ready', chunks: 4 } })),
    );

    expect(out[0]).toMatchObject({ id: kept, status: 'ready', chunks: 4, content_hash: 'h1' });
    expect(out[1]).toBeNull();
    expect(out[2]).toBeNull();
    expect(await records.getDocument(kept)).toMatchObject({ status: 'ready', chunks: 4 });
    expect(await records.getDocument(replaced)).toMatchObject({ status: 'queued', content_hash: 'h2' });
    expect(await records.getDocument(deleted)).toBeNull();
    // another project's handle cannot patch it
    const other = store.forProject(newId('project'));
    expect(
      await (other.patchDocuments as NonNullable<typeof other.patchDocuments>)([
        { id: kept, content_hash: 'h1', patch: { status: 'failed' } },
      ]),
    ).toEqual([null]);
    expect(await records.getDocument(kept)).toMatchObject({ status: 'ready' });
  });
});

describe('group commit in the SQLite tenant store', () => {
  it('commits the writes of one turn together; one that fails is refused alone', async () => {
    const dir = tmp();
    const store = new SqliteTenantStore(join(dir, 'control.db'));
    try {
      const projectId = newId('project');
      const records = store.forProject(projectId);
      const base = {
        title: null,
        url: null,
        filename: null,
        content_type: 'text/plain',
        tags: [],
        metadata: {},
        status: 'queued' as const,
        error: null,
        chunks: 0,
        bytes: 10,
        content_hash: 'h',
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
      };
      const [a, b, c] = [newId('document'), newId('document'), newId('document')];
      // issued in one turn: b takes an external id a already holds, which the unique index refuses
      const writes = await Promise.allSettled([
        records.putDocument({ ...base, id: a, external_id: 'same' }),
        records.putDocument({ ...base, id: b, external_id: 'same' }),
        records.putDocument({ ...base, id: c, external_id: 'other' }),
        records.addUsage('2026-01-01', { requests: 3 }),
        records.countInWindow('ingest', '2026-01-01T00:00'),
        records.countInWindow('ingest', '2026-01-01T00:00'),
      ]);

      expect(writes.map((w) => w.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
      ]);
      expect(writes.slice(4).map((w) => (w as PromiseFulfilledResult<number>).value)).toEqual([1, 2]);
      expect(await records.getDocument(a)).toMatchObject({ external_id: 'same' });
      expect(await records.getDocument(b)).toBeNull();
      expect(await records.getDocument(c)).toMatchObject({ external_id: 'other' });
      expect(await records.documentTotals()).toEqual({ documents: 2, bytes: 20 });
      expect(await records.listUsage('2026-01-01', '2026-01-01')).toEqual([
        expect.objectContaining({ day: '2026-01-01', requests: 3 }),
      ]);
      // a write outside the group (a deletion) still comes after the waiting ones
      const put = records.putDocument({ ...base, id: newId('document'), external_id: 'late' });
      expect(await records.deleteDocument(c)).toBe(true);
      await put;
      expect(await records.findDocumentByExternalId('late')).not.toBeNull();
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the file blob store', () => {
  it('reads blobs of older data directories, keeps small ones in its database and large ones in files', async () => {
    const dir = tmp();
    try {
      const projectId = newId('project');
      const docId = newId('document');
      const key = `originals/${docId}`;
      mkdirSync(join(dir, 'blobs', projectId, 'originals'), { recursive: true });
      writeFileSync(join(dir, 'blobs', projectId, 'originals', docId), 'old bytes');
      writeFileSync(join(dir, 'blobs', projectId, 'originals', `${docId}.type`), 'text/markdown');
      const store = new FsBlobStore(join(dir, 'blobs'));
      const blobs = store.forProject(projectId);

      expect(await blobs.get(key)).toEqual({ bytes: Buffer.from('old bytes'), contentType: 'text/markdown' });

      await blobs.put(key, Buffer.from('new bytes'), 'text/plain');
      const reopened = new FsBlobStore(join(dir, 'blobs'));
      expect(await reopened.forProject(projectId).get(key)).toEqual({
        bytes: Buffer.from('new bytes'),
        contentType: 'text/plain',
      });
      reopened.close();

      const large = Buffer.alloc(300 * 1024, 7);
      await blobs.put(key, large, 'application/pdf');
      const got = await blobs.get(key);
      expect(got?.contentType).toBe('application/pdf');
      expect(got?.bytes.equals(large)).toBe(true);

      expect(await blobs.deleteAll()).toBe(1);
      expect(await blobs.get(key)).toBeNull();
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('keys on a busy path', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.close();
  });

  it('writes last_used_at at most once a minute, and a revoked key is refused on its very next call', async () => {
    const p = await t.project('keys');
    const keyOf = async () => {
      const list = await t.admin.get<{ keys: { id: string; last_used_at: string | null }[] }>(
        `/v1/projects/${p.id}/keys`,
      );
      return list.body.keys[0];
    };
    // a clock that stands still between the calls, so only the test moves it
    t.clock.freeze();
    expect((await p.client.get('/v1/documents')).status).toBe(200);
    const first = (await keyOf()).last_used_at as string;
    expect(first).not.toBeNull();
    t.clock.advance(59_000);
    expect((await p.client.get('/v1/documents')).status).toBe(200);
    expect((await keyOf()).last_used_at).toBe(first);
    t.clock.advance(1_000);
    expect((await p.client.get('/v1/documents')).status).toBe(200);
    const second = (await keyOf()).last_used_at as string;
    expect(Date.parse(second) - Date.parse(first)).toBe(60_000);
    t.clock.resume();

    const revoked = await t.admin.delete(`/v1/projects/${p.id}/keys/${(await keyOf()).id}`);
    expect(revoked.status).toBe(200);
    const refused = await p.client.get<{ error: { type: string } }>('/v1/documents');
    expect(refused.status).toBe(401);
  });
});

describe('oprag ingest waits for its batches', () => {
  let t: TestServer;
  let work: string;
  beforeAll(async () => {
    t = await startTestServer();
    work = tmp();
  });
  afterAll(async () => {
    await t.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("reports every outcome of a folder larger than one list page from the batches' own answers, the failed one with its reason", async () => {
    const p = await t.project('cli batching');
    const folder = join(work, 'docs');
    mkdirSync(folder);
    for (let i = 0; i < 80; i++) {
      writeFileSync(join(folder, `doc-${String(i).padStart(3, '0')}.md`), `# Note ${i}\n\nThe note number ${i}.\n`);
    }
    writeFileSync(join(folder, 'blank.html'), '<html><body><p> </p></body></html>');

    // every request the CLI makes, seen on the way through
    const seen: string[] = [];
    const target = new URL(t.url);
    const proxy = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const forward = request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(forward);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const baseUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const summary = await bulkIngest({ baseUrl, key: p.key, project: p.id, inputs: [folder], concurrency: 8 }).finally(
      () => new Promise((r) => proxy.close(r)),
    );

    expect(summary).toMatchObject({ files: 81, sent: 81, ready: 80, failed: 1, pending: 0 });
    // the batches answered once processed: one look at what the project held, then only batches
    const batches = seen.filter((r) => r.startsWith('POST '));
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.every((r) => r === `POST /v1/projects/${p.id}/documents/batch?wait=true`)).toBe(true);
    expect(seen.filter((r) => r.startsWith('GET '))).toEqual([`GET /v1/projects/${p.id}/documents?limit=200`]);
    expect(summary.failures).toEqual([
      expect.objectContaining({ external_id: 'blank.html', reason: 'the document contains no text' }),
    ]);
    const listed = await p.client.get<{ documents: Doc[] }>('/v1/documents?limit=200');
    const statuses = listed.body.documents.map((d) => d.status).sort();
    expect(statuses.filter((s) => s === 'ready')).toHaveLength(80);
    expect(statuses.filter((s) => s === 'failed')).toHaveLength(1);
  });
});
