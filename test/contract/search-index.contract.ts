import { newId } from '../../lambdas/core/ids';
import { indexKey, queryTerms } from '../../lambdas/core/text';
import type { ProjectIndex, SearchIndex, SearchRequest } from '../../lambdas/ports';
import { chunk, ids } from './fixtures';

export type MakeSearchIndex = () => Promise<{ index: SearchIndex; close(): Promise<void> }>;

/** A new project's index, created the way the project service creates it. */
async function openProject(searchIndex: SearchIndex): Promise<ProjectIndex> {
  const projectId = newId('project');
  const placement = await searchIndex.createProject(projectId);
  return searchIndex.forProject(projectId, placement);
}

const search = (index: ProjectIndex, text: string, rest: Partial<SearchRequest> = {}) =>
  index.search({ terms: queryTerms(text), topK: 10, ...rest });

/** The SearchIndex port contract: every adapter that can run here runs this very suite. */
export function describeSearchIndexContract(name: string, make: MakeSearchIndex): void {
  describe(`SearchIndex contract: ${name}`, () => {
    let current: Awaited<ReturnType<MakeSearchIndex>>;
    let index: ProjectIndex;
    beforeEach(async () => {
      current = await make();
      index = await openProject(current.index);
    });
    afterEach(async () => {
      await current.close();
    });

    it('finds a replaced document by a word of its text', async () => {
      const doc = newId('document');
      const c = chunk(doc, 0, 'Refunds are paid within five business days.', {
        title: 'Billing',
        section: 'Billing > Refunds',
        page: 3,
        url: 'https://example.com/billing',
        tags: ['billing'],
      });
      await index.replaceDocument(doc, [c]);

      const result = await search(index, 'refunds');

      expect(result.hits).toHaveLength(1);
      const { score, ...hit } = result.hits[0];
      expect(hit).toEqual(c);
      expect(score).toEqual(expect.any(Number));
      expect((await search(index, 'invoice')).hits).toEqual([]);
    });

    it('replaceDocument again replaces every old chunk', async () => {
      const doc = newId('document');
      await index.replaceDocument(doc, [chunk(doc, 0, 'Old shipping text'), chunk(doc, 1, 'More shipping words')]);

      const fresh = chunk(doc, 0, 'Warranty covers two years');
      await index.replaceDocument(doc, [fresh]);

      expect((await search(index, 'shipping')).hits).toEqual([]);
      expect(ids((await search(index, 'warranty')).hits)).toEqual([fresh.id]);
      expect(await index.chunkCount()).toBe(1);
      expect(await index.documentChunkIds(doc)).toEqual([fresh.id]);
    });

    it('replaceDocument with no chunks removes the document', async () => {
      const doc = newId('document');
      await index.replaceDocument(doc, [chunk(doc, 0, 'obsolete pricing')]);

      await index.replaceDocument(doc, []);

      expect((await search(index, 'pricing')).hits).toEqual([]);
      expect(await index.documentChunkIds(doc)).toEqual([]);
      expect(await index.chunkCount()).toBe(0);
    });

    it('deleteDocument returns the chunk count and removes them, leaving other documents', async () => {
      const doc = newId('document');
      const other = newId('document');
      await index.replaceDocument(doc, [chunk(doc, 0, 'alpha one'), chunk(doc, 1, 'alpha two')]);
      await index.replaceDocument(other, [chunk(other, 0, 'alpha three')]);

      expect(await index.deleteDocument(doc)).toBe(2);
      expect(await index.deleteDocument(doc)).toBe(0);
      expect((await search(index, 'alpha')).hits.map((h) => h.document_id)).toEqual([other]);
      expect(await index.documentChunkIds(doc)).toEqual([]);
    });

    it('filters by document ids and by tags', async () => {
      const docs = [newId('document'), newId('document'), newId('document')];
      await index.replaceDocument(docs[0], [chunk(docs[0], 0, 'pricing tiers', { tags: ['sales'] })]);
      await index.replaceDocument(docs[1], [chunk(docs[1], 0, 'pricing discounts', { tags: ['sales', 'eu'] })]);
      await index.replaceDocument(docs[2], [chunk(docs[2], 0, 'pricing support', { tags: ['support'] })]);

      const byDoc = await search(index, 'pricing', { filter: { document_ids: [docs[0], docs[2]] } });
      const byTag = await search(index, 'pricing', { filter: { tags: ['eu', 'support'] } });
      const both = await search(index, 'pricing', { filter: { document_ids: [docs[0], docs[1]], tags: ['eu'] } });

      expect(byDoc.hits.map((h) => h.document_id).sort()).toEqual([docs[0], docs[2]].sort());
      expect(byTag.hits.map((h) => h.document_id).sort()).toEqual([docs[1], docs[2]].sort());
      expect(both.hits.map((h) => h.document_id)).toEqual([docs[1]]);
    });

    it('respects topK and orders hits by score, descending', async () => {
      const doc = newId('document');
      const chunks = [
        chunk(doc, 0, 'router setup guide with many other words about cables and power supplies'),
        chunk(doc, 1, 'router router router reset'),
        chunk(doc, 2, 'router lights'),
        chunk(doc, 3, 'the modem is not a router but talks to one over a long ethernet cable'),
        chunk(doc, 4, 'nothing relevant here'),
      ];
      await index.replaceDocument(doc, chunks);

      const all = await search(index, 'router');
      const top2 = await search(index, 'router', { topK: 2 });

      expect(all.hits).toHaveLength(4);
      const scores = all.hits.map((h) => h.score);
      expect(scores).toEqual([...scores].sort((x, y) => y - x));
      expect(all.hits[0].id).toBe(chunks[1].id);
      expect(ids(top2.hits)).toEqual(ids(all.hits).slice(0, 2));
    });

    it('ranks a title match above a body-only match', async () => {
      const doc = newId('document');
      const bodyOnly = chunk(doc, 0, 'Invoices are sent monthly.', { title: 'Billing questions' });
      const titled = chunk(doc, 1, 'Payment is due thirty days after the date shown, with reminders sent weekly.', {
        title: 'Invoices and payment terms',
      });
      await index.replaceDocument(doc, [bodyOnly, titled]);

      const result = await search(index, 'invoices');

      expect(ids(result.hits)).toEqual([titled.id, bodyOnly.id]);
      expect(result.hits[0].score).toBeGreaterThan(result.hits[1].score);
    });

    it('reports documentFrequency by stem and chunkCount', async () => {
      const doc = newId('document');
      await index.replaceDocument(doc, [
        chunk(doc, 0, 'Refunds take five days'),
        chunk(doc, 1, 'A refund needs a receipt'),
        chunk(doc, 2, 'Shipping is free'),
      ]);
      const terms = queryTerms('refunds receipt warranty');

      const result = await index.search({ terms, topK: 10 });

      expect(terms.map((t) => t.stem)).toEqual(['refund', 'receipt', 'warranti']);
      expect(result.documentFrequency).toEqual({ refund: 2, receipt: 1, warranti: 0 });
      expect(result.chunkCount).toBe(3);
      expect(await index.chunkCount()).toBe(3);
    });

    it('counts in documentFrequency every chunk a term matches, accented words included', async () => {
      const doc = newId('document');
      await index.replaceDocument(doc, [
        chunk(doc, 0, 'Le café ouvre à huit heures.'),
        chunk(doc, 1, 'Notre café est torréfié sur place.'),
        chunk(doc, 2, 'La boulangerie ferme le dimanche.'),
      ]);
      const terms = queryTerms('café torréfié');

      const result = await index.search({ terms, topK: 10 });

      expect(result.hits).toHaveLength(2);
      expect(result.documentFrequency).toEqual({ [terms[0].stem]: 2, [terms[1].stem]: 1 });
    });

    it('lets expansion words raise the chunks the query matches, and match none by themselves', async () => {
      const doc = newId('document');
      const chunks = [
        chunk(doc, 0, 'The glacier is melting fast this year.'),
        chunk(doc, 1, 'A glacier leaves a moraine where it retreats.'),
        chunk(doc, 2, 'The moraine is a ridge of rocks.'),
      ];
      await index.replaceDocument(doc, chunks);
      const plain = ids((await search(index, 'glacier')).hits);

      const expanded = await search(index, 'glacier', { expansion: [{ key: indexKey('moraine'), weight: 2 }] });

      expect(plain.sort()).toEqual([chunks[0].id, chunks[1].id].sort());
      expect(ids(expanded.hits)).toEqual([chunks[1].id, chunks[0].id]);
      expect(expanded.hits[0].score).toBeGreaterThan(expanded.hits[1].score);
      expect(expanded.documentFrequency).toEqual({ glacier: 2 });
    });

    it('relabelDocument gives every chunk the new labels: searched by the new title, filtered by the new tags', async () => {
      const doc = newId('document');
      const other = newId('document');
      const chunks = [
        chunk(doc, 0, 'Refunds take five days.', {
          title: 'Lighthouse',
          url: '/old',
          tags: ['draft'],
          section: 'Refunds',
        }),
        chunk(doc, 1, 'Receipts are required for refunds.', { title: 'Lighthouse', url: '/old', tags: ['draft'] }),
      ];
      await index.replaceDocument(doc, chunks);
      const kept = chunk(other, 0, 'Refunds of gift cards.', { title: 'Lighthouse', tags: ['draft'] });
      await index.replaceDocument(other, [kept]);

      expect(
        await index.relabelDocument(doc, { title: 'Harbour', url: 'https://example.com/new', tags: ['billing'] }),
      ).toBe(2);

      const hits = (await search(index, 'refunds')).hits.filter((h) => h.document_id === doc);
      expect(hits.map(({ score: _, ...h }) => h).sort((a, b) => a.ordinal - b.ordinal)).toEqual(
        chunks.map((c) => ({ ...c, title: 'Harbour', url: 'https://example.com/new', tags: ['billing'] })),
      );
      expect(ids((await search(index, 'harbour')).hits).sort()).toEqual(ids(chunks).sort());
      expect(ids((await search(index, 'lighthouse')).hits)).toEqual([kept.id]);
      expect(ids((await search(index, 'refunds', { filter: { tags: ['draft'] } })).hits)).toEqual([kept.id]);
      expect(ids((await search(index, 'refunds', { filter: { tags: ['billing'] } })).hits).sort()).toEqual(
        ids(chunks).sort(),
      );
      expect(await index.documentChunkIds(doc)).toEqual(ids(chunks));
      expect(await index.chunkCount()).toBe(3);
    });

    it('relabelDocument with a url or tags alone keeps the title, and changes nothing of an unknown document', async () => {
      const doc = newId('document');
      await index.replaceDocument(doc, [chunk(doc, 0, 'Warranty covers two years.', { title: 'Warranty', url: '/w' })]);

      expect(await index.relabelDocument(doc, { url: null, tags: ['care'] })).toBe(1);
      expect(await index.relabelDocument(newId('document'), { title: 'nothing' })).toBe(0);

      const [hit] = (await search(index, 'warranty')).hits;
      expect(hit).toMatchObject({ title: 'Warranty', url: null, tags: ['care'] });
      expect((await search(index, 'nothing')).hits).toEqual([]);
    });

    it('lists document chunk ids in ordinal order', async () => {
      const doc = newId('document');
      const chunks = [chunk(doc, 2, 'third'), chunk(doc, 0, 'first'), chunk(doc, 1, 'second')];
      await index.replaceDocument(doc, chunks);

      expect(await index.documentChunkIds(doc)).toEqual([chunks[1].id, chunks[2].id, chunks[0].id]);
      expect(await index.documentChunkIds(newId('document'))).toEqual([]);
    });

    it('drop returns the chunk count and leaves an empty index', async () => {
      const doc = newId('document');
      await index.replaceDocument(doc, [chunk(doc, 0, 'beta'), chunk(doc, 1, 'beta gamma')]);

      expect(await index.drop()).toBe(2);

      expect(await index.chunkCount()).toBe(0);
      expect(await index.documentChunkIds(doc)).toEqual([]);
      const result = await search(index, 'beta');
      expect(result.hits).toEqual([]);
      expect(result.chunkCount).toBe(0);
    });

    it('reports an empty index before anything is written', async () => {
      expect(await index.chunkCount()).toBe(0);
      expect(await index.drop()).toBe(0);
      expect((await search(index, 'anything')).hits).toEqual([]);
    });

    it("never shows project A's chunks in project B's search", async () => {
      const b = await openProject(current.index);
      const doc = newId('document');
      await index.replaceDocument(doc, [chunk(doc, 0, 'confidential merger plans')]);

      const result = await search(b, 'confidential merger');

      expect(result.hits).toEqual([]);
      expect(result.chunkCount).toBe(0);
      expect(result.documentFrequency).toEqual({ confidenti: 0, merger: 0 });
      expect(await b.chunkCount()).toBe(0);
      expect(await b.documentChunkIds(doc)).toEqual([]);
      expect(await b.deleteDocument(doc)).toBe(0);
      expect(await b.drop()).toBe(0);
      expect(ids((await search(index, 'merger')).hits)).toHaveLength(1);
    });

    it('creates a project index: a placement to record, and nothing in it', async () => {
      const projectId = newId('project');

      const placement = await current.index.createProject(projectId);

      expect(placement).toEqual(expect.any(String));
      expect(placement.length).toBeGreaterThan(0);
      const created = current.index.forProject(projectId, placement);
      expect(await created.chunkCount()).toBe(0);
      expect((await search(created, 'anything')).hits).toEqual([]);
    });

    it('refuses an invalid project id', async () => {
      for (const bad of ['../x', 'prj_bad', '', `${newId('project')}/../x`, newId('document')]) {
        expect(() => current.index.forProject(bad)).toThrow();
        await expect(current.index.createProject(bad)).rejects.toThrow();
      }
    });

    describeBatchWrites(() => index);
  });
}

