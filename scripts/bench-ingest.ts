/**
 * Ingest throughput of the embedded default, end to end: from the first byte sent to the last
 * document `ready`. Not a test: a measurement.
 *
 * Starts a throwaway local server in its own Node process (`bin/oprag.ts serve`, `PORT=0`, a
 * temporary data directory), so client and server each have their own event loop, as they do
 * when `oprag ingest` runs against a server. Two runs, each into a fresh project with the
 * default per-project limits left as they are:
 *
 * - `cli`: the SciFact abstracts as one `.txt` file each (title on the first line) in a temporary
 *   folder outside the repository, sent by `bulkIngest` — the code behind `oprag ingest`, text
 *   files in batch requests, each answered once processed — with its own end-to-end timing (walk,
 *   list, send, wait until every document is ready or failed), `--cli-concurrency` requests in
 *   flight: by default the CLI's own default (4), as `oprag ingest` runs without options (16, the
 *   `--concurrency` of the other runs, before 2026-12-03 late).
 * - `cli-single`: the same, each file in a request of its own (`--batch-size 0`).
 * - `batch`: the abstracts as JSON `POST /v1/projects/{id}/documents/batch`, 250 to a request,
 *   `--concurrency` requests in flight, then polling as `post` does.
 * - `post`: the same abstracts as JSON `POST /v1/projects/{id}/documents` ({title, text,
 *   external_id}), `--concurrency` in flight, then polling until no document is queued or
 *   processing.
 *
 * Reports docs/s for each, the server's CPU seconds and peak RSS (the kernel's high-water mark)
 * and the client's peak RSS; checks every document ended `ready` and exits non-zero otherwise.
 * Once the server has stopped, it reports the data directory's size (the bytes of its files, and
 * those of the blob store `blobs/`, the project indexes `projects/` and `control.db` on their own)
 * against the text ingested (every run's corpus).
 *
 *   npm run bench:ingest -- [--dataset ../shared/eval-data/scifact] [--runs cli,cli-single,batch,post]
 *                           [--concurrency 16] [--cli-concurrency <n>] [--client http|fetch] [--json] [--cpu-prof <dir>] [--keep]
 *                           [--node-flags "<flags for the server's Node>"] [--warmup <n>]
 *
 * `--warmup <n>` first sends the first n abstracts once through each of the runs, into projects
 * of their own, and then measures: the figures of a server whose code is compiled and warm, as
 * one that has been up a while, rather than of a process just started. The disk figures count
 * the warm-up's text too.
 *
 * The `post` and `batch` runs send over kept-alive node:http connections (`bulk-ingest-http.ts`,
 * as `oprag ingest` does): the client shares the server's two cores, and a lean one leaves the
 * server the CPU a remote client would. `--client fetch` sends with fetch, as the figures
 * measured before 2026-12-03 did.
 *
 * `--keep` leaves the temporary folder (data directory, server log) in place and prints where.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { bulkIngest } from '../lambdas/client/bulk-ingest';
import { option as arg, flag } from './args';
import { bytesBelow, bytesOf, type Doc, sender } from './bench-ingest-client';
import { pool } from './pool';
import { cpuMs, memoryOf, threadCpuMs } from './process-probes';
import { startServerProcess, stopServerProcess } from './server-process';

const root = resolve(__dirname, '..');
const dataset = resolve(arg('dataset', join(root, '../shared/eval-data/scifact')));
const runs = arg('runs', 'cli,post').split(',');
const BATCH = 250;
const concurrency = Number(arg('concurrency', '16'));
/** requests in flight for the `cli` runs; unset: the CLI's own default */
const cliConcurrency = arg('cli-concurrency', '') ? Number(arg('cli-concurrency', '')) : undefined;
const cpuProfDir = arg('cpu-prof', '');
/** flags for the server's Node, space-separated (e.g. `--node-flags "--max-semi-space-size=16"`) */
const nodeFlags = arg('node-flags', '').split(' ').filter(Boolean);
const asJson = flag('json');
/** abstracts sent once through each run first, into projects of their own, before measuring (0: none) */
const warmup = Number(arg('warmup', '0'));
/**
 * how the `post` and `batch` runs send: kept-alive node:http (`http`), HTTP/1.1 straight onto
 * kept-alive sockets (`raw`), or fetch (`fetch`, the figures before 2026-12-03)
 */
const client = arg('client', 'http');
if (!['http', 'raw', 'fetch'].includes(client)) throw new Error('--client is http, raw or fetch');
const keep = flag('keep');

