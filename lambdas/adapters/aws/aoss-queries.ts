import { isId } from '../../core/ids';
import type { Chunk } from '../../core/model';
import type { ChunkLabels, SearchHit, SearchRequest } from '../../ports';

/**
 * The request and response shapes of a project's OpenSearch index: its name, its mapping, the
 * query bodies, and how a hit becomes a SearchHit. Pure functions, so that tests can read them.
 */

export const INDEX_PREFIX = 'oprag-';

/** The one function that names a project's index; anything but a valid project id is refused. */
export function indexName(projectId: string): string {
  if (!isId('project', projectId)) throw new Error('invalid project id for the index');
  return `${INDEX_PREFIX}${projectId}`;
}

/** True for a name `indexName` gives: what counts towards a collection's index cap. */
export function isProjectIndex(name: unknown): boolean {
  return typeof name === 'string' && name.startsWith(INDEX_PREFIX) && isId('project', name.slice(INDEX_PREFIX.length));
}

/** BM25 field weights, as the embedded index weighs its columns: title, section path, body. */
export const LEXICAL_FIELDS = ['title^3', 'section^1.5', 'text'];
const TEXT_FIELDS = ['title', 'section', 'text'];

/**
 * The project index: English-analyzed text for BM25, a faiss HNSW vector (the engine AOSS vector
 * collections support; inner product, which is cosine for Titan's normalized embeddings), keyword
 * fields to filter and page on, and the `version` that makes replacing a document atomic.
 */
export function indexBody(dimensions: number) {
  const text = { type: 'text', analyzer: 'english' };
  return {
    settings: { index: { knn: true } },
    mappings: {
      dynamic: 'strict',
      properties: {
        chunk_id: { type: 'keyword' },
        document_id: { type: 'keyword' },
        version: { type: 'long' },
        ordinal: { type: 'integer' },
        page: { type: 'integer' },
        title: text,
        section: text,
        text,
        url: { type: 'keyword', index: false, doc_values: false },
        tags: { type: 'keyword' },
        vector: {
          type: 'knn_vector',
          dimension: dimensions,
          method: {
            name: 'hnsw',
            engine: 'faiss',
            space_type: 'innerproduct',
            parameters: { m: 16, ef_construction: 128 },
          },
        },
      },
    },
  };
}

/** What the index stores for one chunk of one version of a document (AOSS picks the document id). */
export type StoredChunk = Omit<Chunk, 'id'> & { chunk_id: string; version: number };

export function storedChunk(documentId: string, version: number, c: Chunk): StoredChunk {
  const stored: StoredChunk = {
    chunk_id: c.id,
    document_id: documentId,
    version,
    ordinal: c.ordinal,
    title: c.title,
    section: c.section,
    page: c.page,
    text: c.text,
    url: c.url,
    tags: c.tags,
  };
  if (c.vector) stored.vector = c.vector;
  return stored;
}

type Filter = SearchRequest['filter'];

/** Filter clauses: any of the document ids, and any of the tags. */
export function filterClauses(filter: Filter): object[] {
  const clauses: object[] = [];
  if (filter?.document_ids?.length) clauses.push({ terms: { document_id: filter.document_ids } });
  if (filter?.tags?.length) clauses.push({ terms: { tags: filter.tags } });
  return clauses;
}

/**
 * The lexical search, and in the same request what the core needs to weigh terms: a `global`
 * aggregation (it ignores the query and its filters) counts the index's chunks and, per query
 * term, the chunks whose title, section or text match it, analyzed as the index analyzes them.
 * Feedback's expansion words (index keys: stems, which the English analyzer leaves as they are
 * or nearly) are optional clauses.
 */
export function lexicalSearchBody(req: SearchRequest): object {
  const tokens = req.terms.map((t) => t.token);
  const df: Record<string, object> = {};
  for (const t of req.terms) {
    if (!Object.hasOwn(df, t.stem)) df[t.stem] = { multi_match: { query: t.token, fields: TEXT_FIELDS } };
  }
  const project: Record<string, unknown> = { global: {} };
  if (tokens.length) project.aggs = { df: { filters: { filters: df } } };
  // expansion words score where they occur, boosted by their weight, but match nothing alone
  const should = (req.expansion ?? []).map((e) => ({
    multi_match: { query: e.key, fields: LEXICAL_FIELDS, type: 'most_fields', boost: e.weight },
  }));
  return {
    size: tokens.length ? req.topK : 0,
    _source: { excludes: ['vector'] },
    query: tokens.length
      ? {
          bool: {
            must: [{ multi_match: { query: tokens.join(' '), fields: LEXICAL_FIELDS, type: 'most_fields' } }],
            ...(should.length ? { should } : {}),
            filter: filterClauses(req.filter),
          },
        }
      : { match_none: {} },
    aggs: { project },
  };
}

