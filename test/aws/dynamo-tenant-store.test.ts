process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { DeleteTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createTableForTests, DynamoTenantStore } from '../../lambdas/adapters/aws/dynamo-tenant-store';
import type { ProjectRecord } from '../../lambdas/core/model';
import { auditEvent, company, companyKey, document, project, projectKey, upload } from '../contract/fixtures';
import { type Dynalite, dynamoClient, startDynalite } from './protocol-servers';

/** What the contract suite cannot see: the item layout, TTLs, races and purge at scale. */

let dynalite: Dynalite;
let client: DynamoDBClient;
let tableName: string;
let store: DynamoTenantStore;
let n = 0;

beforeAll(async () => {
  dynalite = await startDynalite();
  client = dynamoClient(dynalite.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await dynalite?.close();
});
beforeEach(async () => {
  tableName = `oprag-store-${++n}`;
  await createTableForTests(client, tableName);
  store = new DynamoTenantStore({ client, tableName });
});
afterEach(async () => {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
});

async function scan(): Promise<Record<string, unknown>[]> {
  const res = await DynamoDBDocumentClient.from(client).send(new ScanCommand({ TableName: tableName }));
  return res.Items ?? [];
}

async function newProject(): Promise<ProjectRecord> {
  const c = company();
  await store.createCompany(c);
  const p = project(c.id);
  await store.createProject(p);
  return p;
}

const NOW = '2025-01-15T10:30:00.000Z';
const DAY = 86_400;

describe('DynamoTenantStore table', () => {
  it('is created with exactly the key schema the CDK table has', async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));

    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.GlobalSecondaryIndexes?.map((g) => [g.IndexName, g.KeySchema, g.Projection])).toEqual([
      [
        'gsi1',
        [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        { ProjectionType: 'ALL' },
      ],
    ]);
  });

  it("keeps every record a project owns in the project's partition; only pointers live elsewhere", async () => {
    const p = await newProject();
    const records = store.forProject(p.id);
    const key = projectKey(p.company_id, p.id);
    const up = upload(p.id);
    await store.putKey(key);
    await store.putUpload(up);
    await records.putDocument(document({ external_id: 'crm-1' }));
    await records.appendAudit(auditEvent());
    await records.addUsage('2025-01-15', { requests: 1 });
    await records.countInWindow('chat', '2025-01-15T10:30');

    const mine = (await scan()).filter((i) => JSON.stringify(i).includes(p.id) || i.owner === `PROJECT#${p.id}`);

    const outside = mine.filter((i) => i.pk !== `PROJECT#${p.id}`).map((i) => `${String(i.pk).split('#')[0]} ${i.sk}`);
    // pointers only: by key id, by key hash, by display prefix (failed authentications), by upload token
    expect(outside.sort()).toEqual([
      'KEY KEY',
      'KEYHASH KEYHASH',
      `KEYPREFIX KEY#${key.id}`,
      'UPLOAD UPLOAD',
      'UPLOADTOKEN UPLOADTOKEN',
    ]);
    expect(
      mine
        .filter((i) => i.pk === `PROJECT#${p.id}`)
        .map((i) => String(i.sk).split('#')[0])
        .sort(),
    ).toEqual(['AUDIT', 'DOC', 'EXTID', 'KEY', 'PROJECT', 'UPLOAD', 'USAGE', 'WINDOW']);
  });

  it('sets ttl on audit events (auditTtlDays, default 400), window counters and pending uploads only', async () => {
    const p = await newProject();
    const short = new DynamoTenantStore({ client, tableName, auditTtlDays: 30 });
    const at = Date.parse(NOW) / 1000;
    await store.forProject(p.id).appendAudit(auditEvent({ at: NOW, action: 'default' }));
    await short.forProject(p.id).appendAudit(auditEvent({ at: NOW, action: 'short' }));
    await store.appendCompanyAudit(p.company_id, auditEvent({ at: NOW, action: 'company' }));
    await store.putUpload(upload(p.id, { expires_at: '2025-01-15T11:00:00.000Z' }));
    const before = Math.floor(Date.now() / 1000);
    await store.forProject(p.id).countInWindow('chat', '2025-01-15T10:30');
    await store.forProject(p.id).putDocument(document());

    const items = await scan();

    const ttlOf = (pred: (i: Record<string, unknown>) => boolean) => items.filter(pred).map((i) => i.ttl);
    expect(ttlOf((i) => i.action === 'default')).toEqual([at + 400 * DAY]);
    expect(ttlOf((i) => i.action === 'short')).toEqual([at + 30 * DAY]);
    expect(ttlOf((i) => i.action === 'company')).toEqual([at + 400 * DAY]);
    const window = Number(ttlOf((i) => String(i.sk).startsWith('WINDOW#'))[0]);
    expect(window).toBeGreaterThanOrEqual(before + 60);
    expect(window).toBeLessThanOrEqual(before + 30 * 60);
    const uploadTtl = Date.parse('2025-01-16T11:00:00.000Z') / 1000;
    expect(ttlOf((i) => String(i.sk).startsWith('UPLOAD')).sort()).toEqual([uploadTtl, uploadTtl, uploadTtl]);
    expect(ttlOf((i) => ['PROJECT', 'COMPANY'].includes(String(i.sk)) || String(i.sk).startsWith('DOC#'))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('DynamoTenantStore writes that must not race', () => {
  it('claims an upload by id once; unknown, expired and used uploads give null', async () => {
    const p = await newProject();
    const u = upload(p.id);
    const expired = upload(p.id, { expires_at: '2025-01-15T10:00:00.000Z' });
    await store.putUpload(u);
    await store.putUpload(expired);

    expect(await store.claimUploadById(u.id, NOW)).toEqual({ ...u, used_at: NOW });
    expect(await store.claimUploadById(u.id, NOW)).toBeNull();
    expect(await store.claimUpload(u.token_hash, NOW)).toBeNull();
    expect(await store.claimUploadById(expired.id, NOW)).toBeNull();
    expect(await store.claimUploadById(upload(p.id).id, NOW)).toBeNull();
  });

  it('lets exactly one of many concurrent claims, by id or by token, win', async () => {
    const p = await newProject();
    const u = upload(p.id);
    await store.putUpload(u);

    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 ? store.claimUploadById(u.id, NOW) : store.claimUpload(u.token_hash, NOW),
      ),
    );

    expect(claims.filter((c) => c !== null)).toEqual([{ ...u, used_at: NOW }]);
  });

  it('keeps the first of concurrent revocations', async () => {
    const key = companyKey(company().id);
    await store.putKey(key);
    const times = ['2025-02-01', '2025-02-02', '2025-02-03', '2025-02-04'].map((d) => `${d}T00:00:00.000Z`);

    const results = await Promise.all(times.map((t) => store.revokeKey(key.id, t)));

    const kept = (await store.getKey(key.id))?.revoked_at;
    expect(times).toContain(kept);
    expect(results.map((r) => r?.revoked_at)).toEqual(times.map(() => kept));
  });

  it('gives an external id to one document of a project at a time', async () => {
    const p = await newProject();
    const records = store.forProject(p.id);
    const first = document({ external_id: 'crm-7' });
    await records.putDocument(first);

    await expect(records.putDocument(document({ external_id: 'crm-7' }))).rejects.toThrow(/external id/);
    expect(await records.findDocumentByExternalId('crm-7')).toEqual(first);

    await records.deleteDocument(first.id);
    const second = document({ external_id: 'crm-7' });
    await records.putDocument(second);
    expect(await records.findDocumentByExternalId('crm-7')).toEqual(second);
  });

  it('never authenticates through a stale hash pointer', async () => {
    const key = companyKey(company().id);
    await store.putKey(key);

    await store.putKey({ ...key, hash: 'rotated-hash' });

    expect(await store.findKeyByHash(key.hash)).toBeNull();
    expect((await store.findKeyByHash('rotated-hash'))?.id).toBe(key.id);
  });

  it('refuses to create a company or a project twice, and never resurrects a purged project', async () => {
    const c = company();
    await store.createCompany(c);
    const p = project(c.id);
    await store.createProject(p);

    await expect(store.createCompany({ ...c, name: 'again' })).rejects.toThrow();
    await expect(store.createProject({ ...p, name: 'again' })).rejects.toThrow();
    await store.forProject(p.id).purge();
    await store.updateProject({ ...p, name: 'late update' });

    expect(await store.getCompany(c.id)).toEqual(c);
    expect(await store.getProject(p.id)).toBeNull();
  });

  it('refuses a ProjectRecords for something that is not a project id', () => {
    for (const bad of ['', 'prj_bad', `PROJECT#${project('c').id}`, '../x']) {
      expect(() => store.forProject(bad)).toThrow();
    }
  });
});

describe('DynamoTenantStore purge', () => {
  it('deletes every item of the project across many batches, pointers included, and nothing else', async () => {
    const p = await newProject();
    const other = await newProject();
    const records = store.forProject(p.id);
    const keys = Array.from({ length: 5 }, () => projectKey(p.company_id, p.id));
    for (const k of keys) await store.putKey(k);
    const up = upload(p.id);
    await store.putUpload(up);
    for (let i = 0; i < 60; i++) await records.putDocument(document({ external_id: i % 2 ? `ext-${i}` : null }));
    for (let i = 0; i < 30; i++) await records.appendAudit(auditEvent());
    await store.putKey(projectKey(other.company_id, other.id));
    await store.forProject(other.id).putDocument(document({ external_id: 'ext-1' }));
    const othersBefore = (await scan()).filter((i) => JSON.stringify(i).includes(other.id));

    const counts = await records.purge();

    expect(counts).toEqual({ documents: 60, keys: 5 });
    const left = await scan();
    const traces = left.filter(
      (i) => JSON.stringify(i).includes(p.id) || keys.some((k) => i.pk === `KEYHASH#${k.hash}`),
    );
    expect(traces).toEqual([]);
    expect(left.filter((i) => JSON.stringify(i).includes(other.id))).toEqual(othersBefore);
    expect(await store.findKeyByHash(keys[0].hash)).toBeNull();
    expect(await store.getKey(keys[0].id)).toBeNull();
    expect(await store.claimUploadById(up.id, NOW)).toBeNull();
    expect(await store.forProject(other.id).findDocumentByExternalId('ext-1')).not.toBeNull();
  });
});
