import type { TenantStore } from '../../lambdas/ports';
import { auditEvent, company, companyKey, ids, project, projectKey, upload } from './fixtures';
import { describeProjectRecordsContract } from './project-records.contract';

export type MakeTenantStore = () => Promise<{ store: TenantStore; close(): Promise<void> }>;

/** A fresh store for every test, closed after it. */
export function useTenantStore(make: MakeTenantStore): () => TenantStore {
  let current: Awaited<ReturnType<MakeTenantStore>> | null = null;
  beforeEach(async () => {
    current = await make();
  });
  afterEach(async () => {
    await current?.close();
    current = null;
  });
  return () => {
    if (!current) throw new Error('the store is only available inside a test');
    return current.store;
  };
}

/** The TenantStore port contract: every adapter that can run here runs this very suite. */
export function describeTenantStoreContract(name: string, make: MakeTenantStore): void {
  describe(`TenantStore contract: ${name}`, () => {
    const store = useTenantStore(make);

    describe('companies', () => {
      it('creates, gets and lists companies', async () => {
        const a = company({ name: 'Alpha' });
        const b = company({ name: 'Beta' });
        await store().createCompany(a);
        await store().createCompany(b);

        expect(await store().getCompany(a.id)).toEqual(a);
        expect(await store().getCompany(company().id)).toBeNull();
        const listed = await store().listCompanies();
        expect(ids(listed).sort()).toEqual([a.id, b.id].sort());
        expect(listed.find((c) => c.id === b.id)).toEqual(b);
      });
    });

    describe('keys', () => {
      it('puts a key and finds it by id and by hash', async () => {
        const c = company();
        const key = companyKey(c.id);
        await store().putKey(key);

        expect(await store().getKey(key.id)).toEqual(key);
        expect(await store().findKeyByHash(key.hash)).toEqual(key);
        expect(await store().getKey(companyKey(c.id).id)).toBeNull();
        expect(await store().findKeyByHash('no-such-hash')).toBeNull();
      });

      it('finds the companies owning a key prefix, each once, and none for an unknown prefix', async () => {
        const a = company();
        const b = company();
        const p = project(a.id);
        await store().putKey(companyKey(a.id, { prefix: 'oprag_ak_Ab1' }));
        await store().putKey(projectKey(a.id, p.id, { prefix: 'oprag_ak_Ab1' }));
        await store().putKey(companyKey(a.id, { prefix: 'oprag_ak_Zz9', revoked_at: '2025-01-15T10:00:00.000Z' }));
        await store().putKey(companyKey(b.id, { prefix: 'oprag_pk_Cd2' }));
        await store().putKey(companyKey(a.id, { prefix: 'oprag_pk_Cd2' }));

        expect(await store().companiesByKeyPrefix('oprag_ak_Ab1')).toEqual([a.id]);
        expect(await store().companiesByKeyPrefix('oprag_ak_Zz9')).toEqual([a.id]);
        expect(await store().companiesByKeyPrefix('oprag_pk_Cd2')).toEqual([a.id, b.id].sort());
        expect(await store().companiesByKeyPrefix('oprag_ak_Xx0')).toEqual([]);
      });

      it('lists company keys newest first without project keys, and project keys per project', async () => {
        const c = company();
        const other = company();
        const p = project(c.id);
        const q = project(c.id);
        const older = companyKey(c.id);
        const newer = companyKey(c.id, { role: 'viewer' });
        const pKey1 = projectKey(c.id, p.id);
        const pKey2 = projectKey(c.id, p.id);
        const qKey = projectKey(c.id, q.id);
        for (const k of [older, pKey1, newer, qKey, pKey2, companyKey(other.id)]) await store().putKey(k);

        expect(ids(await store().listCompanyKeys(c.id))).toEqual([newer.id, older.id]);
        expect(ids(await store().listProjectKeys(p.id))).toEqual([pKey2.id, pKey1.id]);
        expect(ids(await store().listProjectKeys(q.id))).toEqual([qKey.id]);
        expect(await store().listProjectKeys(project(c.id).id)).toEqual([]);
      });

      it('touchKey sets last_used_at and nothing else', async () => {
        const key = companyKey(company().id);
        await store().putKey(key);

        await store().touchKey(key.id, '2025-02-01T00:00:00.000Z');

        expect(await store().getKey(key.id)).toEqual({ ...key, last_used_at: '2025-02-01T00:00:00.000Z' });
      });

      it('touchKey and revokeKey of an unknown key neither fail nor create it', async () => {
        const unknown = companyKey(company().id).id;

        await expect(store().touchKey(unknown, '2025-02-01T00:00:00.000Z')).resolves.toBeUndefined();
        expect(await store().revokeKey(unknown, '2025-02-01T00:00:00.000Z')).toBeNull();

        expect(await store().getKey(unknown)).toBeNull();
      });

      it('revokeKey sets revoked_at once; a second revoke keeps the first time', async () => {
        const key = companyKey(company().id);
        await store().putKey(key);

        const first = await store().revokeKey(key.id, '2025-02-01T00:00:00.000Z');
        const second = await store().revokeKey(key.id, '2025-03-01T00:00:00.000Z');

        expect(first).toEqual({ ...key, revoked_at: '2025-02-01T00:00:00.000Z' });
        expect(second?.revoked_at).toBe('2025-02-01T00:00:00.000Z');
        expect((await store().getKey(key.id))?.revoked_at).toBe('2025-02-01T00:00:00.000Z');
      });

      it('putKey of an existing id replaces the record', async () => {
        const key = companyKey(company().id);
        await store().putKey(key);

        await store().putKey({ ...key, name: 'renamed' });

        expect((await store().getKey(key.id))?.name).toBe('renamed');
        expect((await store().findKeyByHash(key.hash))?.name).toBe('renamed');
      });
    });

    describe('projects', () => {
      it('creates, gets and updates a project', async () => {
        const p = project(company().id, { limits: { chat_per_minute: 10 }, index_placement: 'collection-3' });
        await store().createProject(p);
        expect(await store().getProject(p.id)).toEqual(p);

        const changed = {
          ...p,
          name: 'Renamed',
          limits: { chat_per_minute: 5, max_documents: 3 },
          webhook_url: 'https://example.com/hook',
          webhook_secret: 'whsec_stored',
          updated_at: '2025-02-01T00:00:00.000Z',
        };
        await store().updateProject(changed);

        expect(await store().getProject(p.id)).toEqual(changed);
        expect(await store().getProject(project(p.company_id).id)).toBeNull();
      });

      it("lists a company's projects newest first, paginated with limit and after", async () => {
        const c = company();
        const mine = [];
        for (let i = 0; i < 5; i++) {
          const p = project(c.id, { name: `p${i}` });
          mine.push(p);
          await store().createProject(p);
          await store().createProject(project(company().id)); // another company's, interleaved
        }
        const newestFirst = ids(mine).reverse();

        const first = await store().listProjects(c.id, { limit: 2 });
        const second = await store().listProjects(c.id, { limit: 2, after: first.next_cursor });
        const third = await store().listProjects(c.id, { limit: 2, after: second.next_cursor });

        expect(ids(first.items)).toEqual(newestFirst.slice(0, 2));
        expect(first.next_cursor).toBe(newestFirst[1]);
        expect(ids(second.items)).toEqual(newestFirst.slice(2, 4));
        expect(second.next_cursor).toBe(newestFirst[3]);
        expect(ids(third.items)).toEqual(newestFirst.slice(4));
        expect(third.next_cursor).toBeNull();
        expect(first.items[0]).toEqual(mine[4]);
      });

      it('gives next_cursor null when the last page is exactly full', async () => {
        const c = company();
        const mine = [project(c.id), project(c.id), project(c.id), project(c.id)];
        for (const p of mine) await store().createProject(p);

        const all = await store().listProjects(c.id, { limit: 4 });
        const second = await store().listProjects(c.id, { limit: 2, after: mine[2].id });

        expect(ids(all.items)).toEqual(ids(mine).reverse());
        expect(all.next_cursor).toBeNull();
        expect(ids(second.items)).toEqual([mine[1].id, mine[0].id]);
        expect(second.next_cursor).toBeNull();
        expect(await store().listProjects(company().id, { limit: 10 })).toEqual({ items: [], next_cursor: null });
      });
    });

    describe('company audit', () => {
      it("lists a company's own events newest first, paged, apart from other companies and projects", async () => {
        const c = company();
        const other = company();
        const p = project(c.id);
        await store().createProject(p);
        const mine = [];
        for (let i = 0; i < 5; i++) {
          const e = auditEvent({ action: `company.keys.create.${i}` });
          mine.push(e);
          await store().appendCompanyAudit(c.id, e);
          await store().appendCompanyAudit(other.id, auditEvent());
          await store()
            .forProject(p.id)
            .appendAudit(auditEvent({ action: 'chat' }));
        }
        const newestFirst = ids(mine).reverse();
        const first = await store().listCompanyAudit(c.id, { limit: 3 });
        const second = await store().listCompanyAudit(c.id, { limit: 3, after: first.next_cursor });
        expect(ids(first.items)).toEqual(newestFirst.slice(0, 3));
        expect(first.next_cursor).toBe(newestFirst[2]);
        expect(ids(second.items)).toEqual(newestFirst.slice(3));
        expect(second.next_cursor).toBeNull();
        expect(first.items[0]).toEqual(mine[4]);
        expect(await store().listCompanyAudit(company().id, { limit: 10 })).toEqual({ items: [], next_cursor: null });
      });
    });

    describe('uploads', () => {
      const now = '2025-01-15T10:30:00.000Z';

      it('claims an upload once; the second claim gets null', async () => {
        const u = upload(project(company().id).id);
        await store().putUpload(u);

        const first = await store().claimUpload(u.token_hash, now);
        const second = await store().claimUpload(u.token_hash, now);

        expect(first).toEqual({ ...u, used_at: now });
        expect(second).toBeNull();
      });

      it('finds an unused, unexpired upload by its token without claiming it', async () => {
        const u = upload(project(company().id).id);
        const old = upload(project(company().id).id, { expires_at: '2025-01-15T10:00:00.000Z' });
        await store().putUpload(u);
        await store().putUpload(old);

        expect(await store().findUpload(u.token_hash, now)).toEqual(u);
        expect(await store().findUpload(u.token_hash, now)).toEqual(u);
        expect(await store().findUpload(old.token_hash, now)).toBeNull();
        expect(await store().findUpload('token-unknown', now)).toBeNull();
        expect(await store().claimUpload(u.token_hash, now)).toEqual({ ...u, used_at: now });
        expect(await store().findUpload(u.token_hash, now)).toBeNull();
      });

      it('does not claim an expired upload or an unknown hash', async () => {
        const u = upload(project(company().id).id, { expires_at: '2025-01-15T10:00:00.000Z' });
        await store().putUpload(u);

        expect(await store().claimUpload(u.token_hash, now)).toBeNull();
        expect(await store().claimUpload('token-unknown', now)).toBeNull();
      });
    });

    describeProjectRecordsContract(store);
  });
}
