import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * The local server with its searches and answers on read threads, from outside: a thread that
 * dies costs only its request (a 500 with API.md's error body) and the server goes on; a document
 * `ready` is found by the next search; another project's key finds nothing of it.
 */

type Results = { results: { document_id: string; text: string }[] };

describe('searches and answers on read threads', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ readThreads: 2, readEntry: join(__dirname, '../fixtures/read-worker-crashing.ts') });
  });
  afterAll(async () => {
    await t.close();
  });

  it('finds a document in the search right after it is ready, for its own project only', async () => {
    const a = await t.project('A');
    const b = await t.project('B');
    for (const [i, island] of ['Arran', 'Bute', 'Coll'].entries()) {
      const text = `The ferry to ${island} leaves at ${8 + i} o'clock from the ${island} pier.`;
      const res = await a.client.post<{ document: { id: string; status: string } }>('/v1/documents?wait=true', {
        title: `Ferry ${i}`,
        text,
      });
      expect(res.body.document.status).toBe('ready');
      const found = await a.client.post<Results>('/v1/retrieve', { query: `ferry ${island} pier` });
      expect(found.status).toBe(200);
      expect(found.body.results[0]).toMatchObject({ document_id: res.body.document.id, text });
    }
    const chat = await a.client.post<{ answer: string; grounded: boolean }>('/v1/chat', {
      question: 'When does the ferry to Coll leave?',
    });
    expect(chat.status).toBe(200);
    expect(chat.body.answer).toContain("10 o'clock");
    // B's key, on the same threads, sees none of A's documents, by the short form or A's path
    const fromB = await b.client.post<Results>('/v1/retrieve', { query: 'ferry pier' });
    expect(fromB.status).toBe(200);
    expect(fromB.body.results).toEqual([]);
    const aPath = await b.client.post(`/v1/projects/${a.id}/retrieve`, { query: 'ferry pier' });
    expect([403, 404]).toContain(aPath.status);
    expect(JSON.stringify(aPath.body)).not.toContain('ferry');
  });

  it('answers 500 with the error body when a read thread dies, and serves the next request', async () => {
    const a = await t.project('crash');
    await a.client.post('/v1/documents?wait=true', { title: 'Kites', text: 'Red kites nest in tall trees.' });
    for (const path of ['/v1/retrieve', '/v1/chat']) {
      const body = path === '/v1/chat' ? { question: 'kaboom' } : { query: 'kaboom' };
      const res = await a.client.post<{ error: { type: string; message: string; request_id: string } }>(path, body);
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        error: { type: 'internal', message: expect.any(String), request_id: expect.any(String) },
      });
      expect(res.body.error.message).not.toMatch(/thread|stopped/);
      const next = await a.client.post<Results>('/v1/retrieve', { query: 'red kites' });
      expect(next.status).toBe(200);
      expect(next.body.results.map((r) => r.text)).toEqual(['Red kites nest in tall trees.']);
    }
    expect(t.server.home.reads?.started).toBeGreaterThanOrEqual(3);
  });
});
