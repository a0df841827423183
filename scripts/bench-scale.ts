/**
 * Many tenants, then one big tenant, on one machine. Not a test: a measurement.
 *
 * For each tenant count (100 and 1,000 by default) a throwaway local server in its own process,
 * with a fresh data directory: `--tenants` projects are created through the API (timed), each
 * gets `--docs` documents of SciFact and Climate-FEVER (read from ../shared/eval-data, never
 * copied), then `--in-flight` loops send `POST /v1/chat` to random projects with each project's
 * own key, once the server is idle again: `--warmup` seconds per server (not counted), then
 * `--duration` seconds per server measured in `--rounds` windows (4 by default), the servers
 * taking turns window by window so that the machine's drifting speed slows them alike (each
 * window after a second not counted). Reports the chat latency p50/p95/p99, requests per second, the server's
 * RSS and peak RSS, its open files (its /proc/<pid>/fd, the highest seen while measuring, and
 * by kind at the end), the bytes of `-wal` files in its data directory, and the ratios between
 * the largest and the smallest tenant count. `--tenants 0` leaves these runs out.
 *
 * Then the big tenant (skipped with `--no-big-tenant` or `--big-chunks 0`): another throwaway
 * server with ONE project of `--big-chunks` documents (100,000 by default; each at least one
 * chunk): the SciFact abstracts, the Climate-FEVER passages, each SciFact sentence of
 * corpus_sentences.jsonl on its own, each pair of adjacent sentences (and, only to reach the
 * count, each run of three). The project's per-minute limits and quotas are lifted; the
 * documents are written as Markdown files (title in front matter) into a folder and sent by the
 * CLI's bulk path (`bulkIngest`, the code of `oprag ingest`, with its defaults: batches of 250,
 * 4 in flight, each answered once processed), timed until every one is ready (docs/s), and the
 * project's chunk count is read back.
 * Once the server is idle: `POST /v1/retrieve` (top_k 10) with every question once, 8 in flight
 * (the first use of each word's candidate lists, timed on its own), then `POST /v1/retrieve` and
 * `POST /v1/chat` with the SciFact and Climate-FEVER test claims, 1 and 8 in flight, `--warmup` + `--duration` seconds each
 * (p50/p95/p99, req/s, the server's CPU in cores); then chat from `--big-connections` (64)
 * autocannon connections for `--big-duration` seconds, once every connection has had an answer:
 * req/s, p50/p99, and the server's CPU over the window from /proc/<pid>/stat (utime + stime, all
 * threads) in cores — 2.0 is both cores of a 2-core machine busy — and its main thread's share
 * (/proc/<pid>/task/<pid>/stat), beside this process's CPU and the load average.
 * Last, `--big-posts` (20,000) of the same documents, an even sample, as single JSON POSTs
 * (`--big-posts-in-flight`, 16, on kept-alive connections: node:http, or with `--big-posts-client raw`
 * HTTP/1.1 written straight onto the sockets, the leanest client) into a second project, timed until
 * none is queued or processing (docs/s).
 * The baseline, in this process: bare SQLite FTS5 (better-sqlite3, a temporary database,
 * `fts5(title, body, tokenize='porter unicode61')`) over the same documents' texts, inserted in
 * one transaction (docs/s), then the first 100 questions untimed and each question timed, one at a time, as
 * `SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT 10` with the words Oprag searches
 * for (no stop words) OR-joined as quoted phrases (p50/p95/p99). Ratios: retrieve p50 and chat p50 (1 in flight) against the FTS5
 * p50, ingest docs/s against the FTS5 docs/s.
 *
 *   npm run bench:scale -- [--tenants 100,1000] [--docs 30] [--in-flight 8] [--duration 20]
 *                          [--warmup 5] [--rounds 4] [--big-tenant | --no-big-tenant] [--big-chunks 100000]
 *                          [--big-duration 30] [--big-connections 64] [--big-posts 20000]
 *                          [--big-posts-in-flight 16] [--big-posts-client http|raw]
 *                          [--eval-data ../shared/eval-data] [--json] [--keep]
 */
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { readCorpus, readQueries } from '../lambdas/client/beir';
import { option as arg, flag } from './args';
import type { Latency } from './latency';
import { type BigFigures, bigCorpus, runBig, testQuestions } from './scale-big-tenant';
import { type Fts5Figures, fts5Baseline } from './scale-fts5';
import { type Figures, runTenants } from './scale-tenants';

