/**
 * Many tenants on one machine. Not a test: a measurement.
 *
 * For each tenant count (100 and 1,000 by default) a throwaway local server in its own process,
 * with a fresh data directory: `--tenants` projects are created through the API (timed), each
 * gets `--docs` documents of SciFact and Climate-FEVER (read from ../shared/eval-data, never
 * copied), then `--in-flight` loops send `POST /v1/chat` to random projects with each project's
 * own key, once the server is idle again, for `--warmup` seconds (not counted) and `--duration`
 * seconds (measured). Reports the chat latency p50/p95/p99, requests per second, the server's
 * RSS and peak RSS, its open files (its /proc/<pid>/fd, the highest seen while measuring, and
 * by kind at the end), the bytes of `-wal` files in its data directory, and the ratios between
 * the largest and the smallest tenant count.
 *
 *   npm run bench:scale -- [--tenants 100,1000] [--docs 30] [--in-flight 8] [--duration 20]
 *                          [--warmup 5] [--eval-data ../shared/eval-data] [--json] [--keep]
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readCorpus, readQueries } from '../lambdas/client/beir';
import { option as arg, flag } from './args';
import { startServerProcess, stopServerProcess } from './server-process';

const root = resolve(__dirname, '..');
const evalData = resolve(arg('eval-data', join(root, '../shared/eval-data')));
const tenantCounts = arg('tenants', '100,1000').split(',').map(Number);
const docsPerTenant = Number(arg('docs', '30'));
const inFlight = Number(arg('in-flight', '8'));
const duration = Number(arg('duration', '20'));
const warmup = Number(arg('warmup', '5'));
const asJson = flag('json');
// one company holds every tenant here: lift the per-company project quota (50 by default) above them
process.env.OPRAG_MAX_PROJECTS_PER_COMPANY ??= String(Math.max(...tenantCounts));
const keep = flag('keep');

const log = (line: string) => process.stderr.write(`[scale] ${line}\n`);

/** Runs `work` over the items, `n` at a time. */
async function pool<T>(items: T[], n: number, work: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i], i);
      }
    }),
  );
}

async function call(url: string, key: string, method: string, path: string, body?: unknown, expect = 200) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${res.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** The server's memory (MB, now and at its peak) and open files, read from /proc. */
function serverResources(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024, openFiles: readdirSync(`/proc/${pid}/fd`).length };
}

/** The server's open files by kind: project databases, their logs and shared memory, sockets, the rest. */
function openFileKinds(pid: number) {
  const kinds: Record<string, number> = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target = '';
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const kind = /\/projects\/prj_[^/]*\.db(-wal|-shm)?$/.test(target)
      ? `project${/-(wal|shm)$/.exec(target)?.[0] ?? '.db'}`
      : /control\.db/.test(target)
        ? 'control'
        : (/^(socket|pipe|anon_inode)/.exec(target)?.[1] ?? 'other');
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

/** The server's CPU time so far (ms, all threads), from /proc/<pid>/stat. */
function cpuMs(pid: number) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}

/**
 * Waits until the server is idle (under 5 % of a core over two half seconds in a row, at most two
 * minutes): after the last document is ready, each project's index is still tidied in the
 * background, which would otherwise fall inside the measured window.
 */
async function quiet(pid: number) {
  let calm = 0;
  for (let i = 0; i < 240 && calm < 2; i++) {
    const before = cpuMs(pid);
    await new Promise((r) => setTimeout(r, 500));
    calm = cpuMs(pid) - before < 25 ? calm + 1 : 0;
  }
}

/** Bytes held by the `-wal` files of the project indexes. */
function walBytes(dataDir: string) {
  const dir = join(dataDir, 'projects');
  let total = 0;
  for (const f of readdirSync(dir))
    if (f.endsWith('-wal')) total += statSync(join(dir, f), { throwIfNoEntry: false })?.size ?? 0;
  return total;
}

interface Figures {
  tenants: number;
  createSeconds: number;
  ingestSeconds: number;
  chats: number;
  p50: number;
  p95: number;
  p99: number;
  reqPerSecond: number;
  rssMb: number;
  peakRssMb: number;
  openFiles: number;
  walMb: number;
  openFileKinds: Record<string, number>;
}

