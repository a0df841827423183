import { Conflict } from '../../core/errors';
import type { RemainingMs } from '../../core/time-budget';
import type { ProjectIndex, SearchIndex } from '../../ports';
import { AossClient, type AossCredentials, type AossRetryOptions, type AossSigner } from './aoss-client';
import { INDEX_PREFIX, indexBody, indexName, isProjectIndex } from './aoss-queries';

/** The project indexes, and only they: every name `indexName` makes starts with the prefix. */
const INDEX_PATTERN = `${INDEX_PREFIX}*`;

import { OpenSearchProjectIndex, type ProjectIndexSettings } from './opensearch-project-index';

export interface AossCollection {
  /** the collection's name: what a project records as its placement */
  name: string;
  /** its data-plane endpoint, https://<id>.<region>.aoss.amazonaws.com */
  endpoint: string;
}

export interface OpenSearchIndexOptions {
  /** the pool of collections projects are spread over */
  collections: AossCollection[];
  /** Oprag indexes a collection may hold before new projects go elsewhere */
  indexCap: number;
  /** the embedding size: the dimension of every index's `vector` field */
  dimensions: number;
  region: string;
  /** @default SigV4 for service `aoss` */
  signer?: AossSigner;
  /** @default the Node default credential provider chain */
  credentials?: AossCredentials;
  fetch?: typeof fetch;
  retry?: AossRetryOptions;
  /** per request, and never past the invocation's margin @default 30000 */
  timeoutMs?: number;
  /** what the invocation has left: requests, retries and waits stop short of its end @default unbounded */
  remainingMs?: RemainingMs;
  /** @default 30000 */
  marginMs?: number;
  /** @default 200 */
  bulkSize?: number;
  /**
   * How long a write waits to become searchable before replaceDocument gives up: the pauses
   * between its checks add up to at most this.
   * @default 90000 (AOSS documents a refresh interval of up to a minute for vector collections)
   */
  visibilityTimeoutMs?: number;
  /** @default 500 */
  visibilityPollMs?: number;
  /**
   * Hears the pool's load after each new project index: the functions log it, and a metric
   * filter turns `pool_free` into the alarm on the pool's room (lib/pool-capacity-alarm.ts).
   * @default nothing
   */
  onPoolLoad?: (load: PoolLoad) => void;
}

/** Oprag indexes the pool holds, and how many its collections' caps allow. */
export interface PoolLoad {
  indexes: number;
  capacity: number;
}

/**
 * The SearchIndex on Amazon OpenSearch Serverless: one index per project, named by
 * `indexName(projectId)`, in a collection of a pool. A new project goes to the collection that
 * holds the fewest Oprag indexes, among those under the cap; the collection's name is the
 * placement the project records, and `forProject` talks to that collection only.
 *
 * The count comes from `GET _cat/indices/oprag-*` (AOSS supports it under aoss:DescribeIndex). Two
 * projects created at the same moment may both pick a collection one below its cap: the cap is
 * a placement target, not a hard limit (AOSS enforces its own per-collection index quota).
 */
export class OpenSearchIndex implements SearchIndex {
  private readonly http: AossClient;
  private readonly collections: AossCollection[];
  private readonly settings: ProjectIndexSettings;

  constructor(private readonly opts: OpenSearchIndexOptions) {
    if (opts.collections.length === 0) throw new Error('the OpenSearch index needs at least one collection');
    const names = new Set(opts.collections.map((c) => c.name));
    if (names.size !== opts.collections.length) throw new Error('collection names must be unique');
    if (!Number.isInteger(opts.indexCap) || opts.indexCap < 1) throw new Error('indexCap must be a positive integer');
    if (!Number.isInteger(opts.dimensions) || opts.dimensions < 1) {
      throw new Error('dimensions must be a positive integer');
    }
    this.collections = opts.collections.map((c) => ({ name: c.name, endpoint: c.endpoint.replace(/\/+$/, '') }));
    this.http = new AossClient(opts);
    this.settings = {
      dimensions: opts.dimensions,
      bulkSize: opts.bulkSize ?? 200,
      visibilityTimeoutMs: opts.visibilityTimeoutMs ?? 90_000,
      visibilityPollMs: opts.visibilityPollMs ?? 500,
    };
  }

  async createProject(projectId: string): Promise<string> {
    const index = indexName(projectId);
    const loads = await Promise.all(
      this.collections.map(async (collection) => ({ collection, count: await this.indexCount(collection) })),
    );
    // stable sort: on a tie the collection listed first wins
    const open = loads.filter((l) => l.count < this.opts.indexCap).sort((a, b) => a.count - b.count);
    if (open.length === 0) {
      throw new Conflict(
        `no room for a new project: each of the ${this.collections.length} OpenSearch collection(s) already ` +
          `holds ${this.opts.indexCap} project indexes, its cap; add a collection to the pool`,
      );
    }
    const { collection } = open[0];
    await this.http.request(collection.endpoint, 'PUT', `/${index}`, { body: indexBody(this.opts.dimensions) });
    const used = loads.reduce((sum, l) => sum + Math.min(l.count, this.opts.indexCap), 0) + 1;
    this.opts.onPoolLoad?.({ indexes: used, capacity: this.collections.length * this.opts.indexCap });
    return collection.name;
  }

  forProject(projectId: string, placement?: string | null): ProjectIndex {
    const index = indexName(projectId);
    // a pool of one needs no placement (a project recorded before placements existed)
    const collection = placement
      ? this.collections.find((c) => c.name === placement)
      : this.collections.length === 1
        ? this.collections[0]
        : undefined;
    if (!collection) {
      throw new Error(
        placement
          ? `the project's index placement "${placement}" is not a collection of the pool`
          : 'the project has no index placement',
      );
    }
    return new OpenSearchProjectIndex(this.http, collection.endpoint, index, this.settings);
  }

  /** Oprag project indexes in a collection (other indexes there don't count). */
  private async indexCount(collection: AossCollection): Promise<number> {
    // the pattern keeps the listing inside what the data-access policy grants (index/<c>/oprag-*)
    const res = await this.http.request<{ index?: string }[]>(
      collection.endpoint,
      'GET',
      `/_cat/indices/${INDEX_PATTERN}`,
      {
        query: { format: 'json' },
      },
    );
    if (!Array.isArray(res.body)) throw new Error(`unexpected _cat/indices answer from collection ${collection.name}`);
    return res.body.filter((row) => isProjectIndex(row.index)).length;
  }
}
