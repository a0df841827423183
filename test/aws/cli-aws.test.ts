import { createTableForTests, DynamoTenantStore } from '../../lambdas/adapters/aws/dynamo-tenant-store';
import { hashKey } from '../../lambdas/core/keys';
import { runCli } from '../helpers/cli';
import { dynamoClient, type RunningServer, startDynalite } from './protocol-servers';

describe('oprag admin create-company --aws', () => {
  let dynamo: RunningServer;
  beforeAll(async () => {
    dynamo = await startDynalite();
    await createTableForTests(dynamoClient(dynamo.endpoint), 'oprag-staging');
  });
  afterAll(async () => dynamo.close());

  const env = () => ({
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });

  it("writes the company and its first admin key into the stage's table", async () => {
    const out = await runCli(
      ['admin', 'create-company', '--name', 'Initech', '--aws', '--stage', 'staging', '--json'],
      {
        env: env(),
      },
    );
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const created = JSON.parse(out.stdout) as { company: { id: string }; api_key: { key: string } };
    const store = new DynamoTenantStore({ client: dynamoClient(dynamo.endpoint), tableName: 'oprag-staging' });
    expect(await store.getCompany(created.company.id)).toMatchObject({ name: 'Initech' });
    const key = await store.findKeyByHash(hashKey(created.api_key.key));
    expect(key).toMatchObject({ company_id: created.company.id, role: 'admin', kind: 'company' });
  });

  it('refuses without a stage or table, and names the missing option', async () => {
    const out = await runCli(['admin', 'create-company', '--name', 'Initech', '--aws'], {
      env: { ...env(), OPRAG_TABLE_NAME: '' },
    });
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/--stage or --table-name/);
  });
});
