import type { ApiClient } from '../../lambdas/client/api-client';
import { HOSTILE_LIMITS, HOSTILE_SET } from '../fixtures/hostile';
import { startTestServer, type TestServer } from '../helpers/server';

type Doc = { id: string; status: string; error?: string | null };
type Failure = { error: { type: string; message: string }; document: Doc };

/** Each file of the set as `POST .../documents` carries it, with the reason its document must fail with. */
const HOSTILE = HOSTILE_SET.map((h) => ({
  name: h.name,
  reason: h.reason,
  body: () => ({ content_base64: h.bytes().toString('base64'), filename: h.filename, content_type: h.type }),
}));

describe('hostile files', () => {
  let t: TestServer;
  let hostile: { id: string; client: ApiClient };
  let neighbour: { id: string; client: ApiClient };

  beforeAll(async () => {
    t = await startTestServer({ settings: { readLimits: HOSTILE_LIMITS, readWorkers: 1 } });
    hostile = await t.project('hostile');
    neighbour = await t.project('neighbour');
    const res = await neighbour.client.post('/v1/documents?wait=true', {
      text: '# Refunds\n\nRefunds are accepted within 30 days of purchase.',
      content_type: 'text/markdown',
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => t?.close());

  it.each(HOSTILE)('$name: the document fails with its reason', async ({ body, reason }) => {
    const res = await hostile.client.post<Failure>('/v1/documents?wait=true', body());
    expect(res.status).toBe(422);
    expect(res.body.error.type).toBe('unprocessable');
    expect(res.body.error.message).toMatch(reason);
    expect(res.body.document.status).toBe('failed');
    const id = res.body.document.id;
    const stored = await hostile.client.get<{ document: Doc }>(`/v1/documents/${id}`);
    expect(stored.body.document.status).toBe('failed');
    expect(stored.body.document.error).toMatch(reason);
  });

  it('the other tenant is answered while the whole set is being read, and nothing of it is lost', async () => {
    let settled = 0;
    const all = HOSTILE.map((h) =>
      hostile.client.post<Failure>('/v1/documents?wait=true', h.body()).then((r) => {
        settled++;
        return r;
      }),
    );
    const answers: number[] = [];
    const settledAtAnswer: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await neighbour.client.post<{ answer: string; citations: unknown[] }>('/v1/chat', {
        question: 'How many days do I have to ask for a refund?',
      });
      answers.push(res.status);
      settledAtAnswer.push(settled);
      expect(res.body.answer).toMatch(/30 days/);
      expect(res.body.citations.length).toBeGreaterThan(0);
    }
    const results = await Promise.all(all);
    expect(answers).toEqual([200, 200, 200, 200, 200]);
    // the first answers came back before the hostile set was through: served beside it, not after
    expect(settledAtAnswer[0]).toBeLessThan(HOSTILE.length);
    results.forEach((r, i) => {
      expect(r.status).toBe(422);
      expect(r.body.error.message).toMatch(HOSTILE[i].reason);
    });
    // the other tenant's document is still there, ready, and the hostile project holds no chunk
    const docs = await neighbour.client.get<{ documents: Doc[] }>('/v1/documents');
    expect(docs.body.documents.map((d) => d.status)).toEqual(['ready']);
    const leaked = await hostile.client.post<{ results: unknown[] }>('/v1/retrieve', { query: 'ratio bomb line deep' });
    expect(leaked.status).toBe(200);
    expect(leaked.body.results).toEqual([]);
  });

  it("a key of the hostile project cannot read the neighbour's documents", async () => {
    const res = await hostile.client.get(`/v1/projects/${neighbour.id}/documents`);
    expect(res.status).toBe(404);
  });
});
