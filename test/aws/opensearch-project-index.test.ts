import { newId } from '../../lambdas/core/ids';
import type { ProjectIndex } from '../../lambdas/ports';
import { chunk } from '../contract/fixtures';
import {
  type FakeCollection,
  ndjson,
  PAGE_SORT,
  PAGE_SOURCE,
  projectIndexOnFake,
  searchReply,
} from './opensearch-fake';

describe('OpenSearchIndex: writing a project index', () => {
  let fake: FakeCollection;
  let index: ProjectIndex;
  let projectId: string;
  let at: (suffix?: string) => string;
  beforeEach(async () => {
    ({ fake, index, projectId, at } = await projectIndexOnFake());
  });
  afterEach(async () => {
    await fake.close();
  });

  it('replaces a document: writes the new version, waits until it is searchable, then deletes the old', async () => {
    const doc = newId('document');
    const chunks = [
      chunk(doc, 0, 'Refunds take five days.', { title: 'Billing', section: 'Refunds', page: 2, tags: ['billing'] }),
      chunk(doc, 1, 'Receipts are required.', { url: 'https://example.com/b', vector: [0.6, 0.8, 0] }),
    ];
    fake
      .on('HEAD', at(), { status: 200 })
      .on('POST', at('/_bulk'), (r) => ({
        body: {
          took: 5,
          errors: false,
          items: ndjson(r.body)
            .filter((_, i) => i % 2 === 0)
            .map((_, i) => ({ index: { _index: 'x', _id: `new-${i}`, status: 201, result: 'created' } })),
        },
      }))
      .on(
        'POST',
        at('/_count'),
        { body: { count: 1 } },
        { body: { count: 2 } },
        { body: { count: 1 } },
        { body: { count: 0 } },
      )
      .on(
        'POST',
        at('/_search'),
        searchReply([
          {
            _id: 'old-1',
            _score: null,
            _source: { chunk_id: 'chk_old', ordinal: 0, version: 1 },
            sort: ['chk_old', 1],
          },
        ]),
      );

    await index.replaceDocument(doc, chunks);

    expect(fake.calls()).toEqual([
      `HEAD ${at()}`,
      `POST ${at('/_bulk')}`,
      `POST ${at('/_count')}`,
      `POST ${at('/_count')}`,
      `POST ${at('/_search')}`,
      `POST ${at('/_bulk')}`,
      `POST ${at('/_count')}`,
      `POST ${at('/_count')}`,
    ]);
    const written = ndjson(fake.received[1].body);
    const version = written[1].version;
    expect(fake.received[1].headers['content-type']).toBe('application/x-ndjson');
    expect(fake.received[1].body.endsWith('\n')).toBe(true);
    expect(version).toEqual(expect.any(Number));
    expect(written).toEqual([
      { index: {} },
      {
        chunk_id: chunks[0].id,
        document_id: doc,
        version,
        ordinal: 0,
        title: 'Billing',
        section: 'Refunds',
        page: 2,
        text: 'Refunds take five days.',
        url: null,
        tags: ['billing'],
      },
      { index: {} },
      {
        chunk_id: chunks[1].id,
        document_id: doc,
        version,
        ordinal: 1,
        title: null,
        section: null,
        page: null,
        text: 'Receipts are required.',
        url: 'https://example.com/b',
        tags: [],
        vector: [0.6, 0.8, 0],
      },
    ]);
    const newVersion = { bool: { filter: [{ term: { document_id: doc } }, { term: { version } }] } };
    const otherVersions = { bool: { filter: [{ term: { document_id: doc } }], must_not: [{ term: { version } }] } };
    expect(fake.json(2)).toEqual({ query: newVersion });
    expect(fake.json(4)).toEqual({ size: 1000, _source: PAGE_SOURCE, query: otherVersions, sort: PAGE_SORT });
    expect(ndjson(fake.received[5].body)).toEqual([{ delete: { _id: 'old-1' } }]);
    expect(fake.json(7)).toEqual({ query: otherVersions });
  });

  it('keeps the old version when the new one never becomes searchable', async () => {
    const doc = newId('document');
    fake
      .on('HEAD', at(), { status: 200 })
      .on('POST', at('/_bulk'), { body: { errors: false, items: [{ index: { _id: 'n1', status: 201 } }] } })
      .on('POST', at('/_count'), { body: { count: 0 } });

    await expect(index.replaceDocument(doc, [chunk(doc, 0, 'text')])).rejects.toThrow(
      'did not become searchable in time',
    );
    expect(fake.calls().filter((c) => !c.endsWith('/_count'))).toEqual([`HEAD ${at()}`, `POST ${at('/_bulk')}`]);
  });

  it('removes what it wrote and says why when a bulk item fails', async () => {
    const doc = newId('document');
    const rejected = { type: 'mapper_parsing_exception', reason: 'failed to parse field [page] of type [integer]' };
    fake.on('HEAD', at(), { status: 200 }).on(
      'POST',
      at('/_bulk'),
      {
        body: {
          errors: true,
          items: [{ index: { _id: 'w1', status: 201 } }, { index: { status: 400, error: rejected } }],
        },
      },
      { body: { errors: false, items: [{ delete: { _id: 'w1', status: 200, result: 'deleted' } }] } },
    );

    await expect(index.replaceDocument(doc, [chunk(doc, 0, 'a'), chunk(doc, 1, 'b')])).rejects.toThrow(
      'indexing the chunks failed: mapper_parsing_exception: failed to parse field [page] of type [integer]',
    );
    expect(ndjson(fake.received[2].body)).toEqual([{ delete: { _id: 'w1' } }]);
  });

  it('sends again only the bulk items rejected with 429', async () => {
    const doc = newId('document');
    fake
      .on('HEAD', at(), { status: 200 })
      .on(
        'POST',
        at('/_bulk'),
        {
          body: {
            errors: true,
            items: [
              { index: { _id: 'w1', status: 201 } },
              { index: { status: 429, error: { type: 'too_many_requests' } } },
            ],
          },
        },
        { body: { errors: false, items: [{ index: { _id: 'w2', status: 201 } }] } },
      )
      .on('POST', at('/_count'), { body: { count: 2 } }, { body: { count: 0 } })
      .on('POST', at('/_search'), searchReply([]));
    const chunks = [chunk(doc, 0, 'a'), chunk(doc, 1, 'b')];

    await index.replaceDocument(doc, chunks);

    expect(ndjson(fake.received[2].body).map((l) => l.chunk_id ?? 'action')).toEqual(['action', chunks[1].id]);
  });

  it('refuses to write to a missing index or a vector of the wrong size', async () => {
    const doc = newId('document');
    fake.on('HEAD', at(), { status: 404 });

    await expect(index.replaceDocument(doc, [chunk(doc, 0, 'a')])).rejects.toThrow(`oprag-${projectId} does not exist`);
    await expect(index.replaceDocument(doc, [chunk(doc, 0, 'a', { vector: [1, 0] })])).rejects.toThrow(
      '2 dimensions, not 3',
    );
    expect(fake.calls()).toEqual([`HEAD ${at()}`]);
  });

  it('deletes a document: lists its entries, deletes them by id, returns its chunk count', async () => {
    const doc = newId('document');
    const hit = (id: string, chunkId: string, version: number) => ({
      _id: id,
      _source: { chunk_id: chunkId, ordinal: 0, version },
      sort: [chunkId, version],
    });
    fake
      .on('POST', at('/_search'), searchReply([hit('e1', 'chk_a', 5), hit('e2', 'chk_b', 5), hit('e3', 'chk_b', 6)]))
      .on('POST', at('/_bulk'), {
        body: {
          errors: false,
          items: [
            { delete: { _id: 'e1', status: 200 } },
            { delete: { _id: 'e2', status: 404, result: 'not_found' } },
            { delete: { _id: 'e3', status: 200 } },
          ],
        },
      })
      .on('POST', at('/_count'), { body: { count: 0 } });

    expect(await index.deleteDocument(doc)).toBe(2);
    const query = { bool: { filter: [{ term: { document_id: doc } }] } };
    expect(fake.json(0)).toEqual({ size: 1000, _source: PAGE_SOURCE, query, sort: PAGE_SORT });
    expect(ndjson(fake.received[1].body)).toEqual([
      { delete: { _id: 'e1' } },
      { delete: { _id: 'e2' } },
      { delete: { _id: 'e3' } },
    ]);
    expect(fake.json(2)).toEqual({ query });
  });
  it('relabels a document: reads its newest version whole, writes it again with the labels, then deletes the old', async () => {
    const doc = newId('document');
    const stored = (id: string, chunkId: string, ordinal: number, version: number, more: object = {}) => ({
      _id: id,
      _score: null,
      _source: {
        chunk_id: chunkId,
        document_id: doc,
        version,
        ordinal,
        title: 'Old title',
        section: 'Refunds',
        page: null,
        text: `text ${ordinal}`,
        url: '/old',
        tags: ['draft'],
        vector: [0.6, 0.8, 0],
        ...more,
      },
      sort: [chunkId, version],
    });
    fake
      .on(
        'POST',
        at('/_search'),
        // the whole entries: a stale version 4 left by a replacement in flight, and version 5 of two chunks
        searchReply([stored('e1', 'chk_b', 1, 5), stored('e0', 'chk_a', 0, 5), stored('s1', 'chk_x', 0, 4)]),
        // the other versions, once the new one is searchable
        searchReply([
          { _id: 'e1', _source: { chunk_id: 'chk_b', ordinal: 1, version: 5 }, sort: ['chk_b', 5] },
          { _id: 'e0', _source: { chunk_id: 'chk_a', ordinal: 0, version: 5 }, sort: ['chk_a', 5] },
        ]),
      )
      .on('HEAD', at(), { status: 200 })
      .on(
        'POST',
        at('/_bulk'),
        {
          body: {
            errors: false,
            items: [{ index: { _id: 'n0', status: 201 } }, { index: { _id: 'n1', status: 201 } }],
          },
        },
        {
          body: {
            errors: false,
            items: [{ delete: { _id: 'e1', status: 200 } }, { delete: { _id: 'e0', status: 200 } }],
          },
        },
      )
      .on('POST', at('/_count'), { body: { count: 2 } }, { body: { count: 0 } });

    expect(await index.relabelDocument(doc, { title: 'Returns', url: null, tags: ['billing'] })).toBe(2);

    expect(fake.calls()).toEqual([
      `POST ${at('/_search')}`,
      `HEAD ${at()}`,
      `POST ${at('/_bulk')}`,
      `POST ${at('/_count')}`,
      `POST ${at('/_search')}`,
      `POST ${at('/_bulk')}`,
      `POST ${at('/_count')}`,
    ]);
    const everyVersion = { bool: { filter: [{ term: { document_id: doc } }] } };
    expect(fake.json(0)).toEqual({ size: 200, _source: true, query: everyVersion, sort: PAGE_SORT });
    const written = ndjson(fake.received[2].body);
    const version = written[1].version;
    expect(version).toBeGreaterThan(5);
    const relabeled = (chunkId: string, ordinal: number) => ({
      chunk_id: chunkId,
      document_id: doc,
      version,
      ordinal,
      title: 'Returns',
      section: 'Refunds',
      page: null,
      text: `text ${ordinal}`,
      url: null,
      tags: ['billing'],
      vector: [0.6, 0.8, 0],
    });
    expect(written).toEqual([{ index: {} }, relabeled('chk_a', 0), { index: {} }, relabeled('chk_b', 1)]);
    const otherVersions = { bool: { filter: [{ term: { document_id: doc } }], must_not: [{ term: { version } }] } };
    expect(fake.json(4)).toEqual({ size: 1000, _source: PAGE_SOURCE, query: otherVersions, sort: PAGE_SORT });
    expect(ndjson(fake.received[5].body)).toEqual([{ delete: { _id: 'e1' } }, { delete: { _id: 'e0' } }]);
  });

  it('keeps the labels a relabelling does not name, and writes nothing for a document it does not hold', async () => {
    const doc = newId('document');
    const source = { chunk_id: 'chk_a', document_id: doc, version: 3, ordinal: 0, title: 'Kept', section: null };
    fake
      .on(
        'POST',
        at('/_search'),
        searchReply([{ _id: 'e0', _source: { ...source, page: 2, text: 't', url: '/kept', tags: ['a'] }, sort: [] }]),
        searchReply([]),
      )
      .on('HEAD', at(), { status: 200 })
      .on('POST', at('/_bulk'), { body: { errors: false, items: [{ index: { _id: 'n0', status: 201 } }] } })
      .on('POST', at('/_count'), { body: { count: 1 } });

    expect(await index.relabelDocument(doc, { tags: ['b'] })).toBe(1);
    expect(ndjson(fake.received[2].body)[1]).toMatchObject({ title: 'Kept', url: '/kept', page: 2, tags: ['b'] });

    fake.received.length = 0;
    fake.on('POST', at('/_search'), searchReply([]));
    expect(await index.relabelDocument(newId('document'), { title: 'x' })).toBe(0);
    expect(fake.calls()).toEqual([`POST ${at('/_search')}`]);
  });
});