const log = (line: string) => process.stderr.write(`[bench-ingest] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;

const { send, call, close: closeClient } = sender(client, concurrency);

async function main() {
  const corpus = readFileSync(join(dataset, 'corpus.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Doc);
  const work = mkdtempSync(join(tmpdir(), 'oprag-bench-ingest-'));
  const dataDir = join(work, 'data');
  const folder = join(work, 'docs');
  mkdirSync(folder);
  for (const d of corpus) writeFileSync(join(folder, `${d._id}.txt`), `${d.title}\n\n${d.text}\n`);
  const bytes = bytesOf(corpus);
  let warmedBytes = 0;

  const server = await startServerProcess(dataDir, join(work, 'server.log'), [
    ...nodeFlags,
    ...(cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(cpuProfDir)] : []),
  ]);
  let clientPeak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    clientPeak = Math.max(clientPeak, process.memoryUsage().rss);
  }, 100);
  const results: Record<string, unknown>[] = [];
  try {
    const newProject = async (name: string) => {
      const res = await call<{ project: { id: string; limits: unknown }; api_key: { key: string } }>(
        server.url,
        server.adminKey,
        'POST',
        '/v1/projects',
        { name },
      );
      if (res.status !== 201) throw new Error(`creating a project: ${res.status}`);
      return { id: res.body.project.id, key: res.body.api_key.key, limits: res.body.project.limits };
    };
    const stats = async (projectId: string) =>
      (
        await call<{ project: { stats: { documents: number; chunks: number } } }>(
          server.url,
          server.adminKey,
          'GET',
          `/v1/projects/${projectId}`,
        )
      ).body.project.stats;
    const countByStatus = async (projectId: string, key: string, status: string) => {
      let n = 0;
      for (let cursor: string | null = null, first = true; first || cursor; first = false) {
        const res: { body: { documents: unknown[]; next_cursor: string | null } } = await call(
          server.url,
          key,
          'GET',
          `/v1/projects/${projectId}/documents?status=${status}&limit=200${cursor ? `&cursor=${cursor}` : ''}`,
        );
        n += res.body.documents.length;
        cursor = res.body.next_cursor;
      }
      return n;
    };

    /** One run of `docs` (their files in `dir` for the CLI runs) into a fresh project; its figures. */
    const measure = async (run: string, docs: Doc[], dir: string, name: string) => {
      const project = await newProject(name);
      const cpu0 = cpuMs(server.child.pid as number) / 1000;
      const loop0 = cpuMs(server.child.pid as number, true) / 1000;
      const threads0 = threadCpuMs(server.child.pid as number);
      const client0 = process.cpuUsage();
      const load0 = loadavg()[0];
      let elapsed: number;
      let extra: Record<string, unknown> = {};
      if (run === 'cli' || run === 'cli-single') {
        const summary = await bulkIngest({
          baseUrl: server.url,
          key: project.key,
          project: project.id,
          inputs: [dir],
          concurrency: cliConcurrency,
          batchSize: run === 'cli' ? undefined : 0,
        });
        elapsed = summary.elapsed_s;
        if (summary.failed > 0 || summary.sent !== docs.length) {
          throw new Error(
            `cli: sent ${summary.sent}, failed ${summary.failed}: ${JSON.stringify(summary.failures[0])}`,
          );
        }
        extra = { sent: summary.sent, ready: summary.ready };
      } else if (run === 'post' || run === 'batch') {
        const t0 = performance.now();
        let rateLimited = 0;
        const post = async (path: string, body: unknown, what: string) => {
          for (;;) {
            const res = await send(server.url, project.key, 'POST', `/v1/projects/${project.id}${path}`, body);
            const answer = JSON.parse(res.text) as { documents?: ({ document: unknown } | { error: unknown })[] };
            if (res.status === 429) {
              rateLimited++;
              await sleep(Number(res.retryAfter ?? 1) * 1000);
              continue;
            }
            if (res.status !== 202) throw new Error(`POST ${what}: ${res.status}`);
            const refused = answer.documents?.find((i) => 'error' in i);
            if (refused) throw new Error(`POST ${what}: an item was refused: ${JSON.stringify(refused)}`);
            return;
          }
        };
        const doc = (d: Doc) => ({ title: d.title, text: d.text, external_id: d._id });
        if (run === 'post') await pool(docs, concurrency, (d) => post('/documents', doc(d), d._id));
        else {
          const batches = Array.from({ length: Math.ceil(docs.length / BATCH) }, (_, i) =>
            docs.slice(i * BATCH, (i + 1) * BATCH),
          );
          await pool(batches, concurrency, (b) => post('/documents/batch', { documents: b.map(doc) }, 'a batch'));
        }
        const acceptedS = (performance.now() - t0) / 1000;
        for (let delay = 20; ; delay = Math.min(delay * 1.5, 250)) {
          const unfinished =
            (await countByStatus(project.id, project.key, 'queued')) +
            (await countByStatus(project.id, project.key, 'processing'));
          if (unfinished === 0) break;
          await sleep(delay);
        }
        elapsed = (performance.now() - t0) / 1000;
        const failed = await countByStatus(project.id, project.key, 'failed');
        if (failed > 0) throw new Error(`post: ${failed} documents failed`);
        extra = { accepted_docs_per_s: round1(docs.length / acceptedS), rate_limited_429: rateLimited };
      } else {
        throw new Error(`unknown run ${run}; use cli, cli-single, batch and/or post`);
      }
      const threads = [...threadCpuMs(server.child.pid as number)]
        .map(([tid, ms]) => ({ tid, s: round2((ms - (threads0.get(tid) ?? 0)) / 1000) }))
        .filter((t) => t.s >= 0.05)
        .sort((a, b) => a.tid - b.tid);
      const s = await stats(project.id);
      if (s.documents !== docs.length) throw new Error(`${run}: the project holds ${s.documents} documents`);
      const result = {
        run,
        documents: docs.length,
        chunks: s.chunks,
        elapsed_s: round1(elapsed),
        docs_per_s: round1(docs.length / elapsed),
        mb_per_s: round1(bytesOf(docs) / 2 ** 20 / elapsed),
        server_cpu_s: round1(cpuMs(server.child.pid as number) / 1000 - cpu0),
        server_main_thread_cpu_s: round1(cpuMs(server.child.pid as number, true) / 1000 - loop0),
        client_cpu_s: round1(((u) => (u.user + u.system) / 1e6)(process.cpuUsage(client0))),
        load_average_before: round1(load0),
        ...extra,
        /** the server's CPU seconds by thread (id order: the main thread first), threads of 50 ms or more */
        server_threads_cpu_s: threads.map((t) => `${t.tid}:${t.s}`).join(' '),
      };
      return result;
    };

    if (warmup > 0) {
      // each kind of run once on the first abstracts, into projects of their own: the server's code
      // compiled and its caches filled, as in a server that has been up a while
      const docs = corpus.slice(0, warmup);
      const dir = join(work, 'warm-up');
      mkdirSync(dir);
      for (const d of docs) writeFileSync(join(dir, `${d._id}.txt`), `${d.title}\n\n${d.text}\n`);
      for (const run of runs) {
        const r = await measure(run, docs, dir, `bench warm-up ${run}`);
        warmedBytes += bytesOf(docs);
        log(`warm-up ${JSON.stringify(r)}`);
      }
    }
    for (const run of runs) {
      const result = await measure(run, corpus, folder, `bench ${run}`);
      results.push(result);
      log(JSON.stringify(result));
    }
    const report = {
      machine: `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      dataset: `${dataset.split('/').pop()} (${corpus.length} documents, ${round1(bytes / 2 ** 20)} MB)`,
      concurrency,
      client,
      warmup,
      runs: results,
      server_peak_rss_mb: Math.round((memoryOf(server.child.pid as number)?.hwm ?? 0) / 2 ** 20),
      client_peak_rss_mb: Math.round(clientPeak / 2 ** 20),
    };
    if (asJson) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      process.stdout.write(
        `${report.machine}\n${report.dataset}, ${concurrency} in flight (cli: ${cliConcurrency ?? 'the CLI default'}), client ${client}${warmup ? `, after a warm-up of ${warmup} documents a run` : ''}\n`,
      );
      for (const r of results) {
        process.stdout.write(
          `${String(r.run).padEnd(10)} ${String(r.docs_per_s).padStart(7)} docs/s end to end  (${r.elapsed_s} s, server CPU ${r.server_cpu_s} s of which main thread ${r.server_main_thread_cpu_s} s; client CPU ${r.client_cpu_s} s; load before ${r.load_average_before})\n`,
        );
      }
      process.stdout.write(
        `peak RSS: server ${report.server_peak_rss_mb} MB, client ${report.client_peak_rss_mb} MB\n`,
      );
    }
  } finally {
    clearInterval(sampler);
    closeClient();
    await stopServerProcess(server.child);
    if (results.length === runs.length) {
      const ingested = bytes * runs.length + warmedBytes;
      const data = bytesBelow(dataDir);
      const blobs = bytesBelow(join(dataDir, 'blobs'));
      const indexes = bytesBelow(join(dataDir, 'projects'));
      const disk = {
        ingested_mb: round1(ingested / 2 ** 20),
        data_dir_mb: round1(data / 2 ** 20),
        data_dir_per_ingested: round2(data / ingested),
        blobs_mb: round1(blobs / 2 ** 20),
        blobs_per_ingested: round2(blobs / ingested),
        project_indexes_mb: round1(indexes / 2 ** 20),
        project_indexes_per_ingested: round2(indexes / ingested),
        control_db_mb: round1(bytesBelow(join(dataDir, 'control.db')) / 2 ** 20),
      };
      if (asJson) process.stdout.write(`${JSON.stringify({ disk }, null, 2)}\n`);
      else {
        process.stdout.write(
          `disk once stopped: data directory ${disk.data_dir_mb} MB (${disk.data_dir_per_ingested}× the ${disk.ingested_mb} MB of text ingested), of which blobs ${disk.blobs_mb} MB (${disk.blobs_per_ingested}×), project indexes ${disk.project_indexes_mb} MB (${disk.project_indexes_per_ingested}×), control.db ${disk.control_db_mb} MB\n`,
        );
      }
    }
    if (keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