async function run(tenants: number, corpus: { _id: string; title?: string; text: string }[], questions: string[]) {
  const dataDir = mkdtempSync(join(tmpdir(), `oprag-scale-${tenants}-`));
  const server = await startServerProcess(dataDir, join(dataDir, 'server.log'));
  const pid = server.child.pid as number;
  try {
    const projects: { id: string; key: string }[] = new Array(tenants);
    let t0 = performance.now();
    await pool([...Array(tenants).keys()], inFlight, async (i) => {
      const body = await call(server.url, server.adminKey, 'POST', '/v1/projects', { name: `tenant ${i}` }, 201);
      const project = body.project as { id: string };
      projects[i] = { id: project.id, key: (body.api_key as { key: string }).key };
    });
    const createSeconds = (performance.now() - t0) / 1000;
    log(`${tenants} projects created in ${createSeconds.toFixed(1)} s`);

    t0 = performance.now();
    const uploads = projects.flatMap((p, i) =>
      Array.from({ length: docsPerTenant }, (_, j) => ({ p, d: corpus[(i * docsPerTenant + j) % corpus.length] })),
    );
    await pool(uploads, 32, async ({ p, d }) => {
      const text = d.title ? `${d.title}\n\n${d.text}` : d.text;
      await call(server.url, p.key, 'POST', '/v1/documents', { text, title: d.title || undefined }, 202);
    });
    // then until no project has a document queued or processing
    let waiting = projects;
    while (waiting.length > 0) {
      const still: typeof projects = [];
      await pool(waiting, inFlight, async (p) => {
        for (const status of ['queued', 'processing']) {
          const page = await call(server.url, p.key, 'GET', `/v1/documents?status=${status}&limit=1`);
          if ((page.documents as unknown[]).length > 0) return void still.push(p);
        }
      });
      if (still.length > 0) await new Promise((r) => setTimeout(r, 500));
      waiting = still;
    }
    const ingestSeconds = (performance.now() - t0) / 1000;
    log(`${uploads.length} documents ready in ${ingestSeconds.toFixed(1)} s`);
    await quiet(pid);

    // chats to random projects; only those sent and answered inside the measured window count
    const latencies: number[] = [];
    let openFiles = 0;
    let measuring = false;
    let stop = false;
    const sampler = setInterval(() => {
      if (measuring) openFiles = Math.max(openFiles, serverResources(pid).openFiles);
    }, 250);
    const loops = Array.from({ length: inFlight }, async () => {
      while (!stop) {
        const p = projects[Math.floor(Math.random() * projects.length)];
        const question = questions[Math.floor(Math.random() * questions.length)];
        const counted = measuring;
        const start = performance.now();
        await call(server.url, p.key, 'POST', '/v1/chat', { question });
        if (counted && measuring) latencies.push(performance.now() - start);
      }
    });
    await new Promise((r) => setTimeout(r, warmup * 1000));
    measuring = true;
    const m0 = performance.now();
    await new Promise((r) => setTimeout(r, duration * 1000));
    const resources = serverResources(pid);
    const wal = walBytes(dataDir);
    const kinds = openFileKinds(pid);
    measuring = false;
    const window = (performance.now() - m0) / 1000;
    stop = true;
    await Promise.all(loops);
    clearInterval(sampler);
    latencies.sort((a, b) => a - b);
    return {
      tenants,
      createSeconds,
      ingestSeconds,
      chats: latencies.length,
      p50: quantile(latencies, 0.5),
      p95: quantile(latencies, 0.95),
      p99: quantile(latencies, 0.99),
      reqPerSecond: latencies.length / window,
      rssMb: resources.rssMb,
      peakRssMb: resources.peakRssMb,
      openFiles: Math.max(openFiles, resources.openFiles),
      walMb: wal / 2 ** 20,
      openFileKinds: kinds,
    } satisfies Figures;
  } finally {
    await stopServerProcess(server.child);
    if (keep) log(`kept ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const corpus = [...readCorpus(join(evalData, 'scifact')), ...readCorpus(join(evalData, 'climate-fever'))];
  const questions = [
    ...readQueries(join(evalData, 'scifact')).values(),
    ...readQueries(join(evalData, 'climate-fever')).values(),
  ];
  log(`${cpus().length} cores; ${corpus.length} documents, ${questions.length} questions`);
  const results: Figures[] = [];
  for (const n of tenantCounts) results.push(await run(n, corpus, questions));
  const [small, large] = [results[0], results[results.length - 1]];
  const ratios = {
    p50: large.p50 / small.p50,
    p95: large.p95 / small.p95,
    p99: large.p99 / small.p99,
    reqPerSecond: large.reqPerSecond / small.reqPerSecond,
  };
  if (asJson) {
    process.stdout.write(`${JSON.stringify({ cores: cpus().length, inFlight, duration, results, ratios }, null, 2)}\n`);
    return;
  }
  const f = (n: number, d = 0) => n.toFixed(d);
  console.log(`chats to random projects, ${inFlight} in flight, ${duration} s measured, ${cpus().length} cores`);
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

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
