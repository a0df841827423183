import type { Chunk } from '../../core/model';
import type { ChunkLabels, ProjectIndex, SearchRequest, SearchResult } from '../../ports';
import type { AossClient, AossRequest } from './aoss-client';
import {
  denseSearchBody,
  documentQuery,
  lexicalSearchBody,
  newestVersionOnly,
  pageBody,
  type RawHit,
  relabeledChunks,
  type SearchResponse,
  type StoredChunk,
  storedChunk,
  toHit,
  versionQuery,
} from './aoss-queries';

export interface ProjectIndexSettings {
  dimensions: number;
  /** index documents per `_bulk` request */
  bulkSize: number;
  /** how long a write may take to become visible to searches: the pauses between checks, added up */
  visibilityTimeoutMs: number;
  /** the first pause between visibility checks; it grows to 5 s */
  visibilityPollMs: number;
}

type BulkOp = [action: object, source?: StoredChunk];
interface BulkItem {
  _id?: string;
  status: number;
  error?: { type?: string; reason?: string };
}
interface BulkResponse {
  errors: boolean;
  items: Record<string, BulkItem>[];
}

/** search_after page size for listing a document's index entries */
const PAGE = 1000;
/** the same for whole entries, vectors included */
const SOURCE_PAGE = 200;

let lastVersion = 0;
/** Versions of a document's chunks: microsecond time, strictly increasing within a process. */
function nextVersion(): number {
  lastVersion = Math.max(Date.now() * 1000, lastVersion + 1);
  return lastVersion;
}

/**
 * One project's index in its OpenSearch Serverless collection. AOSS has no refresh API, no
 * `_delete_by_query`, and no custom document ids in vector collections; writes become searchable
 * some time later. So a replacement is versioned and staged:
 *
 * 1. the new chunks are bulk-written under a new `version` (ids chosen by AOSS);
 * 2. we wait (polling `_count`) until every one of them is searchable;
 * 3. only then are the document's other versions listed (search_after) and bulk-deleted by id,
 *    and we wait until `_count` no longer sees them.
 *
 * Readers therefore never see neither version: the old one is removed only once the new one is
 * visible. While steps 2–3 run a search may match chunks of both; `search` keeps, per document,
 * only the newest version among its hits, so no answer mixes them. What remains is the window
 * between the new version becoming visible and the old one's deletion becoming visible (about one
 * refresh interval of the collection): a query that matches only old chunks can still return them.
 * `replaceDocument` and `deleteDocument` return only after that window closes (or their bounded
 * wait ends), so a document is marked ready, or reported deleted, once searches agree.
 */
export class OpenSearchProjectIndex implements ProjectIndex {
  constructor(
    private readonly http: AossClient,
    private readonly endpoint: string,
    private readonly index: string,
    private readonly settings: ProjectIndexSettings,
  ) {}

  async replaceDocument(documentId: string, chunks: Chunk[]): Promise<void> {
    const wrong = chunks.find((c) => c.vector && c.vector.length !== this.settings.dimensions);
    if (wrong) {
      throw new Error(`chunk ${wrong.id} has ${wrong.vector?.length} dimensions, not ${this.settings.dimensions}`);
    }
    // a bulk write to a missing index would create one with a guessed mapping: only write to ours
    const head = await this.call('HEAD', '', { accept: [404] });
    if (head.status === 404) throw new Error(`the project's index ${this.index} does not exist`);
    const version = nextVersion();
    if (chunks.length > 0) {
      await this.write(chunks.map((c) => storedChunk(documentId, version, c)));
      const visible = await this.waitFor(versionQuery(documentId, version), (n) => n >= chunks.length);
      if (!visible) {
        // the old version stays: removing it now could leave searches with neither
        throw new Error(`the new chunks of ${documentId} did not become searchable in time`);
      }
    }
    await this.removeWhere(documentQuery(documentId, version));
  }

  /** A collection has no multi-document commit: each document is replaced on its own, side by side. */
  replaceDocuments(docs: { documentId: string; chunks: Chunk[] }[]): Promise<(unknown | null)[]> {
    return Promise.all(
      docs.map((d) =>
        this.replaceDocument(d.documentId, d.chunks).then(
          () => null,
          (e: unknown) => e,
        ),
      ),
    );
  }

  async deleteDocument(documentId: string): Promise<number> {
    return this.removeWhere(documentQuery(documentId));
  }

  /**
   * A collection updates nothing in place that searches would see at once, so new labels are a
   * replacement: the document's current chunks are read whole (vectors included: nothing is
   * embedded again), written as a new version with the labels, and the old version removed, as
   * replaceDocument does. Searches see one version or the other, never a mix.
   */
  async relabelDocument(documentId: string, labels: ChunkLabels): Promise<number> {
    const current = await this.list(documentQuery(documentId), { whole: true });
    const chunks = relabeledChunks(current, labels);
    if (chunks.length === 0) return 0;
    await this.replaceDocument(documentId, chunks);
    return chunks.length;
  }

  async search(req: SearchRequest): Promise<SearchResult> {
    const [lexical, dense] = await Promise.all([
      this.call<SearchResponse>('POST', '/_search', { body: lexicalSearchBody(req), accept: [404] }),
      req.vector
        ? this.call<SearchResponse>('POST', '/_search', {
            body: denseSearchBody(req.vector, req.topK, req.filter),
            accept: [404],
          })
        : undefined,
    ]);
    const documentFrequency: Record<string, number> = {};
    const project = lexical.status === 404 ? undefined : lexical.body.aggregations?.project;
    for (const t of req.terms) {
      if (!Object.hasOwn(documentFrequency, t.stem)) {
        documentFrequency[t.stem] = project?.df?.buckets[t.stem]?.doc_count ?? 0;
      }
    }
    if (lexical.status === 404 || dense?.status === 404) {
      return { hits: [], ...(req.vector ? { denseHits: [] } : {}), chunkCount: 0, documentFrequency };
    }
    const [hits, denseHits] = newestVersionOnly([
      lexical.body.hits.hits.map(toHit),
      dense ? dense.body.hits.hits.map(toHit) : [],
    ]);
    return { hits, ...(dense ? { denseHits } : {}), chunkCount: project?.doc_count ?? 0, documentFrequency };
  }

