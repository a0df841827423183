import type { ProjectRecords } from '../../lambdas/ports';
import { document } from './fixtures';

/**
 * The ProjectRecords calls that take several documents at once (optional in the port: a store
 * without one does each document on its own); `records` is a fresh project's, for every test.
 */
export function describeProjectRecordsBatches(project: () => ProjectRecords): void {
  describe('putDocuments', () => {
    it('writes every document of a batch (in one call where the store can), each found by id and external id', async () => {
      const records = project();
      const docs = [
        document({ status: 'queued', external_id: 'batch-1' }),
        document({ status: 'queued', external_id: 'batch-2' }),
        document({ status: 'queued', external_id: null }),
      ];
      if (records.putDocuments) await records.putDocuments(docs);
      else for (const d of docs) await records.putDocument(d);
      for (const d of docs) expect(await records.getDocument(d.id)).toEqual(d);
      expect((await records.findDocumentByExternalId('batch-2'))?.id).toBe(docs[1].id);
    });
  });

  describe('getDocuments', () => {
    it('reads several documents at once, in the order asked, null for an unknown id', async () => {
      const records = project();
      const docs = [document({ status: 'queued' }), document({ status: 'ready' }), document({ status: 'queued' })];
      for (const d of docs) await records.putDocument(d);
      const unknown = document().id;
      const asked = [docs[2].id, unknown, docs[0].id, docs[1].id];
      const got = records.getDocuments
        ? await records.getDocuments(asked)
        : await Promise.all(asked.map((id) => records.getDocument(id)));
      expect(got).toEqual([docs[2], null, docs[0], docs[1]]);
      expect(records.getDocuments ? await records.getDocuments([]) : []).toEqual([]);
    });
  });

  describe('findDocumentsByExternalIds', () => {
    it('reads the documents of several external ids at once, in the order asked, null for an unknown one', async () => {
      const records = project();
      const docs = [
        document({ status: 'ready', external_id: 'many/a.md' }),
        document({ status: 'queued', external_id: 'many/b.md' }),
      ];
      for (const d of docs) await records.putDocument(d);
      const asked = ['many/b.md', 'many/none.md', 'many/a.md'];
      const got = records.findDocumentsByExternalIds
        ? await records.findDocumentsByExternalIds(asked)
        : await Promise.all(asked.map((id) => records.findDocumentByExternalId(id)));
      expect(got).toEqual([docs[1], null, docs[0]]);
      if (records.findDocumentsByExternalIds) expect(await records.findDocumentsByExternalIds([])).toEqual([]);
    });
  });
}
