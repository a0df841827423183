import { ApiClient } from '../../lambdas/client/api-client';
import { runCli } from '../helpers/cli';
import { startTestServer, type TestServer } from '../helpers/server';

interface ErrorBody {
  error: { type: string; message: string; request_id: string };
}

/** The per-company project quota on the local home: SQLite, over HTTP on a loopback socket. */
describe('the project quota of a company, on the local server', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ settings: { maxProjectsPerCompany: 2 } });
  });
  afterAll(() => t.close());

  async function newCompany(name: string, maxProjects?: number) {
    const out = await t.server.services.keys.createCompany(name, { maxProjects });
    return new ApiClient(t.url, out.api_key.key);
  }

  it("stops a company at the deployment's quota with 409 conflict and the API error body, creating nothing", async () => {
    const greedy = await newCompany('Greedy');
    const other = await newCompany('Other');
    for (const name of ['one', 'two']) expect((await greedy.post('/v1/projects', { name })).status).toBe(201);

    const refused = await greedy.post<ErrorBody>('/v1/projects', { name: 'three' });

    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ type: 'conflict', message: expect.stringContaining('2 projects') });
    expect(refused.body.error.request_id).toMatch(/^req_/);
    const listed = await greedy.get<{ projects: { name: string }[] }>('/v1/projects');
    expect(listed.body.projects.map((p) => p.name).sort()).toEqual(['one', 'two']);
    // another company is not held back by this one
    expect((await other.post('/v1/projects', { name: 'theirs' })).status).toBe(201);
  });

  it('frees a place when a project is deleted', async () => {
    const admin = await newCompany('Churn');
    const first = await admin.post<{ project: { id: string } }>('/v1/projects', { name: 'a' });
    await admin.post('/v1/projects', { name: 'b' });
    expect((await admin.post('/v1/projects', { name: 'c' })).status).toBe(409);

    expect((await admin.delete(`/v1/projects/${first.body.project.id}`)).status).toBe(200);

    expect((await admin.post('/v1/projects', { name: 'c' })).status).toBe(201);
  });

  it("holds a company to its own max_projects instead of the deployment's", async () => {
    const big = await newCompany('Big', 3);
    for (const name of ['a', 'b', 'c']) expect((await big.post('/v1/projects', { name })).status).toBe(201);

    expect((await big.post('/v1/projects', { name: 'd' })).status).toBe(409);
  });

  it('takes max_projects from `oprag admin create-company --max-projects`', async () => {
    const out = await runCli([
      'admin',
      'create-company',
      '--name',
      'From the CLI',
      '--max-projects',
      '1',
      '--data-dir',
      t.dataDir,
      '--json',
    ]);
    expect(out.status).toBe(0);
    const created = JSON.parse(out.stdout);
    expect(created.company.max_projects).toBe(1);
    const admin = new ApiClient(t.url, created.api_key.key);

    expect((await admin.post('/v1/projects', { name: 'only' })).status).toBe(201);
    expect((await admin.post('/v1/projects', { name: 'second' })).status).toBe(409);
  });
});
