process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { createTableForTests } from '../../lambdas/adapters/aws/dynamo-tenant-store';
import { ExtractiveGenerator } from '../../lambdas/adapters/local/extractive-generator';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-index';
import { type AwsHome, composeAws } from '../../lambdas/handlers/compose';
import { readAwsConfig } from '../../lambdas/handlers/config';
import { type AppContext, makeApp } from '../../lambdas/http/app';
import { apiEvent } from './api-event';
import { dynamoClient, type RunningServer, s3Client, startDynalite, startS3rver } from './protocol-servers';

/**
 * The per-company project quota on the AWS home: DynamoDB on dynalite, the deployment default
 * from OPRAG_MAX_PROJECTS_PER_COMPANY (as the stack sets it), a company's own `max_projects`.
 */
describe('the project quota of a company, on DynamoDB (dynalite)', () => {
  let dynamo: RunningServer;
  let s3: RunningServer;
  let indexDir: string;
  let home: AwsHome;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read by shape and asserted field by field
  let call: (method: string, path: string, key: string, body?: unknown) => Promise<{ status: number; body: any }>;

  beforeAll(async () => {
    [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
    indexDir = mkdtempSync(join(tmpdir(), 'oprag-quota-index-'));
    process.env.OPRAG_MAX_PROJECTS_PER_COMPANY = '2';
    const config = readAwsConfig({
      OPRAG_STAGE: 'test',
      AWS_REGION: 'us-east-1',
      OPRAG_TABLE_NAME: 'oprag-quota',
      OPRAG_BUCKET_NAME: 'oprag-quota',
      OPRAG_INGEST_QUEUE_URL: 'http://127.0.0.1:9/queue',
      OPRAG_COLLECTIONS: JSON.stringify([{ name: 'c1', endpoint: 'http://127.0.0.1:9' }]),
      OPRAG_EMBED_MODEL_ID: 'amazon.titan-embed-text-v2:0',
      OPRAG_GENERATE_MODEL_ID: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    });
    const clients = {
      dynamo: dynamoClient(dynamo.endpoint),
      s3: s3Client(s3.endpoint),
      sqs: new SQSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }),
      bedrock: new BedrockRuntimeClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }),
    };
    await createTableForTests(clients.dynamo, config.tableName);
    await clients.s3.send(new CreateBucketCommand({ Bucket: 'oprag-quota' }));
    // OpenSearch Serverless cannot run here: the index port gets the embedded adapter
    home = composeAws(config, clients, {
      index: new SqliteSearchIndex(indexDir),
      generator: new ExtractiveGenerator(),
      embedder: null,
      // the worker's jobs (a project's purge) run as soon as a request queues them
      jobs: { enqueueJob: async (job) => void (await home.services.jobs.run(job)) },
    });
    delete process.env.OPRAG_MAX_PROJECTS_PER_COMPANY;
    const app = makeApp(home.services, { maxBodyBytes: home.settings.maxBodyBytes, logger: home.logger });
    call = async (method, path, key, body) => {
      const res = await app(apiEvent(method, path, key, body), {} as AppContext as Context as AppContext);
      return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
    };
  });

  afterAll(async () => {
    await Promise.all([dynamo.close(), s3.close()]);
    rmSync(indexDir, { recursive: true, force: true });
  });

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
