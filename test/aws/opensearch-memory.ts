import { OpenSearchIndex } from '../../lambdas/adapters/aws/opensearch-index';
import { DUMMY_CREDENTIALS, errorBody, FakeCollection, ndjson, type Received, searchReply } from './opensearch-fake';

type Source = Record<string, unknown>;
type Term = { term: Record<string, unknown> };
interface Query {
  bool?: { filter?: Term[]; must_not?: Term[] };
}

/** The queries a project index sends to list, count and delete: term filters, and terms it must not match. */
function matches(query: Query | undefined, source: Source): boolean {
  const term = (t: Term) => Object.entries(t.term).every(([field, value]) => source[field] === value);
  return (query?.bool?.filter ?? []).every(term) && !(query?.bool?.must_not ?? []).some(term);
}

const byPageSort = (a: Source, b: Source) =>
  String(a.chunk_id).localeCompare(String(b.chunk_id)) || Number(a.version) - Number(b.version);

/**
 * An OpenSearch Serverless collection that keeps what it is sent, on the fake collection's
 * loopback server: enough of the API for a project index's writes and their checks (creating an
 * index, `_bulk`, `_count`, and `_search` pages of a document's entries), every write visible at
 * once. It does not rank: relevance searches are the real endpoint's contract run.
 */
export class MemoryCollection {
  /** index name → AOSS document id → stored chunk */
  readonly indexes = new Map<string, Map<string, Source>>();
  private ids = 0;

  private constructor(readonly fake: FakeCollection) {}

  static async start(): Promise<MemoryCollection> {
    const collection = new MemoryCollection(await new FakeCollection().start());
    collection.script();
    return collection;
  }

  /** An OpenSearchIndex with this collection as its pool of one, polling briskly. */
  searchIndex(dimensions = 3): OpenSearchIndex {
    return new OpenSearchIndex({
      collections: [{ name: 'memory', endpoint: this.fake.url }],
      indexCap: 1000,
      dimensions,
      region: 'us-east-1',
      credentials: DUMMY_CREDENTIALS,
      retry: { attempts: 3, baseDelayMs: 1 },
      visibilityPollMs: 1,
      visibilityTimeoutMs: 200,
    });
  }

  /** The chunks stored for a document, all versions. */
  chunksOf(projectId: string, documentId: string): Source[] {
    const docs = this.indexes.get(`oprag-${projectId}`) ?? new Map();
    return [...docs.values()].filter((s) => s.document_id === documentId);
  }

  close(): Promise<void> {
    return this.fake.close();
  }

  private docs(r: Received) {
    return this.indexes.get(r.path.split('/')[1]);
  }

  private script() {
    const missing = { status: 404, body: errorBody(404, 'index_not_found_exception', 'no such index') };
    this.fake
      .on('GET', '/_cat/indices/oprag-*', () => ({ body: [...this.indexes.keys()].map((index) => ({ index })) }))
      .on('PUT', '/*', (r) => {
        this.indexes.set(r.path.slice(1), new Map());
        return { body: { acknowledged: true } };
      })
      .on('HEAD', '/*', (r) => ({ status: this.docs(r) ? 200 : 404 }))
      .on('DELETE', '/*', (r) => {
        const had = this.indexes.delete(r.path.slice(1));
        return had ? { body: { acknowledged: true } } : missing;
      })
      .on('GET', '/*', (r) => {
        const docs = this.docs(r);
        return docs ? { body: { count: docs.size } } : missing;
      })
      .on('POST', '/*', (r) => {
        const docs = this.docs(r);
        if (!docs) return missing;
        const op = r.path.split('/')[2];
        if (op === '_bulk') return { body: { errors: false, items: this.bulk(docs, ndjson(r.body)) } };
        const body = r.body ? JSON.parse(r.body) : {};
        const found = [...docs].filter(([, s]) => matches(body.query, s));
        if (op === '_count') return { body: { count: found.length } };
        const after: unknown[] | undefined = body.search_after;
        const page = found
          .map(([_id, s]) => ({ _id, _score: null, _source: s, sort: [s.chunk_id, s.version] }))
          .sort((a, b) => byPageSort(a._source, b._source))
          .filter((h) => !after || byPageSort(h._source, { chunk_id: after[0], version: after[1] }) > 0)
          .slice(0, body.size ?? 10);
        return searchReply(page);
      });
  }

  private bulk(docs: Map<string, Source>, lines: Record<string, Source>[]) {
    const items: object[] = [];
    for (let i = 0; i < lines.length; i++) {
      if ('delete' in lines[i]) {
        const _id = String(lines[i].delete._id);
        items.push({ delete: { _id, status: docs.delete(_id) ? 200 : 404 } });
      } else {
        const _id = `mem-${++this.ids}`;
        docs.set(_id, lines[++i]);
        items.push({ index: { _id, status: 201 } });
      }
    }
    return items;
  }
}