  async chunkCount(): Promise<number> {
    const res = await this.call<{ count: number }>('GET', '/_count', { accept: [404] });
    return res.status === 404 ? 0 : res.body.count;
  }

  async documentChunkIds(documentId: string): Promise<string[]> {
    const hits = (await this.list(documentQuery(documentId))).map(toHit);
    const [current] = newestVersionOnly([hits]);
    const ids = new Map(current.map((h) => [h.id, h.ordinal]));
    return [...ids.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id);
  }

  async drop(): Promise<number> {
    const count = await this.chunkCount();
    const res = await this.call('DELETE', '', { accept: [404] });
    return res.status === 404 ? 0 : count;
  }

  private call<T = unknown>(method: string, suffix: string, req?: AossRequest) {
    return this.http.request<T>(this.endpoint, method, `/${this.index}${suffix}`, req);
  }

  /** Writes new index documents; on any failure removes what it wrote, then throws. */
  private async write(docs: StoredChunk[]): Promise<void> {
    const written: string[] = [];
    for (let i = 0; i < docs.length; i += this.settings.bulkSize) {
      const ops = docs.slice(i, i + this.settings.bulkSize).map((d): BulkOp => [{ index: {} }, d]);
      const result = await this.bulk(ops).catch((e: Error) => ({ ids: [] as string[], error: e.message }));
      written.push(...result.ids);
      if (result.error) {
        if (written.length) await this.bulk(written.map((id): BulkOp => [{ delete: { _id: id } }])).catch(() => null);
        throw new Error(`indexing the chunks failed: ${result.error}`);
      }
    }
  }

  /** Lists a query's index documents, then deletes them by id; returns the chunks they held. */
  private async removeWhere(query: object): Promise<number> {
    const found = await this.list(query);
    if (found.length === 0) return 0;
    for (let i = 0; i < found.length; i += this.settings.bulkSize) {
      const ops = found.slice(i, i + this.settings.bulkSize).map((h): BulkOp => [{ delete: { _id: h._id } }]);
      const result = await this.bulk(ops);
      if (result.error) throw new Error(`deleting chunks failed: ${result.error}`);
    }
    // the deletes are accepted; waiting only lets the caller answer once searches agree
    await this.waitFor(query, (n) => n === 0);
    return new Set(found.map((h) => h._source.chunk_id)).size;
  }

  /**
   * Sends `_bulk` operations, sending again the items AOSS rejected with 429; returns the ids it
   * wrote and the first other item error. A delete of an id already gone counts as done.
   */
  private async bulk(ops: BulkOp[]): Promise<{ ids: string[]; error?: string }> {
    const ids: string[] = [];
    let pending = ops;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const ndjson = pending.map(([a, s]) => `${JSON.stringify(a)}\n${s ? `${JSON.stringify(s)}\n` : ''}`).join('');
      const res = await this.call<BulkResponse>('POST', '/_bulk', {
        body: ndjson,
        contentType: 'application/x-ndjson',
      });
      const again: BulkOp[] = [];
      let error: string | undefined;
      for (const [i, item] of res.body.items.entries()) {
        const [kind, r] = Object.entries(item)[0];
        if (r.status < 300 || (kind === 'delete' && r.status === 404)) {
          if (kind !== 'delete' && r._id) ids.push(r._id);
        } else if (r.status === 429 && attempt < this.http.attempts) {
          again.push(pending[i]);
        } else {
          error ??= `${r.error?.type ?? r.status}: ${r.error?.reason ?? 'rejected'}`;
        }
      }
      if (error) return { ids, error };
      pending = again;
      if (pending.length) await this.http.pause(this.http.backoff(attempt), 'a bulk write');
    }
    return { ids };
  }

  /**
   * Every index document a query matches, by search_after pages; none when the index is gone.
   * Their ids and versions, or with `whole` everything stored.
   */
  private async list(query: object, { whole = false } = {}): Promise<RawHit[]> {
    const out: RawHit[] = [];
    const size = whole ? SOURCE_PAGE : PAGE;
    let after: unknown[] | undefined;
    for (;;) {
      const res = await this.call<SearchResponse>('POST', '/_search', {
        body: pageBody(query, size, after, whole),
        accept: [404],
      });
      if (res.status === 404) return out;
      const hits = res.body.hits.hits;
      out.push(...hits);
      if (hits.length < size) return out;
      after = hits[hits.length - 1].sort;
    }
  }

  /**
   * Polls `_count` until `done` holds or the pauses between polls would add up past the visibility
   * timeout; says which. The pauses are what is counted, not the clock: the same polls give the
   * same outcome however long each request takes (the invocation's own deadline still bounds them).
   */
  private async waitFor(query: object, done: (count: number) => boolean): Promise<boolean> {
    let waited = 0;
    let pause = this.settings.visibilityPollMs;
    for (;;) {
      const res = await this.call<{ count: number }>('POST', '/_count', { body: { query }, accept: [404] });
      if (done(res.status === 404 ? 0 : res.body.count)) return true;
      if (waited + pause > this.settings.visibilityTimeoutMs) return false;
      await this.http.pause(pause, 'a wait for the index to show a write');
      waited += pause;
      pause = Math.min(5000, pause * 2);
    }
  }
}
