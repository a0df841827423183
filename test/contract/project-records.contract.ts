import type { DocumentRecord } from '../../lambdas/core/model';
import type { ProjectRecords, TenantStore } from '../../lambdas/ports';
import { auditEvent, company, document, goldenQuestion, goldenRun, ids, project } from './fixtures';
import { describeProjectIsolationContract } from './project-isolation.contract';
import { describeProjectRecordsBatches } from './project-records-batch.contract';

/** The ProjectRecords part of the TenantStore contract; `store` is fresh for every test. */
export function describeProjectRecordsContract(store: () => TenantStore): void {
  describe('ProjectRecords', () => {
    let records: ProjectRecords;
    beforeEach(async () => {
      const p = project(company().id);
      await store().createProject(p);
      records = store().forProject(p.id);
    });

    describe('documents', () => {
      it('puts, gets and updates a document by putting it again', async () => {
        const doc = document({ status: 'queued', external_id: 'ext-1' });
        await records.putDocument(doc);
        expect(await records.getDocument(doc.id)).toEqual(doc);

        const ready = { ...doc, status: 'ready' as const, chunks: 7, bytes: 2048, external_id: 'ext-2' };
        await records.putDocument(ready);

        expect(await records.getDocument(doc.id)).toEqual(ready);
        expect(await records.findDocumentByExternalId('ext-2')).toEqual(ready);
        expect(await records.findDocumentByExternalId('ext-1')).toBeNull();
        expect(await records.getDocument(document().id)).toBeNull();
      });

      it('finds a document by external id', async () => {
        const a = document({ external_id: 'crm-42' });
        await records.putDocument(a);
        await records.putDocument(document({ external_id: 'crm-43' }));

        expect(await records.findDocumentByExternalId('crm-42')).toEqual(a);
        expect(await records.findDocumentByExternalId('crm-44')).toBeNull();
      });

      it('lists documents newest first, paginated', async () => {
        const docs: DocumentRecord[] = [];
        for (let i = 0; i < 5; i++) docs.push(document({ title: `d${i}` }));
        for (const d of docs) await records.putDocument(d);
        const newestFirst = ids(docs).reverse();

        const first = await records.listDocuments({ limit: 3 });
        const second = await records.listDocuments({ limit: 3, after: first.next_cursor });

        expect(ids(first.items)).toEqual(newestFirst.slice(0, 3));
        expect(first.next_cursor).toBe(newestFirst[2]);
        expect(ids(second.items)).toEqual(newestFirst.slice(3));
        expect(second.next_cursor).toBeNull();
        expect(first.items[0]).toEqual(docs[4]);
      });

      it('filters the list by status, with pagination', async () => {
        const docs = [
          document({ status: 'ready' }),
          document({ status: 'failed', error: 'bad pdf' }),
          document({ status: 'ready' }),
          document({ status: 'queued' }),
          document({ status: 'ready' }),
        ];
        for (const d of docs) await records.putDocument(d);

        const first = await records.listDocuments({ limit: 2, status: 'ready' });
        const second = await records.listDocuments({ limit: 2, status: 'ready', after: first.next_cursor });
        const failed = await records.listDocuments({ limit: 10, status: 'failed' });

        expect(ids(first.items)).toEqual([docs[4].id, docs[2].id]);
        expect(first.next_cursor).toBe(docs[2].id);
        expect(ids(second.items)).toEqual([docs[0].id]);
        expect(second.next_cursor).toBeNull();
        expect(failed).toEqual({ items: [docs[1]], next_cursor: null });
        expect(await records.listDocuments({ limit: 10, status: 'processing' })).toEqual({
          items: [],
          next_cursor: null,
        });
      });

      it('lists unfinished documents: queued and processing only', async () => {
        const queued = document({ status: 'queued' });
        const processing = document({ status: 'processing' });
        for (const d of [document({ status: 'ready' }), queued, document({ status: 'failed' }), processing]) {
          await records.putDocument(d);
        }

        const unfinished = await records.listUnfinishedDocuments();

        expect(ids(unfinished).sort()).toEqual([queued.id, processing.id].sort());
        expect(unfinished.find((d) => d.id === queued.id)).toEqual(queued);
      });

      it('deletes a document once', async () => {
        const doc = document();
        const kept = document();
        await records.putDocument(doc);
        await records.putDocument(kept);

        expect(await records.deleteDocument(doc.id)).toBe(true);
        expect(await records.deleteDocument(doc.id)).toBe(false);
        expect(await records.getDocument(doc.id)).toBeNull();
        expect(ids((await records.listDocuments({ limit: 10 })).items)).toEqual([kept.id]);
      });

      it('reports document totals, following updates and deletes', async () => {
        expect(await records.documentTotals()).toEqual({ documents: 0, bytes: 0 });
        const a = document({ bytes: 100 });
        const b = document({ bytes: 250 });
        await records.putDocument(a);
        await records.putDocument(b);
        await records.putDocument({ ...a, bytes: 300 });
        expect(await records.documentTotals()).toEqual({ documents: 2, bytes: 550 });

        await records.deleteDocument(b.id);

        expect(await records.documentTotals()).toEqual({ documents: 1, bytes: 300 });
      });

      it('patches a batch of documents, each only while it holds the content the patch was made for', async () => {
        const kept = document({ status: 'queued', external_id: 'kept.md', content_hash: 'h1', chunks: 0 });
        const replaced = document({ status: 'queued', content_hash: 'h1' });
        const deleted = document({ status: 'queued', content_hash: 'h1' });
        for (const d of [kept, replaced, deleted]) await records.putDocument(d);
        await records.putDocument({ ...replaced, content_hash: 'h2' }); // changed meanwhile
        await records.deleteDocument(deleted.id);
        const at = '2025-01-15T11:00:00.000Z';

        const out = await records.patchDocuments(
          [kept, replaced, deleted].map((d) => ({
            id: d.id,
            content_hash: 'h1',
            patch: { status: 'ready' as const, chunks: 4, error: null, updated_at: at },
          })),
        );

        const expected = { ...kept, status: 'ready', chunks: 4, error: null, updated_at: at };
        expect(out).toEqual([expected, null, null]);
        expect(await records.getDocument(kept.id)).toEqual(expected);
        expect(await records.getDocument(replaced.id)).toEqual({ ...replaced, content_hash: 'h2' });
        expect(await records.getDocument(deleted.id)).toBeNull();
        // the new status is what lists and lookups see
        expect(ids((await records.listDocuments({ limit: 10, status: 'ready' })).items)).toEqual([kept.id]);
        expect(ids(await records.listUnfinishedDocuments())).toEqual([replaced.id]);
        expect(await records.findDocumentByExternalId('kept.md')).toEqual(expected);
        expect(await records.patchDocuments([])).toEqual([]);
      });

      it("never patches another project's document", async () => {
        const doc = document({ status: 'queued', content_hash: 'h1' });
        await records.putDocument(doc);
        const other = project(company().id);
        await store().createProject(other);

        const out = await store()
          .forProject(other.id)
          .patchDocuments([{ id: doc.id, content_hash: 'h1', patch: { status: 'failed', error: 'no' } }]);

        expect(out).toEqual([null]);
        expect(await records.getDocument(doc.id)).toEqual(doc);
        expect(await store().forProject(other.id).getDocument(doc.id)).toBeNull();
      });
    });

    describe('golden questions and runs', () => {
      it('puts, gets, lists newest first, updates and deletes golden questions', async () => {
        const older = goldenQuestion({ question: 'older?' });
        const newer = goldenQuestion({ question: 'newer?', must_refuse: true, expected_answer: null });
        await records.putGoldenQuestion(older);
        await records.putGoldenQuestion(newer);
        expect(await records.getGoldenQuestion(older.id)).toEqual(older);
        expect(await records.listGoldenQuestions()).toEqual([newer, older]);

        const edited = { ...older, approved: false, question: 'edited?' };
        await records.putGoldenQuestion(edited);
        expect(await records.getGoldenQuestion(older.id)).toEqual(edited);

        expect(await records.deleteGoldenQuestion(newer.id)).toBe(true);
        expect(await records.deleteGoldenQuestion(newer.id)).toBe(false);
        expect(await records.getGoldenQuestion(newer.id)).toBeNull();
        expect(await records.listGoldenQuestions()).toEqual([edited]);
      });

      it('lists golden runs newest first, and a run put again is updated in place', async () => {
        const first = goldenRun({ passed: 1, failed: 1 });
        const second = goldenRun({ status: 'running', passed: 0, failed: 0, total: 2 });
        expect(await records.listGoldenRuns()).toEqual([]);
        await records.putGoldenRun(first);
        await records.putGoldenRun(second);
        expect(await records.listGoldenRuns()).toEqual([second, first]);

        const finished = { ...second, status: 'done' as const, passed: 2 };
        await records.putGoldenRun(finished);
        expect(await records.getGoldenRun(second.id)).toEqual(finished);
        expect(await records.listGoldenRuns()).toEqual([finished, first]);
        expect(await records.getGoldenRun(goldenRun().id)).toBeNull();
      });

      it('stores each result of a run once, in question order, beyond any single-item size', async () => {
        const run = goldenRun({ status: 'running' });
        await records.putGoldenRun(run);
        // 300 answers of 2 KB: 600 KB, more than one DynamoDB item could hold
        const result = (i: number) => ({
          golden_question_id: `gq_${i}`,
          passed: i % 2 === 0,
          answer: `${i} `.padEnd(2048, 'x'),
          citations: [],
          reasons: [],
        });
        for (let i = 0; i < 300; i++) expect(await records.putGoldenResult(run.id, i, result(i))).toBe(true);
        expect(await records.putGoldenResult(run.id, 5, { ...result(5), answer: 'again' })).toBe(false);

        const results = await records.listGoldenResults(run.id);
        expect(results).toHaveLength(300);
        expect(results.map((r) => r.golden_question_id)).toEqual(Array.from({ length: 300 }, (_, i) => `gq_${i}`));
        expect(results[5]).toEqual(result(5));
        expect(await records.listGoldenResults(goldenRun().id)).toEqual([]);
      });
    });

    describe('exports', () => {
      it('puts and gets an export, and lets its download token be claimed once', async () => {
        const base = { id: 'exp_0000000000aaaaaaaaaaaaaaaa', created_at: '2025-01-02T00:00:00.000Z', originals: false };
        await records.putExport({ ...base, status: 'running' });
        expect(await records.getExport(base.id)).toEqual({ ...base, status: 'running' });
        const newer = { ...base, id: 'exp_0000000000bbbbbbbbbbbbbbbb', status: 'failed' as const };
        await records.putExport(newer);
        expect(await records.listExports()).toEqual([newer, { ...base, status: 'running' }]);
        expect(await records.claimExportDownload(base.id, 'h1', '2025-01-02T00:01:00.000Z')).toBeNull();

        const ready = { ...base, status: 'ready' as const, bytes: 10, token_hash: 'h1', token_expires_at: 'x' };
        await records.putExport(ready);
        expect(await records.claimExportDownload(base.id, 'h2', '2025-01-02T00:01:00.000Z')).toBeNull();
        expect(await records.claimExportDownload(base.id, 'h1', '2025-01-02T00:01:00.000Z')).toEqual(ready);
        expect(await records.claimExportDownload(base.id, 'h1', '2025-01-02T00:02:00.000Z')).toBeNull();
        expect(await records.getExport(base.id)).toMatchObject({
          status: 'ready',
          token_hash: null,
          downloaded_at: '2025-01-02T00:01:00.000Z',
        });
      });
    });

    describe('audit', () => {
      it('appends events and lists them newest first, paginated', async () => {
        const events = [auditEvent({ action: 'a0' }), auditEvent({ action: 'a1' }), auditEvent({ action: 'a2' })];
        for (const e of events) await records.appendAudit(e);

        const first = await records.listAudit({ limit: 2 });
        const second = await records.listAudit({ limit: 2, after: first.next_cursor });

        expect(first).toEqual({ items: [events[2], events[1]], next_cursor: events[1].id });
        expect(second).toEqual({ items: [events[0]], next_cursor: null });
      });
    });

    describe('usage', () => {
      const zero = {
        requests: 0,
        answers: 0,
        refusals: 0,
        documents: 0,
        bytes: 0,
        embedding_units: 0,
        generation_units: 0,
      };

      it('accumulates counters per day', async () => {
        await records.addUsage('2025-01-02', { requests: 1, answers: 1, generation_units: 10 });
        await records.addUsage('2025-01-02', { requests: 2, refusals: 1, generation_units: 5 });
        await records.addUsage('2025-01-03', { documents: 1, bytes: 4096, embedding_units: 7 });

        expect(await records.listUsage('2025-01-01', '2025-01-31')).toEqual([
          { ...zero, day: '2025-01-03', documents: 1, bytes: 4096, embedding_units: 7 },
          { ...zero, day: '2025-01-02', requests: 3, answers: 1, refusals: 1, generation_units: 15 },
        ]);
      });

      it('lists days in range newest first, days outside the range excluded', async () => {
        for (const day of ['2025-01-01', '2025-01-05', '2025-01-03', '2025-01-07', '2025-01-09']) {
          await records.addUsage(day, { requests: 1 });
        }

        const days = (await records.listUsage('2025-01-03', '2025-01-07')).map((u) => u.day);

        expect(days).toEqual(['2025-01-07', '2025-01-05', '2025-01-03']);
        expect(await records.listUsage('2025-02-01', '2025-02-28')).toEqual([]);
      });
    });

    describeProjectRecordsBatches(() => records);

    describe('countInWindow', () => {
      it('counts per name and window; a new window starts at 1', async () => {
        expect(await records.countInWindow('chat', '2025-01-15T10:00')).toBe(1);
        expect(await records.countInWindow('chat', '2025-01-15T10:00')).toBe(2);
        expect(await records.countInWindow('ingest', '2025-01-15T10:00')).toBe(1);
        expect(await records.countInWindow('chat', '2025-01-15T10:00')).toBe(3);
        expect(await records.countInWindow('chat', '2025-01-15T10:01')).toBe(1);
        expect(await records.countInWindow('chat', '2025-01-15T10:01')).toBe(2);
        expect(await records.countInWindow('ingest', '2025-01-15T10:00')).toBe(2);
      });

      it('adds a batch of calls in one write', async () => {
        expect(await records.countInWindow('ingest', '2025-01-15T11:00', 250)).toBe(250);
        expect(await records.countInWindow('ingest', '2025-01-15T11:00')).toBe(251);
        expect(await records.countInWindow('ingest', '2025-01-15T11:00', 3)).toBe(254);
        expect(await records.countInWindow('ingest', '2025-01-15T11:01', 5)).toBe(5);
      });
    });

    describeProjectIsolationContract(store);
  });
}
