import type { ProjectRecord } from '../../lambdas/core/model';
import type { TenantStore } from '../../lambdas/ports';
import {
  auditEvent,
  company,
  companyKey,
  document,
  goldenQuestion,
  goldenRun,
  ids,
  project,
  projectKey,
} from './fixtures';

/** Purge and tenant isolation of ProjectRecords; `store` is fresh for every test. */
export function describeProjectIsolationContract(store: () => TenantStore): void {
  let a: ProjectRecord;
  let b: ProjectRecord;
  beforeEach(async () => {
    const c = company();
    await store().createCompany(c);
    a = project(c.id, { name: 'A' });
    b = project(c.id, { name: 'B' });
    await store().createProject(a);
    await store().createProject(b);
  });

  describe('purge', () => {
    it('removes the project, its keys, documents, golden questions, runs, audit and usage', async () => {
      const records = store().forProject(a.id);
      const companyWide = companyKey(a.company_id);
      await store().putKey(companyWide);
      await store().putKey(projectKey(a.company_id, a.id));
      await store().putKey(projectKey(a.company_id, a.id));
      const docs = [document(), document({ status: 'queued' }), document({ external_id: 'ext' })];
      for (const d of docs) await records.putDocument(d);
      const q = goldenQuestion();
      await records.putGoldenQuestion(q);
      await records.putGoldenRun(goldenRun());
      await records.appendAudit(auditEvent());
      await records.addUsage('2025-01-02', { requests: 4 });

      const counts = await records.purge();

      expect(counts).toEqual({ documents: 3, keys: 2 });
      expect(await store().getProject(a.id)).toBeNull();
      expect(await store().listProjectKeys(a.id)).toEqual([]);
      expect(await records.getDocument(docs[0].id)).toBeNull();
      expect(await records.findDocumentByExternalId('ext')).toBeNull();
      expect(await records.listDocuments({ limit: 10 })).toEqual({ items: [], next_cursor: null });
      expect(await records.listUnfinishedDocuments()).toEqual([]);
      expect(await records.documentTotals()).toEqual({ documents: 0, bytes: 0 });
      expect(await records.getGoldenQuestion(q.id)).toBeNull();
      expect(await records.listGoldenQuestions()).toEqual([]);
      expect(await records.listGoldenRuns()).toEqual([]);
      expect(await records.listAudit({ limit: 10 })).toEqual({ items: [], next_cursor: null });
      expect(await records.listUsage('2025-01-01', '2025-12-31')).toEqual([]);
      expect(ids(await store().listCompanyKeys(a.company_id))).toEqual([companyWide.id]);
    });

    it('of an empty project returns zero counts and removes the project', async () => {
      expect(await store().forProject(a.id).purge()).toEqual({ documents: 0, keys: 0 });
      expect(await store().getProject(a.id)).toBeNull();
    });
  });

  describe('isolation between projects', () => {
    it("never shows A's documents through B", async () => {
      const docA = document({ external_id: 'shared-ext', status: 'queued' });
      await store().forProject(a.id).putDocument(docA);
      const recB = store().forProject(b.id);

      expect(await recB.getDocument(docA.id)).toBeNull();
      if (recB.getDocuments) expect(await recB.getDocuments([docA.id])).toEqual([null]);
      expect(await recB.findDocumentByExternalId('shared-ext')).toBeNull();
      if (recB.findDocumentsByExternalIds)
        expect(await recB.findDocumentsByExternalIds(['shared-ext'])).toEqual([null]);
      expect(await recB.listDocuments({ limit: 10 })).toEqual({ items: [], next_cursor: null });
      expect(await recB.listDocuments({ limit: 10, status: 'queued' })).toEqual({ items: [], next_cursor: null });
      expect(await recB.listUnfinishedDocuments()).toEqual([]);
      expect(await recB.documentTotals()).toEqual({ documents: 0, bytes: 0 });
    });

    it('lets the same external id live in both projects', async () => {
      const docA = document({ external_id: 'crm-1', title: 'A' });
      const docB = document({ external_id: 'crm-1', title: 'B' });
      await store().forProject(a.id).putDocument(docA);
      await store().forProject(b.id).putDocument(docB);

      expect(await store().forProject(a.id).findDocumentByExternalId('crm-1')).toEqual(docA);
      expect(await store().forProject(b.id).findDocumentByExternalId('crm-1')).toEqual(docB);
    });

    it("B cannot delete A's document", async () => {
      const docA = document();
      await store().forProject(a.id).putDocument(docA);

      expect(await store().forProject(b.id).deleteDocument(docA.id)).toBe(false);
      expect(await store().forProject(a.id).getDocument(docA.id)).toEqual(docA);
    });

    it("putDocument through B with A's document id does not overwrite A's record", async () => {
      const docA = document({ title: 'A original', bytes: 10 });
      await store().forProject(a.id).putDocument(docA);
      const hijack = { ...docA, title: 'B hijack', bytes: 999_999, status: 'failed' as const };

      // an adapter may refuse outright or keep B's copy apart; either way A's record is untouched
      await store()
        .forProject(b.id)
        .putDocument(hijack)
        .catch(() => undefined);

      expect(await store().forProject(a.id).getDocument(docA.id)).toEqual(docA);
      expect((await store().forProject(a.id).listDocuments({ limit: 10 })).items).toEqual([docA]);
      expect(await store().forProject(a.id).documentTotals()).toEqual({ documents: 1, bytes: 10 });
    });

    it("never shows A's golden questions, runs, audit or usage through B", async () => {
      const recA = store().forProject(a.id);
      const recB = store().forProject(b.id);
      const q = goldenQuestion();
      await recA.putGoldenQuestion(q);
      await recA.putGoldenRun(goldenRun());
      await recA.appendAudit(auditEvent());
      await recA.addUsage('2025-01-02', { requests: 1 });

      expect(await recB.getGoldenQuestion(q.id)).toBeNull();
      expect(await recB.deleteGoldenQuestion(q.id)).toBe(false);
      expect(await recA.getGoldenQuestion(q.id)).toEqual(q);
      expect(await recB.listGoldenQuestions()).toEqual([]);
      expect(await recB.listGoldenRuns()).toEqual([]);
      expect(await recB.listAudit({ limit: 10 })).toEqual({ items: [], next_cursor: null });
      expect(await recB.listUsage('2025-01-01', '2025-12-31')).toEqual([]);
    });

    it("putGoldenQuestion through B with A's id does not overwrite A's question", async () => {
      const q = goldenQuestion({ question: 'A asks' });
      await store().forProject(a.id).putGoldenQuestion(q);

      await store()
        .forProject(b.id)
        .putGoldenQuestion({ ...q, question: 'B hijack' })
        .catch(() => undefined);

      expect(await store().forProject(a.id).getGoldenQuestion(q.id)).toEqual(q);
    });

    it('keeps window counters apart', async () => {
      expect(await store().forProject(a.id).countInWindow('chat', '2025-01-15T10:00')).toBe(1);
      expect(await store().forProject(a.id).countInWindow('chat', '2025-01-15T10:00')).toBe(2);
      expect(await store().forProject(b.id).countInWindow('chat', '2025-01-15T10:00')).toBe(1);
    });

    it("keeps company audit out of every project's audit", async () => {
      await store().appendCompanyAudit(a.company_id, auditEvent({ action: 'company.read' }));

      expect(await store().forProject(a.id).listAudit({ limit: 10 })).toEqual({ items: [], next_cursor: null });
    });

    it("B's purge leaves A intact", async () => {
      const recA = store().forProject(a.id);
      const docA = document();
      const keyA = projectKey(a.company_id, a.id);
      const q = goldenQuestion();
      const event = auditEvent();
      await store().putKey(keyA);
      await store().putKey(projectKey(b.company_id, b.id));
      await recA.putDocument(docA);
      await recA.putGoldenQuestion(q);
      await recA.appendAudit(event);
      await recA.addUsage('2025-01-02', { requests: 1 });
      await store().forProject(b.id).putDocument(document());

      expect(await store().forProject(b.id).purge()).toEqual({ documents: 1, keys: 1 });

      expect(await store().getProject(a.id)).toEqual(a);
      expect(await store().getProject(b.id)).toBeNull();
      expect(await store().listProjectKeys(a.id)).toEqual([keyA]);
      expect(await recA.getDocument(docA.id)).toEqual(docA);
      expect(await recA.listGoldenQuestions()).toEqual([q]);
      expect((await recA.listAudit({ limit: 10 })).items).toEqual([event]);
      expect((await recA.listUsage('2025-01-01', '2025-12-31')).map((u) => u.requests)).toEqual([1]);
    });
  });
}