/**
 * The write half of the contract, for an index that can only store (a collection that does not
 * rank): replacing documents in batches, read back by document.
 */
export function describeIndexWritesContract(name: string, make: MakeSearchIndex): void {
  describe(`SearchIndex contract, writes: ${name}`, () => {
    let current: Awaited<ReturnType<MakeSearchIndex>>;
    let index: ProjectIndex;
    beforeEach(async () => {
      current = await make();
      index = await openProject(current.index);
    });
    afterEach(async () => {
      await current.close();
    });

    describeBatchWrites(() => index);
  });
}

function describeBatchWrites(index: () => ProjectIndex): void {
  it('replaceDocuments replaces each document of a batch whole, new or indexed before, and leaves the others', async () => {
    const [indexed, fresh, emptied, untouched] = [1, 2, 3, 4].map(() => newId('document'));
    await index().replaceDocument(indexed, [chunk(indexed, 0, 'old one'), chunk(indexed, 1, 'old two')]);
    await index().replaceDocument(emptied, [chunk(emptied, 0, 'to be removed')]);
    const kept = chunk(untouched, 0, 'not in the batch');
    await index().replaceDocument(untouched, [kept]);
    const next = [chunk(indexed, 0, 'new one')];
    const added = [chunk(fresh, 1, 'fresh second'), chunk(fresh, 0, 'fresh first')];

    const errors = await index().replaceDocuments([
      { documentId: indexed, chunks: next },
      { documentId: fresh, chunks: added },
      { documentId: emptied, chunks: [] },
    ]);

    expect(errors).toEqual([null, null, null]);
    expect(await index().documentChunkIds(indexed)).toEqual(ids(next));
    expect(await index().documentChunkIds(fresh)).toEqual([added[1].id, added[0].id]);
    expect(await index().documentChunkIds(emptied)).toEqual([]);
    expect(await index().documentChunkIds(untouched)).toEqual([kept.id]);
    expect(await index().chunkCount()).toBe(4);
  });

  it('replaceDocuments of an empty batch changes nothing', async () => {
    const doc = newId('document');
    await index().replaceDocument(doc, [chunk(doc, 0, 'stays')]);

    expect(await index().replaceDocuments([])).toEqual([]);

    expect(await index().chunkCount()).toBe(1);
  });
}
