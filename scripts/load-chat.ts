/**
 * Chat under load, with ingestion running at the same time. Not a test: a measurement.
 *
 * Starts a throwaway local server in its own process (so the load generator never shares the
 * server's event loop), fills project A with the SciFact and Climate-FEVER corpora (≥ 10,000
 * chunks), then drives `POST /v1/chat` with A's key from `--connections` autocannon connections,
 * rotating over the SciFact test claims and off-topic questions that should be refused, while
 * another loop ingests SciFact abstracts into project B at a bounded rate.
 *
 * The run has two parts. Ramp-up: every connection is opened at once and the run waits until each
 * has had its first answer — a saturated single-threaded server accepts one new connection per
 * event-loop turn, so this takes a while and is reported on its own. Then the measured window of
 * `--duration` seconds, over which every chat and ingestion figure is taken (latencies: of the
 * requests both sent and answered in it). Prints a table (or JSON with `--json`) and exits
 * non-zero on any error, timeout or non-2xx, in either part.
 *
 *   npm run load -- [--duration 60] [--connections 64] [--ingest-rate 20] [--ingest-in-flight 32]
 *                   [--timeout 60] [--ramp-limit 120] [--eval-data ../shared/eval-data] [--json] [--keep]
 *                   [--cpu-prof <dir>]   (the server's CPU profile, written when it stops)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { option as arg, flag } from './args';
import { Api, createProject, liftRateLimits, listByStatus, type Project, waitUntilSettled } from './load-api';
import { loadQuestions, OFF_TOPIC } from './load-questions';
import { loadReport, table } from './load-report';
import { runLoad } from './load-run';
import { pool } from './pool';
import { memoryOf } from './process-probes';
import { startServerProcess, stopServerProcess } from './server-process';

const root = resolve(__dirname, '..');
const evalData = resolve(arg('eval-data', join(root, '../shared/eval-data')));
const duration = Number(arg('duration', '60'));
const connections = Number(arg('connections', '64'));
const ingestRate = Number(arg('ingest-rate', '20'));
const ingestInFlight = Number(arg('ingest-in-flight', '32'));
const cpuProfDir = arg('cpu-prof', '');
const timeoutSeconds = Number(arg('timeout', '60'));
const rampLimitSeconds = Number(arg('ramp-limit', '120'));
const setupConcurrency = Number(arg('setup-concurrency', '8'));
const asJson = flag('json');
const keep = flag('keep');
const MIN_CHUNKS = 10_000;

const log = (line: string) => process.stderr.write(`[load] ${line}\n`);

async function main() {
  const { scifact, climate, claims, questions } = loadQuestions(evalData);

  const dataDir = mkdtempSync(join(tmpdir(), 'oprag-load-'));
  const logFile = join(dataDir, 'server.log');
  log(`data directory ${dataDir}; server log ${logFile}`);
  const server = await startServerProcess(
    join(dataDir, 'data'),
    logFile,
    cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(cpuProfDir)] : [],
  );
  const pid = server.child.pid as number;
  log(`server pid ${pid} listening on ${server.url}`);

  let peakRss = 0;
  let sampling = false;
  const sampler = setInterval(() => {
    const m = memoryOf(pid);
    if (m && sampling) peakRss = Math.max(peakRss, m.rss);
  }, 200);

  let failed = false;
  try {
    const admin = new Api(server.url, server.adminKey, timeoutSeconds);

    // projects A and B, without per-minute limits
    const a = await createProject(admin, 'load A (chat)');
    const b = await createProject(admin, 'load B (ingest)');
    const liftedA = await liftRateLimits(admin, a);
    const liftedB = await liftRateLimits(admin, b);
    const limitsNote =
      liftedA || liftedB
        ? `default per-minute limits (A: ${liftedA ?? 'none'}; B: ${liftedB ?? 'none'}) lifted to null for the run`
        : 'no per-minute limits by default; none set';
    log(limitsNote);

    // A: both corpora, until every document is ready
    const apiA = new Api(server.url, a.key, timeoutSeconds);
    const corpusA = [
      ...scifact.map((d) => ({ ...d, _id: `scifact:${d._id}` })),
      ...climate.map((d) => ({ ...d, _id: `climate-fever:${d._id}` })),
    ];
    log(`ingesting ${corpusA.length} documents into A (${setupConcurrency} in flight)`);
    const t0 = performance.now();
    await pool(corpusA, setupConcurrency, async (d) => {
      await apiA.expect(202, 'POST', '/v1/documents', { title: d.title, text: d.text, external_id: d._id });
    });
    if (!(await waitUntilSettled(admin, a.id, 30 * 60_000))) throw new Error('project A did not finish ingesting');
    const setupSeconds = (performance.now() - t0) / 1000;
    const failedA = (await listByStatus(admin, a.id, 'failed')).length;
    const readyA = (await listByStatus(admin, a.id, 'ready')).length;
    const statsA = (await admin.expect<{ project: Project }>(200, 'GET', `/v1/projects/${a.id}`)).project.stats;
    log(
      `A: ${readyA} ready, ${failedA} failed, ${statsA?.chunks} chunks, in ${setupSeconds.toFixed(0)} s (${(corpusA.length / setupSeconds).toFixed(0)} docs/s)`,
    );
    if (!statsA || statsA.chunks < MIN_CHUNKS)
      throw new Error(`A holds ${statsA?.chunks} chunks, fewer than ${MIN_CHUNKS}`);
    if (failedA > 0) throw new Error(`${failedA} documents of A failed`);

    // one answer first, so a broken setup says so plainly instead of as a wall of non-2xx
    await apiA.expect(200, 'POST', '/v1/chat', { question: claims[0] });

    // the run: chat on A from autocannon, ingestion into B from a loop in this process
    sampling = true;
    const run = await runLoad({
      server: { url: server.url, pid },
      chatKey: a.key,
      ingest: new Api(server.url, b.key, timeoutSeconds),
      questions,
      ingestDocs: scifact,
      connections,
      duration,
      rampLimitSeconds,
      timeoutSeconds,
      ingestRate,
      ingestInFlight,
      log,
    });
    sampling = false;

    log('waiting for B to finish ingesting');
    const tDrain = Date.now();
    const settledB = await waitUntilSettled(admin, b.id, 10 * 60_000);
    const drainSeconds = (Date.now() - tDrain) / 1000;
    const readyB = await listByStatus(admin, b.id, 'ready');
    const failedB = (await listByStatus(admin, b.id, 'failed')).length;
    const chunksB = (await admin.expect<{ project: Project }>(200, 'GET', `/v1/projects/${b.id}`)).project.stats
      ?.chunks;
    const hwm = memoryOf(pid)?.hwm ?? 0;

    const { report, failed: runFailed } = loadReport({
      run,
      readyA,
      chunksA: statsA.chunks,
      setupSeconds,
      claims: claims.length,
      offTopic: OFF_TOPIC.length,
      limitsNote,
      settledB,
      drainSeconds,
      readyB,
      failedB,
      chunksB,
      peakRss,
      hwm,
      connections,
      timeoutSeconds,
      ingestRate,
      ingestInFlight,
    });
    failed = runFailed;

    if (asJson) process.stdout.write(`${JSON.stringify({ ...report, ok: !failed }, null, 2)}\n`);
    else process.stdout.write(table(report, failed));
  } catch (e) {
    failed = true;
    log(`${(e as Error).stack}`);
  } finally {
    clearInterval(sampler);
    await stopServerProcess(server.child);
    server.out.end();
    if (failed) {
      const lines = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n') : [];
      log(`last lines of the server log (${logFile}):\n${lines.slice(-30).join('\n')}`);
    }
    if (keep || failed) log(`kept ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
