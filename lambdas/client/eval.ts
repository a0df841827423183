/**
 * `oprag eval`: retrieval quality and speed of a deployment on a BEIR-layout benchmark, measured
 * only through the public HTTP API. By default it starts a throwaway local server on a free port
 * with a temporary data directory (removed afterwards); with a base URL and a company admin key it
 * measures that deployment instead, in a project it creates and deletes again.
 */
import { basename, resolve } from 'node:path';
import { documentRanking, type Judgements, mean, mrrAt, ndcgAt, percentile, recallAt } from '../core/ir-metrics';
import { ApiClient, expectStatus } from './api-client';
import { readCorpus, readQrels, readQueries } from './beir';
import { withThrowawayServer } from './throwaway-server';

/** The retrieve route's largest `top_k` (API.md): Recall is measured at this depth when it is below 100. */
export const RETRIEVE_TOP_K_MAX = 100;

export interface EvalOptions {
  dataset: string;
  split: string;
  /** a deployment to measure instead of a throwaway local server */
  baseUrl?: string;
  /** with baseUrl: a company admin key */
  key?: string;
  /** ingest requests in flight */
  concurrency?: number;
  /** how long to wait for processing, in seconds */
  timeoutSeconds?: number;
  /** progress lines (to stderr in the CLI) */
  log?: (line: string) => void;
}

export interface EvalReport {
  dataset: string;
  split: string;
  documents: number;
  chunks: number;
  queries: number;
  ndcg_at_10: number;
  /** Recall at `recall_k` (100, or the retrieve cap when that is smaller) */
  recall: number;
  recall_k: number;
  mrr_at_10: number;
  ingest_docs_per_s: number;
  /** latency of the judged queries, asked with `top_k` 50 */
  retrieve_p50_ms: number;
  retrieve_p99_ms: number;
  /** latency of the same queries asked again as a client usually asks, with the default `top_k` (8) */
  retrieve_default_top_k_p50_ms: number;
  retrieve_default_top_k_p99_ms: number;
  failed_documents: number;
  notes: string[];
}

interface BeirSet {
  corpus: { _id: string; title?: string; text: string }[];
  queries: Map<string, string>;
  qrels: Map<string, Judgements>;
}

/** Reads a BEIR folder: corpus.jsonl, queries.jsonl and qrels/<split>.tsv (grades > 0 are relevant). */
export function readBeir(dir: string, split: string): BeirSet {
  const queries = readQueries(dir);
  const qrels = new Map([...readQrels(dir, split)].filter(([qid]) => queries.has(qid)));
  return { corpus: readCorpus(dir), queries, qrels };
}

async function pool<T>(items: T[], n: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, n) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

