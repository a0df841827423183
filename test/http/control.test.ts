import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server';

type Project = {
  id: string;
  name: string;
  external_ref: string | null;
  environment: string;
  created_at: string;
  updated_at: string;
  limits: Record<string, number | null>;
  stats?: { documents: number; chunks: number; bytes: number };
};

describe('company and projects', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('reads the company', async () => {
    const res = await t.admin.get<{ company: { id: string; name: string; created_at: string } }>('/v1/company');
    expect(res.status).toBe(200);
    expect(res.body.company.name).toBe('Demo company');
    expect(res.body.company.id).toMatch(/^cmp_/);
  });

  it('creates a project with its first key (query + ingest) and validates the body', async () => {
    const res = await t.admin.post<{
      project: Project;
      api_key: { key: string; scopes: string[]; environment: string };
    }>('/v1/projects', { name: 'Acme Corp', external_ref: 'acme-42', environment: 'staging' });
    expect(res.status).toBe(201);
    expect(res.body.project).toMatchObject({ name: 'Acme Corp', external_ref: 'acme-42', environment: 'staging' });
    expect(res.body.api_key.scopes.sort()).toEqual(['ingest', 'query']);
    expect(res.body.api_key.environment).toBe('staging');
    expect(res.body.api_key.key).toMatch(/^oprag_pk_/);
    for (const bad of [{}, { name: '' }, { name: 'x'.repeat(201) }, { name: 'ok', environment: 'dev' }, { name: 7 }]) {
      const r = await t.admin.post<{ error: { type: string; message: string } }>('/v1/projects', bad);
      expect(r.status).toBe(400);
      expect(r.body.error.type).toBe('invalid_request');
      expect(r.body.error.message.length).toBeGreaterThan(5);
    }
  });

  it('lists projects newest first with an opaque cursor', async () => {
    const other = await t.server.services.keys.createCompany('Paging Co');
    const admin = t.client(other.api_key.key);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await admin.post<{ project: Project }>('/v1/projects', { name: `p${i}` })).body.project.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: { projects: Project[]; next_cursor: string | null } } = await admin.get(
        `/v1/projects?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.projects.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.projects.map((p) => p.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    expect((await admin.get('/v1/projects?cursor=garbage!')).status).toBe(400);
    expect((await admin.get('/v1/projects?limit=0')).status).toBe(400);
  });

  it('gets a project with stats and patches it', async () => {
    const p = await t.project('stats');
    await p.client.post('/v1/documents?wait=true', {
      text: 'Alpha paragraph about invoices.\n\nBeta paragraph about taxes.',
    });
    const got = await t.admin.get<{ project: Project }>(`/v1/projects/${p.id}`);
    expect(got.body.project.stats).toEqual({ documents: 1, chunks: 1, bytes: 60 });
    const patched = await t.admin.request<{ project: Project }>('PATCH', `/v1/projects/${p.id}`, {
      name: 'Renamed',
      external_ref: null,
      limits: { chat_per_minute: 100, max_documents: 10 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.project.name).toBe('Renamed');
    expect(patched.body.project.limits).toMatchObject({ chat_per_minute: 100, max_documents: 10 });
    expect(patched.body.project.updated_at >= got.body.project.updated_at).toBe(true);
    const bad = await t.admin.request('PATCH', `/v1/projects/${p.id}`, { limits: { chat_per_minute: -1 } });
    expect(bad.status).toBe(400);
    const unknownLimit = await t.admin.request('PATCH', `/v1/projects/${p.id}`, { limits: { bananas: 1 } });
    expect(unknownLimit.status).toBe(400);
    expect((await t.admin.get<{ project: Project }>(`/v1/projects/${p.id}`)).body.project.name).toBe('Renamed');
  });

  it('enforces the per-minute chat limit with 429 and Retry-After, and opens a new window each minute', async () => {
    const p = await t.project('limited');
    await t.admin.request('PATCH', `/v1/projects/${p.id}`, { limits: { chat_per_minute: 2 } });
    const chat = () => p.client.post<{ error?: { type: string } }>('/v1/chat', { question: 'anything?' });
    // one second into a minute, and the clock stands still: all three calls fall in that minute
    t.clock.freeze(t.clock.nextMinute(1000));
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 2; i++) statuses.push((await chat()).status);
      const limited = await chat();

      expect(statuses).toEqual([200, 200]);
      expect(limited.status).toBe(429);
      expect(limited.body.error?.type).toBe('rate_limited');
      // the seconds left in the minute
      expect(limited.headers.get('retry-after')).toBe('59');
      expect((await chat()).status).toBe(429);
      // the next minute is a new window
      t.clock.advance(60_000);
      expect((await chat()).status).toBe(200);
    } finally {
      t.clock.resume();
    }
  });

  it('refuses documents past the document quota with 409 and keeps what it has', async () => {
    const p = await t.project('quota');
    await t.admin.request('PATCH', `/v1/projects/${p.id}`, { limits: { max_documents: 1 } });
    expect((await p.client.post('/v1/documents?wait=true', { text: 'first document' })).status).toBe(201);
    const second = await p.client.post<{ error: { type: string } }>('/v1/documents', { text: 'second document' });
    expect(second.status).toBe(409);
    expect(second.body.error.type).toBe('conflict');
    const list = await p.client.get<{ documents: unknown[] }>('/v1/documents');
    expect(list.body.documents).toHaveLength(1);
  });

  it('counts usage per day', async () => {
    const p = await t.project('usage');
    await p.client.post('/v1/documents?wait=true', { text: 'The warranty lasts two years from delivery.' });
    await p.client.post('/v1/chat', { question: 'How long does the warranty last?' });
    await p.client.post('/v1/chat', { question: 'What is the capital of France?' });
    const res = await t.admin.get<{ usage: Record<string, number | string>[] }>(`/v1/projects/${p.id}/usage`);
    expect(res.status).toBe(200);
    const today = res.body.usage[0];
    expect(today.day).toBe(t.clock.now().toISOString().slice(0, 10));
    expect(today).toMatchObject({ answers: 1, refusals: 1, documents: 1 });
    expect(today.requests as number).toBeGreaterThanOrEqual(3);
    expect(today.bytes).toBe(43);
    expect((await t.admin.get(`/v1/projects/${p.id}/usage?from=2020-13-45`)).status).toBe(400);
    // a day that is not on the calendar (Date.parse would roll it over to March)
    expect((await t.admin.get(`/v1/projects/${p.id}/usage?from=2026-02-31`)).status).toBe(400);
    const empty = await t.admin.get<{ usage: unknown[] }>(`/v1/projects/${p.id}/usage?from=2001-01-01&to=2001-01-31`);
    expect(empty.body.usage).toEqual([]);
  });

  it('writes an audit event for every authenticated call, newest first', async () => {
    const p = await t.project('audited');
    await p.client.post('/v1/documents?wait=true', { text: 'Audit me.' });
    await p.client.post('/v1/chat', { question: 'audit?' });
    await p.client.post('/v1/documents', { text: 'x' }); // a fine call
    await p.client.get('/v1/documents/doc_nope'); // not found
    const res = await t.admin.get<{
      events: {
        at: string;
        actor: { type: string; key_id: string };
        action: string;
        resource: string;
        outcome: string;
        request_id: string;
      }[];
      next_cursor: string | null;
    }>(`/v1/projects/${p.id}/audit?limit=3`);
    expect(res.status).toBe(200);
    expect(res.body.events).toHaveLength(3);
    expect(res.body.next_cursor).not.toBeNull();
    const [latest, second, third] = res.body.events;
    expect(latest).toMatchObject({ action: 'documents.get', outcome: 'denied', actor: { type: 'project_key' } });
    expect(second).toMatchObject({ action: 'documents.create', outcome: 'success' });
    expect(third).toMatchObject({ action: 'chat', outcome: 'success', resource: '/v1/chat' });
    expect(latest.request_id).toMatch(/^req_/);
    const next = await t.admin.get<{ events: { action: string }[] }>(
      `/v1/projects/${p.id}/audit?limit=50&cursor=${res.body.next_cursor}`,
    );
    expect(next.body.events.map((e) => e.action)).toEqual(['documents.create']);
  });

  it('deletes a project with a receipt, and purges every trace', async () => {
    const p = await t.project('doomed');
    for (const text of ['Doomed alpha text about whales.', 'Doomed beta text about whales.']) {
      await p.client.post('/v1/documents?wait=true', { text });
    }
    const extra = await t.admin.post<{ api_key: { key: string } }>(`/v1/projects/${p.id}/keys`, { scopes: ['query'] });
    const indexFile = join(t.dataDir, 'projects', `${p.id}.db`);
    expect(existsSync(indexFile)).toBe(true);
    expect(existsSync(join(t.dataDir, 'blobs', p.id))).toBe(true);

    const res = await t.admin.delete<{ deleted: Record<string, unknown> }>(`/v1/projects/${p.id}`);
    expect(res.status).toBe(200);
    expect(res.body.deleted).toEqual({ project_id: p.id, documents: 2, chunks: 2, keys: 2, blobs: 4 });

    expect(existsSync(indexFile)).toBe(false);
    expect(existsSync(join(t.dataDir, 'blobs', p.id))).toBe(false);
    expect(readdirSync(join(t.dataDir, 'projects')).some((f) => f.startsWith(p.id))).toBe(false);
    expect((await p.client.post('/v1/chat', { question: 'whales?' })).status).toBe(401);
    expect((await t.client(extra.body.api_key.key).get('/v1/documents')).status).toBe(401);
    expect((await t.admin.get(`/v1/projects/${p.id}`)).status).toBe(404);
    expect((await t.admin.post(`/v1/projects/${p.id}/retrieve`, { query: 'whales' })).status).toBe(404);
    expect((await t.admin.delete(`/v1/projects/${p.id}`)).status).toBe(404);
  });

  it('exports a project as NDJSON that rebuilds it elsewhere', async () => {
    const p = await t.project('exported');
    const doc = await p.client.post<{ document: { id: string } }>('/v1/documents?wait=true', {
      title: 'Shipping',
      url: '/help/shipping',
      tags: ['logistics'],
      metadata: { owner: 'ops' },
      text: '# Shipping\n\nOrders ship within **two** business days.\n\n## Returns\n\nReturns are free for 60 days.',
    });
    await t.admin.post(`/v1/projects/${p.id}/golden-questions`, {
      question: 'How fast do orders ship?',
      expected_answer: 'two business days',
    });
    const res = await fetch(`${t.url}/v1/projects/${p.id}/export`, {
      headers: { authorization: `Bearer ${t.adminKey}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // the project, its documents, golden questions, keys (never their secrets), then its audit
    expect(lines.map((l) => l.type).filter((type) => type !== 'audit')).toEqual([
      'project',
      'document',
      'golden_question',
      'key',
    ]);
    expect(lines.at(-1).type).toBe('audit');
    expect(lines.find((l) => l.type === 'key')).not.toHaveProperty('hash');
    expect(lines[0]).toMatchObject({ id: p.id, name: 'exported' });
    const exported = lines[1];
    expect(exported).toMatchObject({
      id: doc.body.document.id,
      title: 'Shipping',
      url: '/help/shipping',
      tags: ['logistics'],
      metadata: { owner: 'ops' },
    });
    expect(exported.text).toContain('Orders ship within two business days.');
    expect(exported.text).not.toContain('**');

    // round trip: a new project built from the export answers the golden question the same way
    const copy = await t.project('copy');
    for (const line of lines.filter((l) => l.type === 'document')) {
      const r = await copy.client.post('/v1/documents?wait=true', {
        text: line.text,
        title: line.title,
        url: line.url,
        tags: line.tags,
        metadata: line.metadata,
        external_id: line.external_id ?? line.id,
      });
      expect(r.status).toBe(201);
    }
    for (const line of lines.filter((l) => l.type === 'golden_question')) {
      await t.admin.post(`/v1/projects/${copy.id}/golden-questions`, {
        question: line.question,
        expected_answer: line.expected_answer,
      });
    }
    const started = await Promise.all(
      [p.id, copy.id].map((id) =>
        t.admin.post<{ run: { id: string } }>(`/v1/projects/${id}/golden-questions/run`, { include_drafts: true }),
      ),
    );
    await t.server.home.jobs.idle();
    const runs = await Promise.all(
      [p.id, copy.id].map((id, i) =>
        t.admin.get<{ run: { passed: number; failed: number } }>(
          `/v1/projects/${id}/golden-runs/${started[i].body.run.id}`,
        ),
      ),
    );
    expect(runs.map((r) => r.body.run)).toEqual([
      expect.objectContaining({ passed: 1, failed: 0 }),
      expect.objectContaining({ passed: 1, failed: 0 }),
    ]);
  });
});
