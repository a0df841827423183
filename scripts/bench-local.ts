/**
 * Measures the embedded default through its real HTTP API on a throwaway server and data
 * directory: ingestion throughput, retrieve and chat latency, retrieval quality (nDCG@10 at
 * document level), the answer/refusal split and peak memory.
 *
 *   npm run bench -- [--dataset ../shared/eval-data/scifact] [--split test] [--concurrency 8]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiClient } from '../lambdas/client/api-client';
import { readJsonl } from '../lambdas/client/beir';
import { startServer } from '../lambdas/local/server';
import { option as arg } from './args';
import { pool } from './pool';

const dataset = resolve(arg('dataset', join(__dirname, '../../shared/eval-data/scifact')));
const split = arg('split', 'test');
const concurrency = Number(arg('concurrency', '8'));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function ndcgAt10(ranked: string[], relevant: Map<string, number>): number {
  let dcg = 0;
  ranked.slice(0, 10).forEach((id, i) => {
    dcg += (relevant.get(id) ?? 0) / Math.log2(i + 2);
  });
  const ideal = [...relevant.values()].sort((a, b) => b - a).slice(0, 10);
  const idcg = ideal.reduce((s, g, i) => s + g / Math.log2(i + 2), 0);
  return idcg === 0 ? 0 : dcg / idcg;
}

async function main() {
  const corpus = readJsonl<{ _id: string; title: string; text: string }>(join(dataset, 'corpus.jsonl'));
  const queries = new Map(
    readJsonl<{ _id: string; text: string }>(join(dataset, 'queries.jsonl')).map((q) => [q._id, q.text]),
  );
  const qrels = new Map<string, Map<string, number>>();
  for (const line of readFileSync(join(dataset, 'qrels', `${split}.tsv`), 'utf8')
    .split('\n')
    .slice(1)) {
    const [qid, did, score] = line.split('\t');
    if (!qid || Number(score) <= 0) continue;
    if (!qrels.has(qid)) qrels.set(qid, new Map());
    qrels.get(qid)?.set(did, Number(score));
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'oprag-bench-'));
  let adminKey = '';
  const server = await startServer({
    dataDir,
    port: 0,
    dropIntervalSeconds: 0,
    quietLogLevel: 'warn',
    print: (l) => {
      adminKey = l.match(/oprag_ak_\w+/)?.[0] ?? adminKey;
    },
  });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  try {
    const admin = new ApiClient(server.url, adminKey);
    const created = await admin.post<{ project: { id: string }; api_key: { key: string } }>('/v1/projects', {
      name: 'bench',
    });
    const client = admin.withKey(created.body.api_key.key);
    // measure the engine, not the per-minute limiter
    await admin.request('PATCH', `/v1/projects/${created.body.project.id}`, {
      limits: { chat_per_minute: null, ingest_per_minute: null },
    });

    const docIdToCorpusId = new Map<string, string>();
    const t0 = performance.now();
    await pool(corpus, concurrency, async (d) => {
      const res = await client.post<{ document: { id: string } }>('/v1/documents', {
        title: d.title,
        text: d.text,
        external_id: d._id,
      });
      if (res.status !== 202) throw new Error(`ingest ${d._id}: ${res.status}`);
      docIdToCorpusId.set(res.body.document.id, d._id);
    });
    const accepted = performance.now() - t0;
    await server.home.queue.idle();
    const ingestMs = performance.now() - t0;
    const stats = await admin.get<{ project: { stats: { documents: number; chunks: number } } }>(
      `/v1/projects/${created.body.project.id}`,
    );

    const retrieveMs: number[] = [];
    const chatMs: number[] = [];
    const ndcg: number[] = [];
    let answered = 0;
    let citedRelevant = 0;
    for (const [qid, relevant] of qrels) {
      const query = queries.get(qid) as string;
      let t = performance.now();
      const r = await client.post<{ results: { document_id: string }[] }>('/v1/retrieve', { query, top_k: 50 });
      retrieveMs.push(performance.now() - t);
      const ranked = [...new Set(r.body.results.map((x) => docIdToCorpusId.get(x.document_id) as string))];
      ndcg.push(ndcgAt10(ranked, relevant));
      t = performance.now();
      const c = await client.post<{ grounded: boolean; citations: { document_id: string }[] }>('/v1/chat', {
        question: query,
      });
      chatMs.push(performance.now() - t);
      if (c.body.grounded) {
        answered++;
        if (c.body.citations.some((x) => relevant.has(docIdToCorpusId.get(x.document_id) as string))) citedRelevant++;
      }
    }
    const n = qrels.size;
    const fmt = (x: number, d = 1) => x.toFixed(d);
    const report = {
      machine: `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      dataset: `${dataset.split('/').pop()} (${corpus.length} documents, ${n} ${split} queries)`,
      chunks: stats.body.project.stats.chunks,
      ingest_docs_per_s: fmt((corpus.length / ingestMs) * 1000),
      ingest_accept_docs_per_s: fmt((corpus.length / accepted) * 1000),
      retrieve_p50_ms: fmt(percentile(retrieveMs, 50)),
      retrieve_p99_ms: fmt(percentile(retrieveMs, 99)),
      chat_p50_ms: fmt(percentile(chatMs, 50)),
      chat_p99_ms: fmt(percentile(chatMs, 99)),
      ndcg_at_10: fmt(ndcg.reduce((a, b) => a + b, 0) / n, 3),
      answered: `${answered}/${n}`,
      answered_citing_a_relevant_document: `${citedRelevant}/${answered}`,
      peak_rss_mb: fmt(peakRss / 2 ** 20, 0),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    clearInterval(sampler);
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