const root = resolve(__dirname, '..');
const evalData = resolve(arg('eval-data', join(root, '../shared/eval-data')));
const tenantCounts = arg('tenants', '100,1000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const docsPerTenant = Number(arg('docs', '30'));
const inFlight = Number(arg('in-flight', '8'));
const duration = Number(arg('duration', '20'));
const warmup = Number(arg('warmup', '5'));
/** the many-tenant servers' measured time, cut into windows taken in turns */
const rounds = Number(arg('rounds', '4'));
const asJson = flag('json');
// one company holds every tenant here: lift the per-company project quota (50 by default) above them (and the big tenant's two)
process.env.OPRAG_MAX_PROJECTS_PER_COMPANY ??= String(Math.max(2, ...tenantCounts));
const keep = flag('keep');
const bigChunks = flag('no-big-tenant') ? 0 : Number(arg('big-chunks', '100000'));
const bigDuration = Number(arg('big-duration', '30'));
const bigConnections = Number(arg('big-connections', '64'));
/** documents of the big tenant sent again as single POSTs into a second project (0: none), and how many in flight */
const bigPosts = Number(arg('big-posts', '20000'));
const bigPostsInFlight = Number(arg('big-posts-in-flight', '16'));
/** how those POSTs are sent: kept-alive node:http (`http`) or straight onto sockets (`raw`) */
const bigPostsClient = arg('big-posts-client', 'http') as 'http' | 'raw';
if (bigPostsClient !== 'http' && bigPostsClient !== 'raw') throw new Error('--big-posts-client is http or raw');

const log = (line: string) => process.stderr.write(`[scale] ${line}\n`);

async function main() {
  const corpus = [...readCorpus(join(evalData, 'scifact')), ...readCorpus(join(evalData, 'climate-fever'))];
  const questions = [
    ...readQueries(join(evalData, 'scifact')).values(),
    ...readQueries(join(evalData, 'climate-fever')).values(),
  ];
  log(`${cpus().length} cores; ${corpus.length} documents, ${questions.length} questions`);
  const results: Figures[] = await runTenants(tenantCounts, corpus, questions, {
    docsPerTenant,
    inFlight,
    warmup,
    duration,
    rounds,
    keep,
    log,
  });
  const [small, large] = [results[0], results[results.length - 1]];
  const ratios =
    results.length === 0
      ? null
      : {
          p50: large.p50 / small.p50,
          p95: large.p95 / small.p95,
          p99: large.p99 / small.p99,
          reqPerSecond: large.reqPerSecond / small.reqPerSecond,
        };

  let big: { oprag: BigFigures; fts5: Fts5Figures; ratios: Record<string, number> } | null = null;
  if (bigChunks > 0) {
    const docs = bigCorpus(evalData, bigChunks, log);
    const testSet = testQuestions(evalData);
    log(`big tenant: ${docs.length} documents, ${testSet.length} test questions`);
    const oprag = await runBig(docs, testSet, {
      warmup,
      duration,
      connections: bigConnections,
      connectionsDuration: bigDuration,
      posts: bigPosts,
      postsInFlight: bigPostsInFlight,
      postsClient: bigPostsClient,
      keep,
      log,
    });
    log('bare SQLite FTS5 over the same texts');
    const fts5 = fts5Baseline(docs, testSet);
    big = {
      oprag,
      fts5,
      ratios: {
        retrieveP50: oprag.retrieve1.p50 / fts5.search.p50,
        chatP50: oprag.chat1.p50 / fts5.search.p50,
        ingestDocsPerSecond: oprag.ingestDocsPerSecond / fts5.ingestDocsPerSecond,
      },
    };
  }

  if (asJson) {
    const report = { cores: cpus().length, inFlight, duration, warmup, rounds, results, ratios, bigTenant: big };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const f = (n: number, d = 0) => n.toFixed(d);
  if (ratios) {
    console.log(
      `chats to random projects, ${inFlight} in flight, ${duration} s measured a server in ${rounds} windows taken in turns, ${cpus().length} cores`,
    );
    console.log(
      '| tenants | create (s) | ingest (s) | chats | p50 / p95 / p99 (ms) | req/s | RSS / peak (MB) | open files | WAL (MB) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of results) {
      console.log(
        `| ${r.tenants} | ${f(r.createSeconds, 1)} | ${f(r.ingestSeconds, 1)} | ${r.chats} | ${f(r.p50, 1)} / ${f(r.p95, 1)} / ${f(r.p99, 1)} | ${f(r.reqPerSecond)} | ${f(r.rssMb)} / ${f(r.peakRssMb)} | ${r.openFiles} | ${f(r.walMb, 1)} |`,
      );
    }
    for (const r of results) {
      const kinds = Object.entries(r.openFileKinds).map(([k, n]) => `${k} ${n}`);
      console.log(`open files at the end, ${r.tenants} tenants: ${kinds.join(', ')}`);
    }
    console.log(
      `${large.tenants} vs ${small.tenants} tenants: p50 ${f(ratios.p50, 2)}×, p95 ${f(ratios.p95, 2)}×, p99 ${f(ratios.p99, 2)}×, req/s ${f(ratios.reqPerSecond, 2)}×`,
    );
  }
  if (!big) return;
  const { oprag, fts5 } = big;
  const row = (what: string, l: Latency) =>
    console.log(
      `| ${what} | ${l.count} | ${f(l.p50, 1)} / ${f(l.p95, 1)} / ${f(l.p99, 1)} | ${f(l.reqPerSecond)} | ${l.cpuCores === undefined ? '' : `${f(l.cpuCores, 2)} (main thread ${f(l.mainThreadCores ?? 0, 2)})`} |`,
    );
  console.log('');
  console.log(
    `one project: ${oprag.documents} documents (${oprag.failed} failed), ${oprag.chunks} chunks; ingest through the CLI's bulk path until ready ${f(oprag.ingestSeconds, 1)} s, ${f(oprag.ingestDocsPerSecond)} docs/s; RSS / peak ${f(oprag.rssMb)} / ${f(oprag.peakRssMb)} MB`,
  );
  if (oprag.posts) {
    const p = oprag.posts;
    console.log(
      `then ${p.documents} of its documents as single POSTs (${bigPostsInFlight} in flight) into a second project, until ready: ${f(p.seconds, 1)} s, ${f(p.docsPerSecond)} docs/s (${p.failed} failed)`,
    );
  }
  console.log(
    `${oprag.questions} SciFact and Climate-FEVER test questions; ${warmup} s warm-up, ${duration} s measured`,
  );
  console.log('| requests | count | p50 / p95 / p99 (ms) | req/s | server CPU (cores) |');
  console.log('| --- | --- | --- | --- | --- |');
  row('retrieve (top 10), every question once, 8 in flight (first use)', oprag.firstUse);
  row('retrieve (top 10), 1 in flight', oprag.retrieve1);
  row('retrieve (top 10), 8 in flight', oprag.retrieve8);
  row('chat, 1 in flight', oprag.chat1);
  row('chat, 8 in flight', oprag.chat8);
  row('bare SQLite FTS5 (top 10 by bm25), 1 at a time', fts5.search);
  const s = oprag.saturation;
  console.log(
    `chat, ${s.connections} connections, ${f(s.seconds, 1)} s measured (after ${f(s.rampSeconds, 1)} s of ramp-up): ${s.chats} chats, ${f(s.reqPerSecond)} req/s, p50 / p99 ${f(s.p50, 1)} / ${f(s.p99, 1)} ms, ${s.non2xx} non-2xx, ${s.errors} errors; server CPU ${f(s.cpuCores, 2)} cores (main thread ${f(s.mainThreadCores, 2)}; this process ${f(s.clientCpuCores, 2)}; load average ${f(s.loadAverage, 1)})`,
  );
  console.log(
    `bare SQLite FTS5 ingest (one transaction): ${f(fts5.ingestSeconds, 1)} s, ${f(fts5.ingestDocsPerSecond)} docs/s`,
  );
  console.log(
    `Oprag against bare FTS5: retrieve p50 ${f(big.ratios.retrieveP50, 1)}×, chat p50 ${f(big.ratios.chatP50, 1)}×, ingest docs/s ${f(big.ratios.ingestDocsPerSecond, 3)}×`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
