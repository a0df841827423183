import { newId } from '../../lambdas/core/ids';
import { queryTerms } from '../../lambdas/core/text';
import type { ProjectIndex } from '../../lambdas/ports';
import { errorBody, type FakeCollection, projectIndexOnFake, searchReply } from './opensearch-fake';

describe('OpenSearchIndex: reading a project index', () => {
  let fake: FakeCollection;
  let index: ProjectIndex;
  let at: (suffix?: string) => string;
  beforeEach(async () => {
    ({ fake, index, at } = await projectIndexOnFake());
  });
  afterEach(async () => {
    await fake.close();
  });

  it('searches BM25 and k-NN with filters, and parses hits, chunk count and document frequency', async () => {
    const doc = newId('document');
    const other = newId('document');
    const source = (chunkId: string, documentId: string, version: number, extra: object = {}) => ({
      chunk_id: chunkId,
      document_id: documentId,
      version,
      ordinal: 1,
      title: 'Billing',
      section: 'Billing > Refunds',
      page: 3,
      text: 'Refunds take five days.',
      url: '/help/refunds',
      tags: ['billing'],
      ...extra,
    });
    const lexicalHits = [
      { _id: 'x1', _score: 7.5, _source: source('chk_new', doc, 20) },
      { _id: 'x2', _score: 6.1, _source: source('chk_old', doc, 10) },
      {
        _id: 'x3',
        _score: 2.25,
        _source: source('chk_o', other, 3, { page: null, section: null, url: null, tags: [] }),
      },
    ];
    fake.on('POST', at('/_search'), (r) =>
      r.body.includes('"knn"')
        ? searchReply([{ _id: 'x1', _score: 1.93, _source: source('chk_new', doc, 20) }])
        : searchReply(lexicalHits, {
            project: { doc_count: 42, df: { buckets: { refund: { doc_count: 7 }, receipt: { doc_count: 0 } } } },
          }),
    );
    const terms = queryTerms('refunds receipt');
    const filter = { document_ids: [doc, other], tags: ['billing'] };

    const result = await index.search({ terms, vector: [0.1, 0.2, 0.3], topK: 5, filter });

    const filters = [{ terms: { document_id: [doc, other] } }, { terms: { tags: ['billing'] } }];
    const bodies = fake.received.map((r) => JSON.parse(r.body));
    expect(fake.calls()).toEqual([`POST ${at('/_search')}`, `POST ${at('/_search')}`]);
    expect(bodies).toContainEqual({
      size: 5,
      _source: { excludes: ['vector'] },
      query: {
        bool: {
          must: [
            {
              multi_match: {
                query: 'refunds receipt',
                fields: ['title^3', 'section^1.5', 'text'],
                type: 'most_fields',
              },
            },
          ],
          filter: filters,
        },
      },
      aggs: {
        project: {
          global: {},
          aggs: {
            df: {
              filters: {
                filters: {
                  refund: { multi_match: { query: 'refunds', fields: ['title', 'section', 'text'] } },
                  receipt: { multi_match: { query: 'receipt', fields: ['title', 'section', 'text'] } },
                },
              },
            },
          },
        },
      },
    });
    expect(bodies).toContainEqual({
      size: 5,
      _source: { excludes: ['vector'] },
      query: { knn: { vector: { vector: [0.1, 0.2, 0.3], k: 5, filter: { bool: { filter: filters } } } } },
    });
    const expected = (chunkId: string, documentId: string, score: number) => ({
      id: chunkId,
      document_id: documentId,
      ordinal: 1,
      title: 'Billing',
      section: 'Billing > Refunds',
      page: 3,
      text: 'Refunds take five days.',
      url: '/help/refunds',
      tags: ['billing'],
      score,
    });
    // the older version of `doc` is in the hits while its replacement finishes: it is not shown
    expect(result.hits).toEqual([
      expected('chk_new', doc, 7.5),
      { ...expected('chk_o', other, 2.25), page: null, section: null, url: null, tags: [] },
    ]);
    expect(result.denseHits).toEqual([expected('chk_new', doc, 1.93)]);
    expect(result.chunkCount).toBe(42);
    expect(result.documentFrequency).toEqual({ refund: 7, receipt: 0 });
  });

  it('sends expansion words as optional clauses, boosted by their weight', async () => {
    fake.on('POST', at('/_search'), searchReply([], { project: { doc_count: 0 } }));

    await index.search({ terms: queryTerms('glacier'), expansion: [{ key: 'morain', weight: 0.25 }], topK: 4 });

    expect(JSON.parse(fake.received[0].body).query.bool).toEqual({
      must: [{ multi_match: { query: 'glacier', fields: ['title^3', 'section^1.5', 'text'], type: 'most_fields' } }],
      should: [
        {
          multi_match: {
            query: 'morain',
            fields: ['title^3', 'section^1.5', 'text'],
            type: 'most_fields',
            boost: 0.25,
          },
        },
      ],
      filter: [],
    });
  });

  it('answers a search of a missing index with nothing, and no dense hits without a vector', async () => {
    fake.on('POST', at('/_search'), {
      status: 404,
      body: errorBody(404, 'index_not_found_exception', 'no such index'),
    });

    const result = await index.search({ terms: queryTerms('confidential merger'), topK: 3 });

    expect(result).toEqual({ hits: [], chunkCount: 0, documentFrequency: { confidenti: 0, merger: 0 } });
  });

  it('counts chunks with _count, lists chunk ids by ordinal, and drops the index', async () => {
    const doc = newId('document');
    const entry = (chunkId: string, ordinal: number, version: number) => ({
      _id: `${chunkId}-${version}`,
      _source: { chunk_id: chunkId, ordinal, version },
      sort: [chunkId, version],
    });
    fake
      .on('GET', at('/_count'), { body: { count: 3, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 } } })
      .on(
        'POST',
        at('/_search'),
        searchReply([entry('chk_c', 2, 9), entry('chk_a', 0, 9), entry('chk_b', 1, 9), entry('chk_z', 0, 4)]),
      )
      .on('DELETE', at(), { body: { acknowledged: true } });

    expect(await index.chunkCount()).toBe(3);
    expect(await index.documentChunkIds(doc)).toEqual(['chk_a', 'chk_b', 'chk_c']);
    expect(await index.drop()).toBe(3);
    expect(fake.calls()).toEqual([
      `GET ${at('/_count')}`,
      `POST ${at('/_search')}`,
      `GET ${at('/_count')}`,
      `DELETE ${at()}`,
    ]);
  });

  it('reports nothing for an index that is already gone', async () => {
    const missing = { status: 404, body: errorBody(404, 'index_not_found_exception', 'no such index') };
    fake.on('GET', at('/_count'), missing).on('POST', at('/_search'), missing).on('DELETE', at(), missing);

    expect(await index.chunkCount()).toBe(0);
    expect(await index.documentChunkIds(newId('document'))).toEqual([]);
    expect(await index.deleteDocument(newId('document'))).toBe(0);
    expect(await index.drop()).toBe(0);
  });
});
