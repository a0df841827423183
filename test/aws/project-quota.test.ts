process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { ExtractiveGenerator } from '../../lambdas/adapters/local/extractive-generator';
import { type AwsHome, composeAws } from '../../lambdas/handlers/compose';
import { type AwsTestServers, appCaller, type Call, startAwsServers } from './aws-home';

/**
 * The per-company project quota on the AWS home: DynamoDB on dynalite, the deployment default
 * from OPRAG_MAX_PROJECTS_PER_COMPANY (as the stack sets it), a company's own `max_projects`.
 */
describe('the project quota of a company, on DynamoDB (dynalite)', () => {
  let servers: AwsTestServers;
  let home: AwsHome;
  let call: Call;

  beforeAll(async () => {
    servers = await startAwsServers('oprag-quota');
    process.env.OPRAG_MAX_PROJECTS_PER_COMPANY = '2';
    home = composeAws(servers.config, servers.clients, {
      index: servers.collection.searchIndex(),
      generator: new ExtractiveGenerator(),
      embedder: null,
      // the worker's jobs (a project's purge) run as soon as a request queues them
      jobs: { enqueueJob: async (job) => void (await home.services.jobs.run(job)) },
    });
    delete process.env.OPRAG_MAX_PROJECTS_PER_COMPANY;
    call = appCaller(home);
  });

  afterAll(async () => servers.close());

  const create = (key: string, name: string) => call('POST', '/v1/projects', key, { name });

  it("stops a company at the deployment's quota with 409 conflict, creating nothing, and leaves other companies alone", async () => {
    const greedy = (await home.services.keys.createCompany('Greedy')).api_key.key;
    const other = (await home.services.keys.createCompany('Other')).api_key.key;
    expect((await create(greedy, 'one')).status).toBe(201);
    expect((await create(greedy, 'two')).status).toBe(201);

    const refused = await create(greedy, 'three');

    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ type: 'conflict', message: expect.stringContaining('2 projects') });
    expect(refused.body.error.request_id).toBe('r1');
    const listed = await call('GET', '/v1/projects', greedy);
    expect(listed.body.projects.map((p: { name: string }) => p.name).sort()).toEqual(['one', 'two']);
    expect((await create(other, 'theirs')).status).toBe(201);
  });

  it('frees a place when a project is deleted', async () => {
    const admin = (await home.services.keys.createCompany('Churn')).api_key.key;
    const first = await create(admin, 'a');
    await create(admin, 'b');
    expect((await create(admin, 'c')).status).toBe(409);

    expect((await call('DELETE', `/v1/projects/${first.body.project.id}`, admin)).status).toBe(200);

    expect((await create(admin, 'c')).status).toBe(201);
  });

  it("holds a company to its own max_projects instead of the deployment's", async () => {
    const big = (await home.services.keys.createCompany('Big', { maxProjects: 3 })).api_key.key;
    const small = (await home.services.keys.createCompany('Small', { maxProjects: 1 })).api_key.key;

    for (const name of ['a', 'b', 'c']) expect((await create(big, name)).status).toBe(201);
    expect((await create(big, 'd')).status).toBe(409);
    expect((await create(small, 'a')).status).toBe(201);
    expect((await create(small, 'b')).status).toBe(409);
  });

  it('refuses a max_projects that is not a whole number from 1', async () => {
    await expect(home.services.keys.createCompany('Zero', { maxProjects: 0 })).rejects.toThrow(/max projects/);
    await expect(home.services.keys.createCompany('Half', { maxProjects: 1.5 })).rejects.toThrow(/max projects/);
  });
});
