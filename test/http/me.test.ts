import { startTestServer, type TestServer } from '../helpers/server';

type Me = {
  key: { id: string; kind: string; prefix: string; role?: string; scopes?: string[]; environment?: string | null };
  company: { id: string; name: string };
  project?: { id: string; name: string };
};

/** `GET /v1/me`, the project list's stats and retrieve's `top_k` cap, over loopback HTTP. */
describe('who a key is, and what the project list shows', () => {
  let t: TestServer;
  let acme: { id: string; key: string };
  let globex: { id: string; key: string };
  beforeAll(async () => {
    t = await startTestServer();
    acme = await t.project('Acme');
    globex = await t.project('Globex');
  });
  afterAll(async () => t.close());

  it('tells a company key its role and company, and no project', async () => {
    const me = await t.admin.get<Me>('/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      key: {
        id: expect.stringMatching(/^key_/),
        kind: 'company',
        prefix: t.adminKey.slice(0, 12),
        role: 'admin',
        expires_at: null,
      },
      company: { id: expect.stringMatching(/^cmp_/), name: 'Demo company' },
    });
  });

  it('tells a project key its scopes and its own project, and never another', async () => {
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const review = await t.admin.post<{ api_key: { id: string; key: string } }>(`/v1/projects/${acme.id}/keys`, {
      name: 'customer admin',
      scopes: ['review'],
      expires_at: expires,
    });
    for (const [key, scopes, project] of [
      [acme.key, ['query', 'ingest'], { id: acme.id, name: 'Acme' }],
      [globex.key, ['query', 'ingest'], { id: globex.id, name: 'Globex' }],
      [review.body.api_key.key, ['review'], { id: acme.id, name: 'Acme' }],
    ] as const) {
      const me = await t.client(key).get<Me>('/v1/me');
      expect(me.status).toBe(200);
      expect(me.body.key).toMatchObject({ kind: 'project', prefix: key.slice(0, 12), scopes });
      expect(me.body.key).not.toHaveProperty('role');
      expect(me.body.project).toEqual(project);
      expect(JSON.stringify(me.body)).not.toContain(key); // the secret itself is never echoed
    }
    const reviewMe = await t.client(review.body.api_key.key).get<Me & { key: { expires_at: string } }>('/v1/me');
    expect(reviewMe.body.key.expires_at).toBe(expires);
  });

  it('is a 401 without a valid key, and for a revoked one', async () => {
    expect((await t.client().get('/v1/me')).status).toBe(401);
    expect((await t.client('oprag_pk_notarealkey000000000000').get('/v1/me')).status).toBe(401);
    const extra = await t.admin.post<{ api_key: { id: string; key: string } }>(`/v1/projects/${globex.id}/keys`, {});
    await t.admin.delete(`/v1/projects/${globex.id}/keys/${extra.body.api_key.id}`);
    const revoked = await t.client(extra.body.api_key.key).get<{ error: { type: string } }>('/v1/me');
    expect([revoked.status, revoked.body.error.type]).toEqual([401, 'unauthorized']);
  });

  it('lists each project with its stats', async () => {
    const text = 'Refunds are accepted within 45 days of purchase. Shipping takes two business days.';
    const doc = await t.client(acme.key).post<{ document: { status: string } }>('/v1/documents?wait=true', { text });
    expect(doc.body.document.status).toBe('ready');
    const list = await t.admin.get<{
      projects: { id: string; stats: { documents: number; chunks: number; bytes: number } }[];
    }>('/v1/projects');
    const stats = Object.fromEntries(list.body.projects.map((p) => [p.id, p.stats]));
    expect(stats[acme.id]).toEqual({ documents: 1, chunks: expect.any(Number), bytes: Buffer.byteLength(text) });
    expect(stats[acme.id].chunks).toBeGreaterThan(0);
    expect(stats[globex.id]).toEqual({ documents: 0, chunks: 0, bytes: 0 });
    const one = await t.admin.get<{ project: { stats: unknown } }>(`/v1/projects/${acme.id}`);
    expect(one.body.project.stats).toEqual(stats[acme.id]);
  });

  it('takes top_k up to 100 in retrieve, and refuses 101', async () => {
    const client = t.client(acme.key);
    const ok = await client.post<{ results: unknown[] }>('/v1/retrieve', { query: 'refunds', top_k: 100 });
    expect(ok.status).toBe(200);
    expect(ok.body.results.length).toBeGreaterThan(0);
    const over = await client.post<{ error: { type: string; message: string } }>('/v1/retrieve', {
      query: 'refunds',
      top_k: 101,
    });
    expect([over.status, over.body.error.type]).toEqual([400, 'invalid_request']);
    expect(over.body.error.message).toMatch(/1 to 100/);
  });
});