/** Nearest neighbours of the query's embedding, filtered inside the k-NN search (faiss). */
export function denseSearchBody(vector: number[], topK: number, filter: Filter): object {
  const clauses = filterClauses(filter);
  const knn: Record<string, unknown> = { vector, k: topK };
  if (clauses.length) knn.filter = { bool: { filter: clauses } };
  return { size: topK, _source: { excludes: ['vector'] }, query: { knn: { vector: knn } } };
}

export interface RawHit {
  _id: string;
  _score?: number | null;
  _source: Partial<StoredChunk>;
  sort?: unknown[];
}

export interface SearchResponse {
  hits: { hits: RawHit[] };
  aggregations?: { project?: { doc_count: number; df?: { buckets: Record<string, { doc_count: number }> } } };
}

export type VersionedHit = SearchHit & { version: number };

export function toHit(raw: RawHit): VersionedHit {
  const s = raw._source;
  return {
    id: String(s.chunk_id),
    document_id: String(s.document_id),
    ordinal: Number(s.ordinal),
    title: s.title ?? null,
    section: s.section ?? null,
    page: s.page ?? null,
    text: s.text ?? '',
    url: s.url ?? null,
    tags: s.tags ?? [],
    score: raw._score ?? 0,
    version: Number(s.version ?? 0),
  };
}

/**
 * Keeps, per document, only the hits of the newest version among the given hits: while a
 * replacement is in flight a search can see both versions, and must not show both.
 */
export function newestVersionOnly(lists: VersionedHit[][]): SearchHit[][] {
  const newest = new Map<string, number>();
  for (const h of lists.flat()) newest.set(h.document_id, Math.max(newest.get(h.document_id) ?? 0, h.version));
  return lists.map((hits) => hits.filter((h) => h.version === newest.get(h.document_id)).map(stripVersion));
}

function stripVersion({ version: _version, ...hit }: VersionedHit): SearchHit {
  return hit;
}

/** The stored chunks of one document, or of all its versions but one. */
export function documentQuery(documentId: string, exceptVersion?: number): object {
  const bool: Record<string, unknown> = { filter: [{ term: { document_id: documentId } }] };
  if (exceptVersion !== undefined) bool.must_not = [{ term: { version: exceptVersion } }];
  return { bool };
}

export function versionQuery(documentId: string, version: number): object {
  return { bool: { filter: [{ term: { document_id: documentId } }, { term: { version } }] } };
}

/**
 * A page of matching index documents, by a stable sort (search_after: AOSS offers no scroll):
 * their ids and versions, or with `whole` everything stored.
 */
export function pageBody(query: object, size: number, after?: unknown[], whole = false): object {
  return {
    size,
    _source: whole ? true : ['chunk_id', 'ordinal', 'version'],
    query,
    sort: [{ chunk_id: 'asc' }, { version: 'asc' }],
    ...(after ? { search_after: after } : {}),
  };
}

/**
 * The chunks of a document's newest stored version, as they were written (vector included), with
 * the given labels in place of theirs; in ordinal order.
 */
export function relabeledChunks(stored: RawHit[], labels: ChunkLabels): Chunk[] {
  const newest = Math.max(0, ...stored.map((h) => Number(h._source.version ?? 0)));
  return stored
    .filter((h) => Number(h._source.version ?? 0) === newest)
    .map((h): Chunk => {
      const s = h._source;
      const chunk: Chunk = {
        id: String(s.chunk_id),
        document_id: String(s.document_id),
        ordinal: Number(s.ordinal),
        title: labels.title !== undefined ? labels.title : (s.title ?? null),
        section: s.section ?? null,
        page: s.page ?? null,
        text: s.text ?? '',
        url: labels.url !== undefined ? labels.url : (s.url ?? null),
        tags: labels.tags ?? s.tags ?? [],
      };
      if (s.vector) chunk.vector = s.vector;
      return chunk;
    })
    .sort((a, b) => a.ordinal - b.ordinal);
}
