import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ApiClient } from '../../lambdas/client/api-client';
import { runCli } from '../helpers/cli';
import { startTestServer, type TestServer } from '../helpers/server';

type Chat = { answer: string; grounded: boolean; citations: { document_id: string }[]; refusal: unknown };

describe('tenant isolation, from the outside', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  async function projectWithMarker(owner: ApiClient = t.admin) {
    const res = await owner.post<{ project: { id: string }; api_key: { key: string } }>('/v1/projects', {
      name: 'iso',
    });
    const client = t.client(res.body.api_key.key);
    const marker = `mk${randomBytes(5).toString('hex')}9`;
    const doc = await client.post<{ document: { id: string } }>('/v1/documents?wait=true', {
      title: 'Secret',
      text: `The launch code of this tenant is ${marker}. Keep the launch code private.`,
    });
    expect(doc.status).toBe(201);
    return { id: res.body.project.id, client, marker, docId: doc.body.document.id };
  }

  it("each project answers its own marker and refuses the other's, with no citations", async () => {
    const a = await projectWithMarker();
    const b = await projectWithMarker();
    const own = await a.client.post<Chat>('/v1/chat', { question: 'What is the launch code?' });
    expect(own.body.grounded).toBe(true);
    expect(own.body.answer).toContain(a.marker);
    expect(own.body.answer).not.toContain(b.marker);
    expect(own.body.citations.every((c) => c.document_id === a.docId)).toBe(true);

    for (const [asker, other] of [
      [a, b],
      [b, a],
    ]) {
      const res = await asker.client.post<Chat>('/v1/chat', { question: `Is ${other.marker} the launch code?` });
      expect(res.status).toBe(200);
      expect(res.body.refusal).not.toBeNull();
      expect(res.body.citations).toEqual([]);
      const retrieved = await asker.client.post<{ results: { document_id: string; text: string }[] }>('/v1/retrieve', {
        query: `${other.marker} launch code`,
      });
      expect(retrieved.body.results.length).toBeGreaterThan(0); // its own document matches "launch code"
      expect(retrieved.body.results.every((r) => r.document_id === asker.docId)).toBe(true);
      expect(JSON.stringify(retrieved.body)).not.toContain(other.marker);
    }
  });

  it("project A's key gets 404 on every route of project B, and B is untouched", async () => {
    const a = await projectWithMarker();
    const b = await projectWithMarker();
    const routes: [string, string, unknown?][] = [
      ['GET', `/v1/projects/${b.id}`],
      ['PATCH', `/v1/projects/${b.id}`, { name: 'pwned' }],
      ['DELETE', `/v1/projects/${b.id}`],
      ['GET', `/v1/projects/${b.id}/usage`],
      ['GET', `/v1/projects/${b.id}/export`],
      ['GET', `/v1/projects/${b.id}/keys`],
      ['POST', `/v1/projects/${b.id}/keys`, {}],
      ['GET', `/v1/projects/${b.id}/audit`],
      ['GET', `/v1/projects/${b.id}/documents`],
      ['POST', `/v1/projects/${b.id}/documents`, { text: 'injected' }],
      ['GET', `/v1/projects/${b.id}/documents/${b.docId}`],
      ['GET', `/v1/projects/${b.id}/documents/${b.docId}/content`],
      ['DELETE', `/v1/projects/${b.id}/documents/${b.docId}`],
      ['POST', `/v1/projects/${b.id}/uploads`, { filename: 'a.txt', content_type: 'text/plain' }],
      ['POST', `/v1/projects/${b.id}/retrieve`, { query: 'launch code' }],
      ['POST', `/v1/projects/${b.id}/chat`, { question: 'What is the launch code?' }],
      ['GET', `/v1/projects/${b.id}/golden-questions`],
      ['POST', `/v1/projects/${b.id}/golden-questions`, { question: 'q?' }],
      ['POST', `/v1/projects/${b.id}/golden-questions/run`],
      ['GET', `/v1/projects/${b.id}/golden-runs`],
      ['GET', `/v1/projects/${b.id}/golden-runs/run_01m8wyc33vkjyg393zrac548y1`],
      ['POST', `/v1/projects/${b.id}/exports`],
      ['GET', `/v1/projects/${b.id}/exports/exp_01m8wyc33vkjyg393zrac548y1`],
      ['GET', `/v1/documents/${b.docId}`],
      ['GET', `/v1/documents/${b.docId}/content`],
      ['DELETE', `/v1/documents/${b.docId}`],
    ];
    for (const [method, path, body] of routes) {
      const res = await a.client.request<{ error: { type: string } }>(method, path, body);
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 404 });
      expect(res.body.error.type).toBe('not_found');
    }
    const still = await b.client.get<{ document: { status: string } }>(`/v1/documents/${b.docId}`);
    expect(still.body.document.status).toBe('ready');
    const answer = await b.client.post<Chat>('/v1/chat', { question: 'What is the launch code?' });
    expect(answer.body.answer).toContain(b.marker);
    expect((await t.admin.get<{ project: { name: string } }>(`/v1/projects/${b.id}`)).body.project.name).toBe('iso');
    // A's attempts are not written into B's audit log
    const audit = await t.admin.get<{ events: { actor: { key_id: string } }[] }>(
      `/v1/projects/${b.id}/audit?limit=200`,
    );
    const aKeys = await t.admin.get<{ keys: { id: string }[] }>(`/v1/projects/${a.id}/keys`);
    const aKeyIds = new Set(aKeys.body.keys.map((k) => k.id));
    expect(audit.body.events.some((e) => aKeyIds.has(e.actor.key_id))).toBe(false);
  });

  it('a project id in the body or query string never selects another project', async () => {
    const a = await projectWithMarker();
    const b = await projectWithMarker();
    const res = await a.client.post<Chat>(`/v1/chat?project_id=${b.id}`, {
      question: 'What is the launch code?',
      project_id: b.id,
    });
    expect(res.body.answer).toContain(a.marker);
    expect(res.body.answer).not.toContain(b.marker);
    const doc = await a.client.post<{ document: { id: string } }>(`/v1/documents?wait=true&project_id=${b.id}`, {
      text: 'Planted text about zebras.',
      project_id: b.id,
    });
    expect(doc.status).toBe(201);
    expect((await b.client.get(`/v1/documents/${doc.body.document.id}`)).status).toBe(404);
    expect((await a.client.get(`/v1/documents/${doc.body.document.id}`)).status).toBe(200);
  });

  it("company X's admin gets 404 on company Y's project", async () => {
    const other = await t.server.services.keys.createCompany('Company Y');
    const yAdmin = t.client(other.api_key.key);
    const y = await projectWithMarker(yAdmin);
    for (const [method, path] of [
      ['GET', `/v1/projects/${y.id}`],
      ['GET', `/v1/projects/${y.id}/documents`],
      ['POST', `/v1/projects/${y.id}/chat`],
      ['DELETE', `/v1/projects/${y.id}`],
      ['GET', `/v1/projects/${y.id}/export`],
    ]) {
      const res = await t.admin.request(method, path, method === 'POST' ? { question: 'launch code?' } : undefined);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
    const list = await t.admin.get<{ projects: { id: string }[] }>('/v1/projects?limit=200');
    expect(list.body.projects.map((p) => p.id)).not.toContain(y.id);
    expect((await yAdmin.get(`/v1/projects/${y.id}`)).status).toBe(200);
  });

  it('each project has its own index file, and one project is never opened for another', async () => {
    const a = await projectWithMarker();
    const fs = await import('node:fs');
    const file = join(t.dataDir, 'projects', `${a.id}.db`);
    expect(fs.existsSync(file)).toBe(true);
    expect(() => t.server.home.index.forProject('../control')).toThrow();
  });

  it('the isolation-check command passes against a live server and prints its report', async () => {
    const cli = await runCli(['isolation-check', '--base-url', t.url, '--admin-key', t.adminKey]);
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    expect(cli.stdout).toMatch(/isolation check passed: \d+ checks, no leak/);
    expect(cli.stdout).not.toMatch(/^FAIL/m);
    expect(cli.stdout).toMatch(/PASS {2}A refuses/);
  }, 90_000);

  it('the isolation-check command fails with a non-zero exit on a bad admin key', async () => {
    const cli = await runCli(['isolation-check', '--base-url', t.url, '--admin-key', `oprag_ak_${'x'.repeat(40)}`]);
    expect(cli.status).toBe(1);
    expect(cli.stdout).toMatch(/isolation check FAILED/);
  }, 90_000);
});
