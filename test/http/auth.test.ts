import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startTestServer, type TestServer } from '../helpers/server';

type Key = {
  id: string;
  key?: string;
  prefix: string;
  scopes: string[];
  revoked_at: string | null;
  expires_at: string | null;
  last_used_at: string | null;
};

describe('keys, scopes and roles', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('shows a key once, lists it without the secret, and stores only its hash', async () => {
    const p = await t.project();
    const created = await t.admin.post<{ api_key: Key }>(`/v1/projects/${p.id}/keys`, {
      name: 'ci',
      scopes: ['query'],
    });
    expect(created.status).toBe(201);
    const secret = created.body.api_key.key as string;
    expect(secret).toMatch(/^oprag_pk_[0-9A-Za-z]{40}$/);
    expect(created.body.api_key.prefix).toBe(secret.slice(0, 12));

    const list = await t.admin.get<{ keys: Key[] }>(`/v1/projects/${p.id}/keys`);
    expect(list.status).toBe(200);
    expect(list.body.keys).toHaveLength(2);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    for (const k of list.body.keys) expect(k).not.toHaveProperty('key');

    const db = new Database(join(t.dataDir, 'control.db'), { readonly: true });
    const rows = db.prepare('SELECT hash, data FROM api_keys').all() as { hash: string; data: string }[];
    db.close();
    expect(rows.some((r) => r.data.includes(secret) || r.hash === secret)).toBe(false);
    expect(rows.some((r) => r.hash.length === 64)).toBe(true);
  });

  it('records last_used_at when a key is used', async () => {
    const p = await t.project();
    await p.client.post('/v1/chat', { question: 'anything at all?' });
    const list = await t.admin.get<{ keys: Key[] }>(`/v1/projects/${p.id}/keys`);
    expect(list.body.keys[0].last_used_at).not.toBeNull();
  });

  it('revoking a key stops it on the very next call', async () => {
    const p = await t.project();
    const created = await t.admin.post<{ api_key: Key }>(`/v1/projects/${p.id}/keys`, { scopes: ['query', 'ingest'] });
    const client = t.client(created.body.api_key.key);
    expect((await client.get('/v1/documents')).status).toBe(200);
    const revoked = await t.admin.delete<{ api_key: Key }>(`/v1/projects/${p.id}/keys/${created.body.api_key.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.api_key.revoked_at).not.toBeNull();
    const after = await client.get<{ error: { type: string } }>('/v1/documents');
    expect(after.status).toBe(401);
    expect(after.body.error.type).toBe('unauthorized');
    // the project's other key still works
    expect((await p.client.get('/v1/documents')).status).toBe(200);
  });

  it('an expired key gets 401, and expires_at must be in the future', async () => {
    const p = await t.project();
    const past = await t.admin.post(`/v1/projects/${p.id}/keys`, { expires_at: '2001-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    const soon = new Date(t.clock.now().getTime() + 1500).toISOString();
    const created = await t.admin.post<{ api_key: Key }>(`/v1/projects/${p.id}/keys`, { expires_at: soon });
    expect(created.status).toBe(201);
    const client = t.client(created.body.api_key.key);
    expect((await client.get('/v1/documents')).status).toBe(200);
    t.clock.advance(1000);
    expect((await client.get('/v1/documents')).status).toBe(200);
    t.clock.advance(700);
    const after = await client.get<{ error: { message: string } }>('/v1/documents');
    expect(after.status).toBe(401);
    expect(after.body.error.message).toMatch(/expired/);
  });

  it('expires_at with an offset other than Z is an instant: kept in UTC, and the key expires at that instant', async () => {
    const p = await t.project();
    /** `ms` from now, written in +05:00 (so its text sorts after any UTC time of today) */
    const inPlusFive = (ms: number) =>
      new Date(t.clock.now().getTime() + ms + 5 * 3600_000).toISOString().replace('Z', '+05:00');
    const past = await t.admin.post(`/v1/projects/${p.id}/keys`, { expires_at: inPlusFive(-3600_000) });
    expect(past.status).toBe(400);
    const soon = inPlusFive(1500);
    const created = await t.admin.post<{ api_key: Key }>(`/v1/projects/${p.id}/keys`, { expires_at: soon });
    expect(created.status).toBe(201);
    expect(created.body.api_key.expires_at).toBe(new Date(soon).toISOString());
    const client = t.client(created.body.api_key.key);
    expect((await client.get('/v1/documents')).status).toBe(200);
    t.clock.advance(1700);
    expect((await client.get('/v1/documents')).status).toBe(401);
  });

  it('a project key without the scope gets 403', async () => {
    const p = await t.project();
    const make = async (scopes: string[]) =>
      t.client((await t.admin.post<{ api_key: Key }>(`/v1/projects/${p.id}/keys`, { scopes })).body.api_key.key);
    const query = await make(['query']);
    const ingest = await make(['ingest']);
    const review = await make(['review']);

    expect((await query.post('/v1/documents', { text: 'hello world' })).status).toBe(403);
    expect((await query.post('/v1/chat', { question: 'hello?' })).status).toBe(200);
    expect((await ingest.post('/v1/chat', { question: 'hello?' })).status).toBe(403);
    expect((await ingest.post('/v1/retrieve', { query: 'hello' })).status).toBe(403);
    expect((await ingest.post('/v1/documents?wait=true', { text: 'hello world' })).status).toBe(201);
    expect((await review.get('/v1/documents')).status).toBe(200);
    expect((await review.post('/v1/documents', { text: 'x' })).status).toBe(403);
    expect((await review.get(`/v1/projects/${p.id}/golden-questions`)).status).toBe(200);
    expect((await review.post('/v1/chat', { question: 'hello?' })).status).toBe(200);
    expect((await review.post('/v1/retrieve', { query: 'hello' })).status).toBe(403);
    expect((await review.get(`/v1/projects/${p.id}/audit`)).status).toBe(200);
    expect((await query.get(`/v1/projects/${p.id}/golden-questions`)).status).toBe(403);
    // control-plane routes are not for project keys at all
    for (const key of [query, ingest, review]) {
      expect((await key.get('/v1/company')).status).toBe(403);
      expect((await key.get('/v1/projects')).status).toBe(403);
      expect((await key.post('/v1/projects', { name: 'x' })).status).toBe(403);
      expect((await key.get(`/v1/projects/${p.id}/keys`)).status).toBe(403);
      expect((await key.get(`/v1/projects/${p.id}/export`)).status).toBe(403);
      expect((await key.delete(`/v1/projects/${p.id}`)).status).toBe(403);
    }
    expect((await t.admin.get(`/v1/projects/${p.id}`)).status).toBe(200);
  });

  it('who may act is settled before the body is read: a foreign project is 404 and a missing permission 403, whatever the body', async () => {
    const a = await t.project();
    const b = await t.project();
    const queryOnAKey = (await t.admin.post<{ api_key: Key }>(`/v1/projects/${a.id}/keys`, { scopes: ['query'] })).body
      .api_key.key as string;
    const queryOnA = t.client(queryOnAKey);
    const cut = '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nunterminated';
    const multipart = (key: string, path: string) =>
      fetch(`${t.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'multipart/form-data; boundary=XYZ' },
        body: cut,
      }).then((r) => r.status);
    // another project's key: the project does not exist for it, body or no body
    expect((await b.client.post(`/v1/projects/${a.id}/chat`, {})).status).toBe(404);
    expect((await b.client.post(`/v1/projects/${a.id}/golden-questions`, { nonsense: true })).status).toBe(404);
    expect(await multipart(b.key, `/v1/projects/${a.id}/documents`)).toBe(404);
    // its own project, without the permission: 403 before the body is looked at
    expect(await multipart(queryOnAKey, `/v1/projects/${a.id}/documents`)).toBe(403);
    expect((await queryOnA.post('/v1/documents', { text: 42 })).status).toBe(403);
    // with the permission, the same bodies are the caller's mistake: 400
    expect((await a.client.post(`/v1/projects/${a.id}/chat`, {})).status).toBe(400);
    expect(await multipart(a.key, `/v1/projects/${a.id}/documents`)).toBe(400);
    // company routes: a viewer's write is 403 whatever it sends
    const viewer = t.client(
      (await t.admin.post<{ api_key: Key }>('/v1/company/keys', { name: 'v', role: 'viewer' })).body.api_key
        .key as string,
    );
    expect((await viewer.post('/v1/projects', {})).status).toBe(403);
    expect((await t.admin.post('/v1/projects', {})).status).toBe(400);
  });

  it('a viewer company key reads but changes nothing', async () => {
    const p = await t.project();
    const v = await t.admin.post<{ api_key: Key & { role: string } }>('/v1/company/keys', {
      name: 'auditor',
      role: 'viewer',
    });
    expect(v.status).toBe(201);
    expect(v.body.api_key.role).toBe('viewer');
    const viewer = t.client(v.body.api_key.key);
    expect((await viewer.get('/v1/company')).status).toBe(200);
    expect((await viewer.get('/v1/projects')).status).toBe(200);
    expect((await viewer.get(`/v1/projects/${p.id}`)).status).toBe(200);
    expect((await viewer.get(`/v1/projects/${p.id}/documents`)).status).toBe(200);
    expect((await viewer.post(`/v1/projects/${p.id}/chat`, { question: 'hello?' })).status).toBe(200);
    expect((await viewer.post('/v1/projects', { name: 'nope' })).status).toBe(403);
    expect((await viewer.request('PATCH', `/v1/projects/${p.id}`, { name: 'renamed' })).status).toBe(403);
    expect((await viewer.post(`/v1/projects/${p.id}/documents`, { text: 'x' })).status).toBe(403);
    expect((await viewer.post(`/v1/projects/${p.id}/keys`, {})).status).toBe(403);
    expect((await viewer.get(`/v1/projects/${p.id}/export`)).status).toBe(403);
    expect((await viewer.delete(`/v1/projects/${p.id}`)).status).toBe(403);
    expect((await viewer.post('/v1/company/keys', { name: 'x', role: 'admin' })).status).toBe(403);
    expect((await t.admin.get(`/v1/projects/${p.id}`)).body).toMatchObject({ project: { name: 'test project' } });
  });

  it('company keys: create, list without secrets, revoke; the last admin key cannot be revoked', async () => {
    const other = await t.server.services.keys.createCompany('Keyring Inc');
    const first = t.client(other.api_key.key);
    const second = await first.post<{ api_key: Key }>('/v1/company/keys', { name: 'second admin', role: 'admin' });
    expect(second.status).toBe(201);
    const list = await first.get<{ keys: Key[] }>('/v1/company/keys');
    expect(list.body.keys).toHaveLength(2);
    expect(JSON.stringify(list.body)).not.toContain(second.body.api_key.key as string);

    const revoked = await first.delete<{ api_key: Key }>(`/v1/company/keys/${second.body.api_key.id}`);
    expect(revoked.status).toBe(200);
    expect((await t.client(second.body.api_key.key).get('/v1/company')).status).toBe(401);

    const last = await first.delete<{ error: { type: string } }>(`/v1/company/keys/${other.api_key.id}`);
    expect(last.status).toBe(409);
    expect(last.body.error.type).toBe('conflict');
    expect((await first.get('/v1/company')).status).toBe(200);
    // another company's key id is simply not found
    expect((await t.admin.delete(`/v1/company/keys/${other.api_key.id}`)).status).toBe(404);
  });

  it('rejects malformed, unknown and missing keys with 401', async () => {
    for (const auth of [undefined, 'Bearer nope', `Bearer oprag_pk_${'a'.repeat(40)}`, 'Basic abc']) {
      const res = await fetch(`${t.url}/v1/company`, { headers: auth ? { authorization: auth } : {} });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { type: string; request_id: string } };
      expect(body.error.type).toBe('unauthorized');
      expect(res.headers.get('x-request-id')).toBe(body.error.request_id);
    }
  });
});
