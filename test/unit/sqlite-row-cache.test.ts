import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteTenantStore } from '../../lambdas/adapters/local/sqlite-tenant-store';
import type { ApiKeyRecord, ProjectRecord } from '../../lambdas/core/model';

const nextTurn = () => new Promise((r) => setImmediate(r));

/**
 * The rows every request reads (keys by hash, companies, projects) are kept between the writes
 * that change them: a change through the store, or by another connection to the file, is seen
 * by the next read (the other connection's from the next turn of the event loop on).
 */
describe('the control database keeps the rows every request reads', () => {
  let dir: string;
  let file: string;
  let store: SqliteTenantStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oprag-row-cache-'));
    file = join(dir, 'control.db');
    store = new SqliteTenantStore(file);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const key = (over: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
    id: 'key_01',
    company_id: 'cmp_01',
    project_id: 'prj_01',
    kind: 'project',
    role: null,
    scopes: ['query'],
    name: null,
    prefix: 'oprag_pk_abcd',
    hash: 'h'.repeat(64),
    environment: null,
    created_at: '2026-12-01T00:00:00.000Z',
    last_used_at: null,
    expires_at: null,
    revoked_at: null,
    ...over,
  });
  const project = (name: string) =>
    ({
      id: 'prj_01',
      company_id: 'cmp_01',
      name,
      external_ref: null,
      environment: 'production',
      limits: { chat_per_minute: 10, ingest_per_minute: 10, max_documents: 10, max_bytes: 10 },
      webhook_url: null,
      webhook_secret: null,
      index_placement: null,
      created_at: '2026-12-01T00:00:00.000Z',
      updated_at: '2026-12-01T00:00:00.000Z',
    }) as unknown as ProjectRecord;

  it('answers a second read without a statement, and never hands two callers the same object', async () => {
    await store.putKey(key());
    const db = (store as unknown as { db: Database.Database }).db;
    const first = await store.findKeyByHash(key().hash);
    // the row changed behind the store's back on its own connection (no store would): the second
    // read answers what was kept, so it ran no statement
    db.prepare(`UPDATE api_keys SET data = json_set(data, '$.name', 'changed') WHERE id = ?`).run('key_01');
    const second = await store.findKeyByHash(key().hash);
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    // once the store itself writes the key, the next read is the row as it now is
    await store.touchKey('key_01', '2026-12-02T00:00:00.000Z');
    expect(await store.findKeyByHash(key().hash)).toMatchObject({
      name: 'changed',
      last_used_at: '2026-12-02T00:00:00.000Z',
    });
  });

  it('sees a revocation, a touch, a project change and a purge made through the store at once', async () => {
    await store.putKey(key());
    await store.createProject(project('before'));
    expect((await store.findKeyByHash(key().hash))?.revoked_at).toBeNull();
    expect((await store.getProject('prj_01'))?.name).toBe('before');

    await store.touchKey('key_01', '2026-12-02T00:00:00.000Z');
    expect((await store.findKeyByHash(key().hash))?.last_used_at).toBe('2026-12-02T00:00:00.000Z');
    await store.revokeKey('key_01', '2026-12-02T00:01:00.000Z');
    expect((await store.findKeyByHash(key().hash))?.revoked_at).toBe('2026-12-02T00:01:00.000Z');

    await store.updateProject(project('after'));
    expect((await store.getProject('prj_01'))?.name).toBe('after');
    await store.forProject('prj_01').purge();
    expect(await store.getProject('prj_01')).toBeNull();
    expect(await store.findKeyByHash(key().hash)).toBeNull();
  });

  it("sees another connection's change from the next turn on (another process, say oprag admin)", async () => {
    await store.putKey(key());
    expect((await store.findKeyByHash(key().hash))?.revoked_at).toBeNull();
    const other = new Database(file);
    other
      .prepare(`UPDATE api_keys SET data = json_set(data, '$.revoked_at', '2026-12-02T00:00:00.000Z') WHERE id = ?`)
      .run('key_01');
    other.close();
    await nextTurn();
    expect((await store.findKeyByHash(key().hash))?.revoked_at).toBe('2026-12-02T00:00:00.000Z');
  });

  it('keeps no absence: a key made after a miss is found', async () => {
    expect(await store.findKeyByHash('k'.repeat(64))).toBeNull();
    await store.putKey(key({ id: 'key_02', hash: 'k'.repeat(64) }));
    expect((await store.findKeyByHash('k'.repeat(64)))?.id).toBe('key_02');
  });
});
