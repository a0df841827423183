import type { ApiClient } from '../../lambdas/client/api-client';
import { Oprag, OpragApiError } from '../../lambdas/client/oprag';
import { startTestServer, type TestServer } from '../helpers/server';

interface Doc {
  id: string;
  external_id: string | null;
  status: string;
  title: string | null;
  chunks: number;
}
type Item = { document: Doc; unchanged?: boolean } | { error: { type: string; message: string } };
interface ErrorBody {
  error: { type: string; message: string; request_id: string };
}

/** The batch route on the local home: SQLite, over HTTP on a loopback socket. */
describe('POST /v1/projects/{project_id}/documents/batch', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  const batch = (client: ApiClient, path: string, documents: unknown) =>
    client.post<{ documents: Item[] } & Partial<ErrorBody>>(path, { documents });
  const listed = async (client: ApiClient) =>
    (await client.get<{ documents: Doc[] }>('/v1/documents?limit=200')).body.documents;

  it('answers 202 with each item in order: good ones queued then ready, bad ones failing alone', async () => {
    const p = await t.project('mixed');
    const res = await batch(p.client, `/v1/projects/${p.id}/documents/batch`, [
      { text: 'Refunds are paid within fourteen days.', title: 'Refunds', external_id: 'kb/refunds' },
      { text: 'x', content_base64: 'eA==' },
      { text: '' },
      { content_base64: Buffer.from('Shipping takes three days.').toString('base64'), filename: 'ship.md' },
      { content_base64: Buffer.from([0, 1, 2, 3, 0, 255, 0, 7]).toString('base64') },
      'not an object',
    ]);

    expect(res.status).toBe(202);
    const items = res.body.documents;
    expect(items).toHaveLength(6);
    expect(items[0]).toMatchObject({ document: { external_id: 'kb/refunds', title: 'Refunds', status: 'queued' } });
    expect(items[1]).toMatchObject({
      error: { type: 'invalid_request', message: expect.stringContaining('documents.1') },
    });
    expect(items[2]).toMatchObject({ error: { type: 'invalid_request', message: 'the document is empty' } });
    expect(items[3]).toMatchObject({ document: { filename: 'ship.md' } });
    expect(items[4]).toMatchObject({ error: { type: 'unsupported_media_type' } });
    expect(items[5]).toMatchObject({ error: { type: 'invalid_request' } });

    await t.server.home.queue.idle();
    const docs = await listed(p.client);
    expect(docs.map((d) => d.status)).toEqual(['ready', 'ready']);
    const search = await p.client.post<{ results: { document_id: string }[] }>('/v1/retrieve', { query: 'refunds' });
    expect(search.body.results[0].document_id).toBe((items[0] as { document: Doc }).document.id);
  });

  it('keeps the external_id semantics of a single POST: unchanged content left alone, new content replacing', async () => {
    const p = await t.project('replace');
    const first = await batch(p.client, '/v1/documents/batch', [
      { text: 'Version one of the guide.', external_id: 'guide' },
      { text: 'The other page.', external_id: 'other' },
    ]);
    await t.server.home.queue.idle();
    const [guide, other] = first.body.documents as { document: Doc }[];

    const again = await batch(p.client, '/v1/documents/batch', [
      { text: 'Version one of the guide.', external_id: 'guide' },
      { text: 'The other page, rewritten with its second version.', external_id: 'other' },
      { text: 'twice in one batch', external_id: 'other' },
    ]);

    expect(again.status).toBe(202);
    expect(again.body.documents[0]).toEqual({
      document: expect.objectContaining({ id: guide.document.id }),
      unchanged: true,
    });
    expect(again.body.documents[1]).toMatchObject({ document: { id: other.document.id, status: 'queued' } });
    expect(again.body.documents[2]).toMatchObject({ error: { type: 'invalid_request' } });
    await t.server.home.queue.idle();
    const docs = await listed(p.client);
    expect(docs).toHaveLength(2);
    const hits = await p.client.post<{ results: { document_id: string; text: string }[] }>('/v1/retrieve', {
      query: 'second version',
    });
    expect(hits.body.results[0]).toMatchObject({ document_id: other.document.id });
  });

  it('counts each item against ingest_per_minute: the items past the limit get rate_limited', async () => {
    const p = await t.project('rated');
    t.clock.freeze(t.clock.nextMinute(1000));
    try {
      const patched = await t.admin.request('PATCH', `/v1/projects/${p.id}`, { limits: { ingest_per_minute: 3 } });
      expect(patched.status).toBe(200);
      const res = await batch(
        p.client,
        '/v1/documents/batch',
        ['one', 'two', 'three', 'four', 'five'].map((w) => ({ text: `Document number ${w}.` })),
      );

      expect(res.status).toBe(202);
      expect(res.body.documents.map((i) => ('error' in i ? i.error.type : 'ok'))).toEqual([
        'ok',
        'ok',
        'ok',
        'rate_limited',
        'rate_limited',
      ]);
      // the window is spent: a single POST is refused as well
      expect((await p.client.post('/v1/documents', { text: 'one more' })).status).toBe(429);
      await t.server.home.queue.idle();
      expect(await listed(p.client)).toHaveLength(3);
    } finally {
      t.clock.resume();
    }
  });

  it('counts single POSTs sent all at once against ingest_per_minute: exactly the limit gets through', async () => {
    const p = await t.project('rated-at-once');
    t.clock.freeze(t.clock.nextMinute(1000));
    try {
      await t.admin.request('PATCH', `/v1/projects/${p.id}`, { limits: { ingest_per_minute: 7 } });
      // in flight together: their counts meet before any of them is committed
      const statuses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => p.client.post('/v1/documents', { text: `Sent at once, ${i}.` })),
      );
      expect(statuses.filter((r) => r.status === 202)).toHaveLength(7);
      expect(statuses.filter((r) => r.status === 429)).toHaveLength(13);
      // the count was written: the next call, after every commit, is refused too
      expect((await p.client.post('/v1/documents', { text: 'one more' })).status).toBe(429);
      await t.server.home.queue.idle();
      expect(await listed(p.client)).toHaveLength(7);
    } finally {
      t.clock.resume();
    }
  });

  it('holds each item to the document quota: the ones past it get conflict, the others are kept', async () => {
    const p = await t.project('quota');
    await t.admin.request('PATCH', `/v1/projects/${p.id}`, { limits: { max_documents: 2 } });
    expect((await p.client.post('/v1/documents', { text: 'Already here.' })).status).toBe(202);

    const res = await batch(p.client, '/v1/documents/batch', [{ text: 'Second.' }, { text: 'Third.' }]);

    expect(res.body.documents[0]).toMatchObject({ document: { status: 'queued' } });
    expect(res.body.documents[1]).toMatchObject({
      error: { type: 'conflict', message: expect.stringContaining('2 documents') },
    });
    await t.server.home.queue.idle();
    expect(await listed(p.client)).toHaveLength(2);
  });

  it("answers another project's key 404, and the project is untouched", async () => {
    const victim = await t.project('victim');
    const intruder = await t.project('intruder');
    await victim.client.post('/v1/documents', { text: 'The secret plan.' });

    const res = await batch(intruder.client, `/v1/projects/${victim.id}/documents/batch`, [
      { text: 'planted', external_id: 'x' },
    ]);

    expect(res.status).toBe(404);
    expect(res.body.error?.type).toBe('not_found');
    await t.server.home.queue.idle();
    expect(await listed(victim.client)).toHaveLength(1);
    expect(await listed(intruder.client)).toHaveLength(0);
  });

  it('refuses 0 or more than 1000 items with 400, and a body past 4 MB with 413, taking nothing in', async () => {
    const p = await t.project('bounds');
    const none = await batch(p.client, '/v1/documents/batch', []);
    expect(none.status).toBe(400);
    expect(none.body.error?.message).toContain('at least one');
    const many = await batch(
      p.client,
      '/v1/documents/batch',
      Array.from({ length: 1001 }, () => ({ text: 'a' })),
    );
    expect(many.status).toBe(400);
    expect(many.body.error?.message).toContain('at most 1000');
    const notArray = await p.client.post<ErrorBody>('/v1/documents/batch', { documents: { text: 'a' } });
    expect(notArray.status).toBe(400);
    // together past 4 MB, though each item is small enough
    const big = 'word '.repeat(300_000);
    const tooMuch = await batch(
      p.client,
      '/v1/documents/batch',
      Array.from({ length: 3 }, () => ({ text: big })),
    );
    expect(tooMuch.status).toBe(413);
    expect(tooMuch.body.error?.type).toBe('payload_too_large');
    const huge = await batch(p.client, '/v1/documents/batch', [{ text: 'x'.repeat(6 * 2 ** 20) }]);
    expect(huge.status).toBe(413);
    await t.server.home.queue.idle();
    expect(await listed(p.client)).toHaveLength(0);
  });

  it('needs a key that may write documents', async () => {
    const p = await t.project('scopes');
    const key = await t.admin.post<{ api_key: { key: string } }>(`/v1/projects/${p.id}/keys`, { scopes: ['query'] });
    const res = await batch(t.client(key.body.api_key.key), '/v1/documents/batch', [{ text: 'nope' }]);
    expect(res.status).toBe(403);
  });

  it('?wait=true answers 200 once the batch is processed: each item ready or failed, searchable at once', async () => {
    const p = await t.project('wait');
    const before = await batch(p.client, `/v1/projects/${p.id}/documents/batch`, [
      { text: 'The first version of the warranty page.', external_id: 'warranty' },
    ]);
    await t.server.home.queue.idle();
    const res = await batch(p.client, `/v1/projects/${p.id}/documents/batch?wait=true`, [
      { text: 'Lockers are emptied every Friday evening.', title: 'Lockers', external_id: 'lockers' },
      { text: 'animal,diet\nmanatee,"sea grass and lettuce\nhippo,grass\n', filename: 'diets.csv' },
      { text: '' },
      { text: 'The first version of the warranty page.', external_id: 'warranty' },
    ]);

    expect(res.status).toBe(200);
    const [lockers, diets, empty, warranty] = res.body.documents as { document: Doc & { error?: string } }[];
    expect(lockers.document).toMatchObject({ external_id: 'lockers', status: 'ready', chunks: 1 });
    expect(diets.document).toMatchObject({ status: 'failed', chunks: 0, error: expect.stringMatching(/quote/) });
    expect(empty).toMatchObject({ error: { type: 'invalid_request' } });
    expect(warranty).toEqual({
      document: expect.objectContaining({
        id: (before.body.documents[0] as { document: Doc }).document.id,
        status: 'ready',
      }),
      unchanged: true,
    });
    // processed by the request itself: nothing left for the queue, and searchable before it runs
    const search = await p.client.post<{ results: { document_id: string }[] }>('/v1/retrieve', {
      query: 'when are lockers emptied',
    });
    expect(search.body.results[0].document_id).toBe(lockers.document.id);
    const stored = await p.client.get<{ document: Doc }>(`/v1/documents/${diets.document.id}`);
    expect(stored.body.document.status).toBe('failed');

    // a batch whose items are all refused has nothing to wait for
    const refused = await batch(p.client, `/v1/projects/${p.id}/documents/batch?wait=true`, [{ text: '' }]);
    expect(refused.status).toBe(200);
    expect(refused.body.documents[0]).toMatchObject({ error: { type: 'invalid_request' } });
    // and the typed client waits the same way
    const typed = await new Oprag({ baseUrl: t.url, key: p.key })
      .project()
      .documents.createBatch([{ text: 'Typed and waited for.' }], { wait: true });
    expect(typed.documents[0]).toMatchObject({ document: { status: 'ready' } });
  });

  it("is the typed client's documents.createBatch, whose refused items come back as items, not throws", async () => {
    const p = await t.project('typed');
    const docs = new Oprag({ baseUrl: t.url, key: p.key }).project().documents;

    const out = await docs.createBatch([{ text: 'Typed batch document.', tags: ['a'] }, { text: '' }]);

    expect(out.documents[0]).toMatchObject({ document: { tags: ['a'], status: 'queued' } });
    expect(out.documents[1]).toMatchObject({ error: { type: 'invalid_request' } });
    await expect(docs.createBatch([])).rejects.toBeInstanceOf(OpragApiError);
  });
});