/** Runs the benchmark on a fresh project of the deployment the admin client reaches. */
async function evaluate(admin: ApiClient, set: BeirSet, opts: EvalOptions): Promise<EvalReport> {
  const log = opts.log ?? (() => {});
  const created = expectStatus(
    await admin.post<{ project: { id: string }; api_key: { key: string } }>('/v1/projects', {
      name: `eval ${basename(opts.dataset)} ${opts.split}`,
    }),
    201,
    'create the project',
  );
  const projectId = created.project.id;
  const client = admin.withKey(created.api_key.key);
  try {
    // measure the engine, not the per-minute limiter
    expectStatus(
      await admin.request('PATCH', `/v1/projects/${projectId}`, {
        limits: { chat_per_minute: null, ingest_per_minute: null },
      }),
      200,
      'lift the per-minute limits',
    );

    log(`ingesting ${set.corpus.length} documents`);
    const corpusIdOf = new Map<string, string>();
    const t0 = performance.now();
    await pool(set.corpus, opts.concurrency ?? 8, async (d) => {
      for (;;) {
        const res = await client.post<{ document: { id: string } }>('/v1/documents', {
          text: d.text.trim() ? d.text : d.title || d._id,
          ...(d.title ? { title: d.title } : {}),
          external_id: d._id,
        });
        if (res.status === 429) {
          await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
          continue;
        }
        corpusIdOf.set(expectStatus(res, 202, `ingest ${d._id}`).document.id, d._id);
        return;
      }
    });
    const deadline = Date.now() + (opts.timeoutSeconds ?? 600) * 1000;
    const pending = async (status: string) =>
      expectStatus(
        await client.get<{ documents: unknown[] }>(`/v1/documents?status=${status}&limit=1`),
        200,
        'list documents',
      ).documents.length;
    while ((await pending('queued')) + (await pending('processing')) > 0) {
      if (Date.now() > deadline) throw new Error('documents still processing at the timeout');
      await sleep(50);
    }
    const ingestSeconds = (performance.now() - t0) / 1000;
    const failed = await countFailed(client);
    const stats = expectStatus(
      await admin.get<{ project: { stats: { documents: number; chunks: number } } }>(`/v1/projects/${projectId}`),
      200,
      'read the project',
    ).project.stats;

    log(`querying ${set.qrels.size} ${opts.split} queries`);
    const latencies: number[] = [];
    const ndcg: number[] = [];
    const recall: number[] = [];
    const mrr: number[] = [];
    const recallK = Math.min(100, RETRIEVE_TOP_K_MAX);
    for (const [qid, relevant] of set.qrels) {
      const t = performance.now();
      const res = await client.post<{ results: { document_id: string }[] }>('/v1/retrieve', {
        query: set.queries.get(qid) as string,
        top_k: RETRIEVE_TOP_K_MAX,
      });
      latencies.push(performance.now() - t);
      const body = expectStatus(res, 200, `retrieve for query ${qid}`);
      const ranked = documentRanking(body.results.map((r) => corpusIdOf.get(r.document_id) ?? r.document_id));
      ndcg.push(ndcgAt(10, ranked, relevant));
      recall.push(recallAt(recallK, ranked, relevant));
      mrr.push(mrrAt(10, ranked, relevant));
    }
    // a second pass for speed alone, as a client usually asks: the default top_k
    const defaultLatencies: number[] = [];
    for (const qid of set.qrels.keys()) {
      const t = performance.now();
      const res = await client.post('/v1/retrieve', { query: set.queries.get(qid) as string });
      defaultLatencies.push(performance.now() - t);
      expectStatus(res, 200, `retrieve for query ${qid}`);
    }
    const notes: string[] = [];
    if (RETRIEVE_TOP_K_MAX < 100)
      notes.push(
        `the retrieve route returns at most ${RETRIEVE_TOP_K_MAX} chunks (API.md), so Recall is measured at ${recallK}, not 100`,
      );
    return {
      dataset: basename(resolve(opts.dataset)),
      split: opts.split,
      documents: stats.documents,
      chunks: stats.chunks,
      queries: set.qrels.size,
      ndcg_at_10: round(mean(ndcg), 4),
      recall: round(mean(recall), 4),
      recall_k: recallK,
      mrr_at_10: round(mean(mrr), 4),
      ingest_docs_per_s: round(set.corpus.length / ingestSeconds, 1),
      retrieve_p50_ms: round(percentile(latencies, 50), 2),
      retrieve_p99_ms: round(percentile(latencies, 99), 2),
      retrieve_default_top_k_p50_ms: round(percentile(defaultLatencies, 50), 2),
      retrieve_default_top_k_p99_ms: round(percentile(defaultLatencies, 99), 2),
      failed_documents: failed,
      notes,
    };
  } finally {
    await admin.delete(`/v1/projects/${projectId}`);
  }
}

async function countFailed(client: ApiClient): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  do {
    const page: { documents: unknown[]; next_cursor: string | null } = expectStatus(
      await client.get<{ documents: unknown[]; next_cursor: string | null }>(
        `/v1/documents?status=failed&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      ),
      200,
      'list failed documents',
    );
    n += page.documents.length;
    cursor = page.next_cursor;
  } while (cursor);
  return n;
}

/** Runs `oprag eval`: on a throwaway local server unless a base URL and key are given. */
export async function runEval(opts: EvalOptions): Promise<EvalReport> {
  const set = readBeir(resolve(opts.dataset), opts.split);
  if (set.qrels.size === 0) throw new Error(`no judged queries in ${opts.dataset}/qrels/${opts.split}.tsv`);
  if (opts.baseUrl) {
    if (!opts.key) throw new Error('--base-url needs --key (a company admin key)');
    return evaluate(new ApiClient(opts.baseUrl, opts.key), set, opts);
  }
  return withThrowawayServer((admin) => evaluate(admin, set, opts), { prefix: 'oprag-eval-' });
}

export function formatEvalReport(r: EvalReport): string {
  const row = (label: string, value: string) => `  ${label.padEnd(12)}${value}`;
  const lines = [
    `${r.dataset} ${r.split}: ${r.documents} documents → ${r.chunks} chunks, ${r.queries} queries`,
    row('nDCG@10', r.ndcg_at_10.toFixed(4)),
    row(`Recall@${r.recall_k}`, r.recall.toFixed(4)),
    row('MRR@10', r.mrr_at_10.toFixed(4)),
    row('ingest', `${r.ingest_docs_per_s} docs/s (end to end, until every document is processed)`),
    row('retrieve', `p50 ${r.retrieve_p50_ms} ms, p99 ${r.retrieve_p99_ms} ms (top_k ${RETRIEVE_TOP_K_MAX})`),
    row('', `p50 ${r.retrieve_default_top_k_p50_ms} ms, p99 ${r.retrieve_default_top_k_p99_ms} ms (default top_k)`),
  ];
  if (r.failed_documents > 0) lines.push(`  failed documents: ${r.failed_documents}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}
