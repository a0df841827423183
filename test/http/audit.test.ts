import { startTestServer, type TestServer } from '../helpers/server';

type AuditEvent = {
  at: string;
  actor: { type: string; key_id: string | null };
  action: string;
  resource: string;
  outcome: string;
  request_id: string;
  detail?: Record<string, unknown>;
};
type AuditPage = { events: AuditEvent[]; next_cursor: string | null };

/** The audit filters and the company's own audit, over loopback HTTP. */
describe('audit', () => {
  let t: TestServer;
  let acme: { id: string; key: string };
  let keyIds: { acme: string };
  beforeAll(async () => {
    t = await startTestServer();
    acme = await t.project('Acme');
    keyIds = { acme: (await t.client(acme.key).get<{ key: { id: string } }>('/v1/me')).body.key.id };
  });
  afterAll(async () => t.close());

  const audit = async (query: string) => {
    const res = await t.admin.get<AuditPage>(`/v1/projects/${acme.id}/audit?${query}`);
    expect(res.status).toBe(200);
    return res.body;
  };

  it('filters a project audit by action, key, outcome and time, and pages through the matches', async () => {
    const client = t.client(acme.key);
    for (let i = 0; i < 5; i++) await client.post('/v1/retrieve', { query: `refunds ${i}` });
    expect((await client.get('/v1/projects/prj_00000000000000000000000000/documents')).status).toBe(404);
    expect((await client.get(`/v1/projects/${acme.id}/keys`)).status).toBe(403); // ingest/query key
    const before = new Date().toISOString();

    const retrieves = await audit('action=retrieve');
    expect(retrieves.events).toHaveLength(5);
    expect(retrieves.events.every((e) => e.action === 'retrieve' && e.actor.key_id === keyIds.acme)).toBe(true);

    const paged = await audit('action=retrieve&limit=2');
    expect(paged.events).toHaveLength(2);
    const rest = await audit(`action=retrieve&limit=2&cursor=${paged.next_cursor}`);
    const last = await audit(`action=retrieve&limit=2&cursor=${rest.next_cursor}`);
    expect([...paged.events, ...rest.events, ...last.events].map((e) => e.request_id)).toEqual(
      retrieves.events.map((e) => e.request_id),
    );

    const denied = await audit('outcome=denied');
    expect(denied.events.map((e) => e.action)).toEqual(['keys.list']);
    expect((await audit(`key_id=${keyIds.acme}`)).events.length).toBeGreaterThanOrEqual(6);
    expect((await audit('key_id=key_unknown')).events).toEqual([]);
    expect((await audit(`from=${encodeURIComponent(before)}&action=retrieve`)).events).toEqual([]);
    expect((await audit(`to=${encodeURIComponent(before)}&action=retrieve`)).events).toHaveLength(5);
  });

  it('refuses a malformed filter with a 400', async () => {
    for (const query of ['outcome=maybe', 'from=yesterday', 'limit=0']) {
      const res = await t.admin.get<{ error: { type: string } }>(`/v1/projects/${acme.id}/audit?${query}`);
      expect([query, res.status, res.body.error.type]).toEqual([query, 400, 'invalid_request']);
    }
  });

  it("keeps the company's own events, a deleted project's receipt included, for company keys only", async () => {
    const gone = await t.project('Short-lived');
    const viewer = await t.admin.post<{ api_key: { id: string; key: string } }>('/v1/company/keys', {
      name: 'auditor',
      role: 'viewer',
    });
    const del = await t.admin.delete<{ deleted: Record<string, unknown> }>(`/v1/projects/${gone.id}`);
    expect(del.status).toBe(200);

    const res = await t.client(viewer.body.api_key.key).get<AuditPage>('/v1/company/audit');
    expect(res.status).toBe(200);
    const actions = res.body.events.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['projects.create', 'company.keys.create', 'projects.delete']));
    const deleted = res.body.events.find((e) => e.action === 'projects.delete');
    expect(deleted).toMatchObject({ outcome: 'success', resource: `/v1/projects/${gone.id}` });
    expect(deleted?.detail).toEqual({ deleted: del.body.deleted });
    // project calls stay in the project's log
    expect(actions).not.toContain('retrieve');

    const filtered = await t.admin.get<AuditPage>('/v1/company/audit?action=projects.delete');
    expect(filtered.body.events.map((e) => e.action)).toEqual(['projects.delete']);
    // a project key has no company audit
    expect((await t.client(acme.key).get('/v1/company/audit')).status).toBe(403);
    expect((await t.client().get('/v1/company/audit')).status).toBe(401);
  });
  it("writes a reach for another tenant's project to the caller's company audit, never to the other tenant", async () => {
    const other = await t.server.services.keys.createCompany('Other Co');
    const otherAdmin = t.client(other.api_key.key);
    const theirs = (await otherAdmin.post<{ project: { id: string } }>('/v1/projects', { name: 'Theirs' })).body
      .project;
    const sibling = await t.project('Sibling');

    // another company's admin, and a project key of this company on a sibling project
    expect((await t.admin.get(`/v1/projects/${theirs.id}/documents`)).status).toBe(404);
    expect((await t.client(acme.key).get(`/v1/projects/${sibling.id}/documents`)).status).toBe(404);

    const ours = (await t.admin.get<AuditPage>('/v1/company/audit?outcome=denied&limit=100')).body.events;
    expect(ours.find((e) => e.resource === `/v1/projects/${theirs.id}/documents`)).toMatchObject({
      action: 'documents.list',
      outcome: 'denied',
      actor: { type: 'company_key' },
    });
    expect(ours.find((e) => e.resource === `/v1/projects/${sibling.id}/documents`)).toMatchObject({
      action: 'documents.list',
      outcome: 'denied',
      actor: { type: 'project_key', key_id: keyIds.acme },
    });
    // the tenants reached see nothing of it: not the other company, not the sibling project
    const theirCompany = (await otherAdmin.get<AuditPage>('/v1/company/audit?limit=100')).body.events;
    expect(theirCompany.map((e) => e.resource)).not.toContain(`/v1/projects/${theirs.id}/documents`);
    const theirProject = (await otherAdmin.get<AuditPage>(`/v1/projects/${theirs.id}/audit?limit=100`)).body.events;
    expect(theirProject.filter((e) => e.outcome === 'denied')).toEqual([]);
    const siblingLog = (await t.admin.get<AuditPage>(`/v1/projects/${sibling.id}/audit?limit=100`)).body.events;
    expect(siblingLog.filter((e) => e.outcome === 'denied')).toEqual([]);
  });
});
