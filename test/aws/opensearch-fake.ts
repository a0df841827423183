import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenSearchIndex } from '../../lambdas/adapters/aws/opensearch-index';
import { newId } from '../../lambdas/core/ids';

/** A request as the fake collection received it. */
export interface Received {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Answer = Reply | ((req: Received) => Reply);

/**
 * A scripted OpenSearch Serverless collection on a loopback port: it records every request and
 * answers each `METHOD path` with the replies given for it, in turn (the last one repeats). An
 * unscripted request gets a 500, so a test fails on anything the adapter was not expected to send.
 */
export class FakeCollection {
  readonly received: Received[] = [];
  private readonly routes = new Map<string, Answer[]>();
  private server?: Server;
  url = '';

  /** Scripts `METHOD path`; a path ending in `*` answers every path that starts with the rest. */
  on(method: string, path: string, ...answers: Answer[]): this {
    this.routes.set(`${method} ${path}`, answers);
    return this;
  }

  /** Every request received, as `METHOD path`, in order. */
  calls(): string[] {
    return this.received.map((r) => `${r.method} ${r.path}`);
  }

  json(i: number): unknown {
    return JSON.parse(this.received[i].body);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const received: Received = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.received.push(received);
        const route = `${received.method} ${received.path}`;
        const answers =
          this.routes.get(route) ??
          [...this.routes].find(([k]) => k.endsWith('*') && route.startsWith(k.slice(0, -1)))?.[1];
        const answer = answers && (answers.length > 1 ? answers.shift() : answers[0]);
        const reply = typeof answer === 'function' ? answer(received) : answer;
        const status = reply?.status ?? (reply ? 200 : 500);
        const body = reply
          ? reply.body
          : { error: { type: 'unscripted', reason: `${received.method} ${received.path}` } };
        res.writeHead(status, { 'content-type': 'application/json', ...reply?.headers });
        res.end(body === undefined || received.method === 'HEAD' ? undefined : JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** Dummy credentials: the adapter signs with them; nothing here reaches AWS. */
export const DUMMY_CREDENTIALS = {
  accessKeyId: 'AKIDOPRAGTEST',
  secretAccessKey: 'oprag-test-secret-key-never-shown',
  sessionToken: 'oprag-test-session-token',
};

/** OpenSearch's error body, as the service sends it. */
export function errorBody(status: number, type: string, reason: string) {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}

/** A search answer with the given hits. */
export function searchReply(hits: object[], aggregations?: object): Reply {
  return {
    body: {
      took: 3,
      timed_out: false,
      _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      hits: { total: { value: hits.length, relation: 'eq' }, max_score: null, hits },
      ...(aggregations ? { aggregations } : {}),
    },
  };
}

/** The NDJSON lines of a `_bulk` request, parsed. */
export const ndjson = (body: string) =>
  body
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l));

/** `_search` page requests list a document's index entries with these fields, in this order. */
export const PAGE_SOURCE = ['chunk_id', 'ordinal', 'version'];
export const PAGE_SORT = [{ chunk_id: 'asc' }, { version: 'asc' }];

/** A fake collection and a new project's index in it, with fast retries and visibility polls. */
export async function projectIndexOnFake() {
  const fake = await new FakeCollection().start();
  const projectId = newId('project');
  const index = new OpenSearchIndex({
    collections: [{ name: 'c1', endpoint: fake.url }],
    indexCap: 10,
    dimensions: 3,
    region: 'us-east-1',
    credentials: DUMMY_CREDENTIALS,
    retry: { attempts: 3, baseDelayMs: 1 },
    visibilityPollMs: 1,
    visibilityTimeoutMs: 100,
  }).forProject(projectId, 'c1');
  /** a path of the project's index */
  const at = (suffix = '') => `/oprag-${projectId}${suffix}`;
  return { fake, index, projectId, at };
}
