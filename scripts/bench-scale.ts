/**
 * Many tenants, then one big tenant, on one machine. Not a test: a measurement.
 *
 * For each tenant count (100 and 1,000 by default) a throwaway local server in its own process,
 * with a fresh data directory: `--tenants` projects are created through the API (timed), each
 * gets `--docs` documents of SciFact and Climate-FEVER (read from ../shared/eval-data, never
 * copied), then `--in-flight` loops send `POST /v1/chat` to random projects with each project's
 * own key, once the server is idle again, for `--warmup` seconds (not counted) and `--duration`
 * seconds (measured). Reports the chat latency p50/p95/p99, requests per second, the server's
 * RSS and peak RSS, its open files (its /proc/<pid>/fd, the highest seen while measuring, and
 * by kind at the end), the bytes of `-wal` files in its data directory, and the ratios between
 * the largest and the smallest tenant count. `--tenants 0` leaves these runs out.
 *
 * Then the big tenant (skipped with `--no-big-tenant` or `--big-chunks 0`): another throwaway
 * server with ONE project of `--big-chunks` documents (100,000 by default; each at least one
 * chunk): the SciFact abstracts, the Climate-FEVER passages, each SciFact sentence of
 * corpus_sentences.jsonl on its own, each pair of adjacent sentences (and, only to reach the
 * count, each run of three). The project's per-minute limits and quotas are lifted; the
 * documents go through `POST /v1/projects/{id}/documents/batch` (500 to a request, 4 in flight),
 * timed until none is queued or processing (docs/s), and the project's chunk count is read back.
 * Once the server is idle: `POST /v1/retrieve` (top_k 10) with every question once, 8 in flight
 * (the first use of each word's candidate lists, timed on its own), then `POST /v1/retrieve` and
 * `POST /v1/chat` with the SciFact and Climate-FEVER test claims, 1 and 8 in flight, `--warmup` + `--duration` seconds each
 * (p50/p95/p99, req/s, the server's CPU in cores); then chat from `--big-connections` (64)
 * autocannon connections for `--big-duration` seconds, once every connection has had an answer:
 * req/s, p50/p99, and the server's CPU over the window from /proc/<pid>/stat (utime + stime, all
 * threads) in cores — 2.0 is both cores of a 2-core machine busy — and its main thread's share
 * (/proc/<pid>/task/<pid>/stat), beside this process's CPU and the load average.
 * The baseline, in this process: bare SQLite FTS5 (better-sqlite3, a temporary database,
 * `fts5(title, body, tokenize='porter unicode61')`) over the same documents' texts, inserted in
 * one transaction (docs/s), then the first 100 questions untimed and each question timed, one at a time, as
 * `SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT 10` with the words Oprag searches
 * for (no stop words) OR-joined as quoted phrases (p50/p95/p99). Ratios: retrieve p50 and chat p50 (1 in flight) against the FTS5
 * p50, ingest docs/s against the FTS5 docs/s.
 *
 *   npm run bench:scale -- [--tenants 100,1000] [--docs 30] [--in-flight 8] [--duration 20]
 *                          [--warmup 5] [--big-tenant | --no-big-tenant] [--big-chunks 100000]
 *                          [--big-duration 30] [--big-connections 64]
 *                          [--eval-data ../shared/eval-data] [--json] [--keep]
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { readCorpus, readJsonl, readQrels, readQueries } from '../lambdas/client/beir';
import { queryTerms } from '../lambdas/core/text';
import { option as arg, flag } from './args';
import { autocannon } from './autocannon';
import { startServerProcess, stopServerProcess } from './server-process';

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
const asJson = flag('json');
// one company holds every tenant here: lift the per-company project quota (50 by default) above them
process.env.OPRAG_MAX_PROJECTS_PER_COMPANY ??= String(Math.max(1, ...tenantCounts));
const keep = flag('keep');
const bigChunks = flag('no-big-tenant') ? 0 : Number(arg('big-chunks', '100000'));
const bigDuration = Number(arg('big-duration', '30'));
const bigConnections = Number(arg('big-connections', '64'));

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

/** The server's CPU time so far (ms, all threads), from /proc/<pid>/stat; of its main thread with `main`. */
function cpuMs(pid: number, main = false) {
  const file = main ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`;
  const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ');
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

// ---------------------------------------------------------------------------------------------
// One big tenant: a project of `--big-chunks` chunks, and bare SQLite FTS5 over the same texts.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface BigDoc {
  external_id: string;
  title: string;
  text: string;
}

/**
 * The big tenant's documents, `count` of them: the SciFact abstracts, the Climate-FEVER passages,
 * then each SciFact sentence on its own, then each pair of adjacent sentences (and, only when the
 * count asks for more than these, each run of three). Each is at least one chunk.
 */
function bigCorpus(count: number): BigDoc[] {
  const docs: BigDoc[] = [];
  for (const name of ['scifact', 'climate-fever']) {
    for (const d of readCorpus(join(evalData, name))) {
      if (d.text.trim()) docs.push({ external_id: `${name}:${d._id}`, title: d.title ?? '', text: d.text });
    }
  }
  const abstracts = readJsonl<{ _id: string; title?: string; sentences: string[] }>(
    join(evalData, 'scifact/corpus_sentences.jsonl'),
  ).map((a) => ({ ...a, sentences: a.sentences.filter((s) => s.trim()) }));
  for (let width = 1; docs.length < count && width <= 3; width++) {
    for (const a of abstracts) {
      for (let i = 0; i + width <= a.sentences.length; i++) {
        const text = a.sentences.slice(i, i + width).join(' ');
        // a section label on its own ("AIMS", "METHODS") is not a passage anyone searches for
        if (!/\p{Ll}/u.test(text)) continue;
        docs.push({ external_id: `scifact:${a._id}:${width}:${i}`, title: a.title ?? '', text });
      }
    }
  }
  if (docs.length < count) log(`only ${docs.length} documents to make; asked for ${count}`);
  return docs.slice(0, count);
}

/** SciFact test claims and Climate-FEVER test claims, interleaved so each stretch of a run sees both. */
function testQuestions() {
  const of = (name: string) => {
    const texts = readQueries(join(evalData, name));
    return [...readQrels(join(evalData, name), 'test').keys()]
      .map((id) => texts.get(id))
      .filter((q): q is string => Boolean(q));
  };
  const [a, b] = [of('scifact'), of('climate-fever')];
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]);
    if (i < b.length) out.push(b[i]);
  }
  return out;
}

interface Latency {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  reqPerSecond: number;
  /** the server's CPU time over the measured window, in cores (absent for FTS5, which runs in here) */
  cpuCores?: number;
  /** the same, of the server's main thread (its event loop) alone */
  mainThreadCores?: number;
}

function latency(values: number[], seconds: number): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    reqPerSecond: sorted.length / seconds,
  };
}

/**
 * `n` loops send `send(i)` with the next question index, `--warmup` seconds not counted, then
 * `--duration` seconds measured (only requests both sent and answered in the window count).
 */
async function loops(pid: number, n: number, send: (i: number) => Promise<void>): Promise<Latency> {
  const latencies: number[] = [];
  let measuring = false;
  let stop = false;
  let next = 0;
  const workers = Array.from({ length: n }, async () => {
    while (!stop) {
      const i = next++;
      const counted = measuring;
      const start = performance.now();
      await send(i);
      if (counted && measuring) latencies.push(performance.now() - start);
    }
  });
  await sleep(warmup * 1000);
  measuring = true;
  const m0 = performance.now();
  const [cpu0, main0] = [cpuMs(pid), cpuMs(pid, true)];
  await sleep(duration * 1000);
  measuring = false;
  const window = (performance.now() - m0) / 1000;
  const cpuCores = (cpuMs(pid) - cpu0) / 1000 / window;
  const mainThreadCores = (cpuMs(pid, true) - main0) / 1000 / window;
  stop = true;
  await Promise.all(workers);
  return { ...latency(latencies, window), cpuCores, mainThreadCores };
}

/** `send(i)` for every i below `count`, `n` at a time, every request timed. */
async function everyOnce(pid: number, n: number, send: (i: number) => Promise<void>, count: number): Promise<Latency> {
  const latencies: number[] = [];
  const m0 = performance.now();
  const [cpu0, main0] = [cpuMs(pid), cpuMs(pid, true)];
  await pool(
    Array.from({ length: count }, (_, i) => i),
    n,
    async (i) => {
      const start = performance.now();
      await send(i);
      latencies.push(performance.now() - start);
    },
  );
  const window = (performance.now() - m0) / 1000;
  return {
    ...latency(latencies, window),
    cpuCores: (cpuMs(pid) - cpu0) / 1000 / window,
    mainThreadCores: (cpuMs(pid, true) - main0) / 1000 / window,
  };
}

interface Saturation {
  connections: number;
  seconds: number;
  rampSeconds: number;
  chats: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
  reqPerSecond: number;
  /** the server's CPU time over the window, in cores (2 = both cores of a 2-core machine busy) */
  cpuCores: number;
  /** the same, of the server's main thread (its event loop) alone */
  mainThreadCores: number;
  /** this process's CPU time over the window (autocannon), in cores */
  clientCpuCores: number;
  /** the machine's 1-minute load average when the window ended */
  loadAverage: number;
}

/**
 * `POST /v1/chat` from `connections` autocannon connections. The window of `--big-duration`
 * seconds starts once every connection has had its first answer (at most after a minute): a
 * saturated server accepts new connections slowly, and that ramp-up is reported on its own.
 */
async function saturate(
  server: { url: string; pid: number },
  key: string,
  questions: string[],
  connections: number,
): Promise<Saturation> {
  let next = 0;
  const answers: { at: number; ms: number; status: number }[] = [];
  let errors = 0;
  const answered = new Set<object>();
  const rampStart = performance.now();
  const instance = autocannon({
    url: server.url,
    connections,
    duration: 60 + bigDuration + 10,
    timeout: 60,
    requests: [
      {
        method: 'POST',
        path: '/v1/chat',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ question: questions[next++ % questions.length] }) }),
      },
    ],
  });
  instance.on('reqError', () => errors++);
  const window = {
    start: Number.POSITIVE_INFINITY,
    end: Number.POSITIVE_INFINITY,
    cpu0: 0,
    cpu1: 0,
    main0: 0,
    main1: 0,
    self0: process.cpuUsage(),
    self1: process.cpuUsage(),
  };
  await new Promise<void>((done) => {
    const begin = () => {
      if (window.start !== Number.POSITIVE_INFINITY) return;
      window.start = performance.now();
      window.cpu0 = cpuMs(server.pid);
      window.main0 = cpuMs(server.pid, true);
      window.self0 = process.cpuUsage();
      setTimeout(() => {
        window.end = performance.now();
        window.cpu1 = cpuMs(server.pid);
        window.main1 = cpuMs(server.pid, true);
        window.self1 = process.cpuUsage(window.self0);
        instance.stop();
        done();
      }, bigDuration * 1000);
    };
    instance.on('response', (client, status, _bytes, ms) => {
      answers.push({ at: performance.now(), ms, status });
      answered.add(client);
      if (answered.size === connections) begin();
    });
    setTimeout(begin, 60_000);
  });
  await instance;
  const seconds = (window.end - window.start) / 1000;
  const inWindow = answers.filter((a) => a.at >= window.start && a.at <= window.end);
  const ok = inWindow.filter((a) => a.status >= 200 && a.status < 300);
  const figures = latency(
    ok.filter((a) => a.at - a.ms >= window.start).map((a) => a.ms),
    seconds,
  );
  return {
    connections,
    seconds,
    rampSeconds: (window.start - rampStart) / 1000,
    chats: ok.length,
    non2xx: inWindow.length - ok.length,
    errors,
    p50: figures.p50,
    p99: figures.p99,
    reqPerSecond: ok.length / seconds,
    cpuCores: (window.cpu1 - window.cpu0) / 1000 / seconds,
    mainThreadCores: (window.main1 - window.main0) / 1000 / seconds,
    clientCpuCores: (window.self1.user + window.self1.system) / 1e6 / seconds,
    loadAverage: loadavg()[0],
  };
}

interface BigFigures {
  documents: number;
  /** documents that ended `failed` (none expected) */
  failed: number;
  chunks: number;
  ingestSeconds: number;
  ingestDocsPerSecond: number;
  questions: number;
  /** every question once, 8 in flight: the first use of the candidate lists */
  firstUse: Latency;
  retrieve1: Latency;
  retrieve8: Latency;
  chat1: Latency;
  chat8: Latency;
  saturation: Saturation;
  rssMb: number;
  peakRssMb: number;
}

/** The documents of one batch request: at most 500, and at most 3 MB of text. */
function batches(docs: BigDoc[]) {
  const out: BigDoc[][] = [];
  let current: BigDoc[] = [];
  let bytes = 0;
  for (const d of docs) {
    const size = Buffer.byteLength(d.text) + Buffer.byteLength(d.title);
    if (current.length >= 500 || (current.length > 0 && bytes + size > 3 * 2 ** 20)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(d);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** A throwaway server with one project of `docs`, ingested through the batch route, then measured. */
async function runBig(docs: BigDoc[], questions: string[]): Promise<BigFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oprag-scale-big-'));
  const server = await startServerProcess(dataDir, join(dataDir, 'server.log'));
  const pid = server.child.pid as number;
  try {
    const created = await call(server.url, server.adminKey, 'POST', '/v1/projects', { name: 'big tenant' }, 201);
    const project = created.project as { id: string };
    const key = (created.api_key as { key: string }).key;
    // one project holds every document: lift its per-minute limits and its quotas
    await call(server.url, server.adminKey, 'PATCH', `/v1/projects/${project.id}`, {
      limits: { chat_per_minute: null, ingest_per_minute: null, max_documents: null, max_bytes: null },
    });

    const t0 = performance.now();
    let sent = 0;
    await pool(batches(docs), 4, async (batch) => {
      const answer = await call(
        server.url,
        key,
        'POST',
        `/v1/projects/${project.id}/documents/batch`,
        { documents: batch },
        202,
      );
      const refused = (answer.documents as ({ document: unknown } | { error: unknown })[]).find((i) => 'error' in i);
      if (refused) throw new Error(`an item of a batch was refused: ${JSON.stringify(refused)}`);
      sent += batch.length;
      if (sent % 10_000 < batch.length) log(`big tenant: ${sent} of ${docs.length} documents sent`);
    });
    log(`big tenant: ${docs.length} documents accepted in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // then until none is queued or processing
    for (;;) {
      let unfinished = 0;
      for (const status of ['queued', 'processing']) {
        const page = await call(
          server.url,
          key,
          'GET',
          `/v1/projects/${project.id}/documents?status=${status}&limit=1`,
        );
        unfinished += (page.documents as unknown[]).length;
      }
      if (unfinished === 0) break;
      await sleep(500);
    }
    const ingestSeconds = (performance.now() - t0) / 1000;
    let failed = 0;
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page = await call(
        server.url,
        key,
        'GET',
        `/v1/projects/${project.id}/documents?status=failed&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      const failures = page.documents as { external_id: string; error: string }[];
      if (failed === 0 && failures.length > 0) log(`big tenant: failed, e.g. ${JSON.stringify(failures[0])}`);
      failed += failures.length;
      cursor = page.next_cursor as string | null;
    }
    const read = await call(server.url, server.adminKey, 'GET', `/v1/projects/${project.id}`);
    const stats = (read.project as { stats: { documents: number; chunks: number } }).stats;
    if (stats.documents !== docs.length) throw new Error(`big tenant: the project holds ${stats.documents} documents`);
    log(`big tenant: ${stats.documents} documents, ${stats.chunks} chunks ready in ${ingestSeconds.toFixed(1)} s`);
    await quiet(pid);

    const q = (i: number) => questions[i % questions.length];
    const retrieve = (i: number) =>
      call(server.url, key, 'POST', '/v1/retrieve', { query: q(i), top_k: 10 }).then(() => undefined);
    const chat = (i: number) => call(server.url, key, 'POST', '/v1/chat', { question: q(i) }).then(() => undefined);
    // each question once, 8 in flight: the first use of each word's candidate lists (built on
    // each read thread as its searches need them), reported on its own
    log('big tenant: retrieve, every question once (first use)');
    const firstUse = await everyOnce(pid, 8, retrieve, questions.length);
    log('big tenant: retrieve, 1 in flight');
    const retrieve1 = await loops(pid, 1, retrieve);
    log('big tenant: retrieve, 8 in flight');
    const retrieve8 = await loops(pid, 8, retrieve);
    log('big tenant: chat, 1 in flight');
    const chat1 = await loops(pid, 1, chat);
    log('big tenant: chat, 8 in flight');
    const chat8 = await loops(pid, 8, chat);
    log(`big tenant: chat, ${bigConnections} connections for ${bigDuration} s`);
    const saturation = await saturate({ url: server.url, pid }, key, questions, bigConnections);
    const resources = serverResources(pid);
    return {
      documents: docs.length,
      failed,
      chunks: stats.chunks,
      ingestSeconds,
      ingestDocsPerSecond: docs.length / ingestSeconds,
      questions: questions.length,
      firstUse,
      retrieve1,
      retrieve8,
      chat1,
      chat8,
      saturation,
      rssMb: resources.rssMb,
      peakRssMb: resources.peakRssMb,
    };
  } finally {
    await stopServerProcess(server.child);
    if (keep) log(`kept ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

interface Fts5Figures {
  ingestSeconds: number;
  ingestDocsPerSecond: number;
  search: Latency;
}

/**
 * An FTS5 query for a question: the words Oprag searches for (core/text.ts queryTerms: no stop
 * words), each a quoted phrase, OR-joined — the same query the project's own FTS5 index is given.
 */
const ftsQuery = (question: string) =>
  [...new Set(queryTerms(question).map((t) => t.token))].map((w) => `"${w.replace(/"/g, '""')}"`).join(' OR ');

/**
 * Bare SQLite FTS5 in this process over the same texts: inserted in one transaction (timed), then
 * the first 100 questions untimed, then each question timed, one at a time, top 10 by bm25.
 */
function fts5Baseline(docs: BigDoc[], questions: string[]): Fts5Figures {
  const dir = mkdtempSync(join(tmpdir(), 'oprag-scale-fts5-'));
  const db = new Database(join(dir, 'fts5.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.exec("CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='porter unicode61')");
    const insert = db.prepare('INSERT INTO t (title, body) VALUES (?, ?)');
    const t0 = performance.now();
    db.transaction(() => {
      for (const d of docs) insert.run(d.title, d.text);
    })();
    const ingestSeconds = (performance.now() - t0) / 1000;
    const search = db.prepare('SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT 10');
    const queries = questions.map(ftsQuery).filter(Boolean);
    for (const query of queries.slice(0, 100)) search.all(query);
    const latencies: number[] = [];
    const s0 = performance.now();
    for (const query of queries) {
      const start = performance.now();
      search.all(query);
      latencies.push(performance.now() - start);
    }
    const seconds = (performance.now() - s0) / 1000;
    return { ingestSeconds, ingestDocsPerSecond: docs.length / ingestSeconds, search: latency(latencies, seconds) };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
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
    const docs = bigCorpus(bigChunks);
    const testSet = testQuestions();
    log(`big tenant: ${docs.length} documents, ${testSet.length} test questions`);
    const oprag = await runBig(docs, testSet);
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
    const report = { cores: cpus().length, inFlight, duration, warmup, results, ratios, bigTenant: big };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const f = (n: number, d = 0) => n.toFixed(d);
  if (ratios) {
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
  if (!big) return;
  const { oprag, fts5 } = big;
  const row = (what: string, l: Latency) =>
    console.log(
      `| ${what} | ${l.count} | ${f(l.p50, 1)} / ${f(l.p95, 1)} / ${f(l.p99, 1)} | ${f(l.reqPerSecond)} | ${l.cpuCores === undefined ? '' : `${f(l.cpuCores, 2)} (main thread ${f(l.mainThreadCores ?? 0, 2)})`} |`,
    );
  console.log('');
  console.log(
    `one project: ${oprag.documents} documents (${oprag.failed} failed), ${oprag.chunks} chunks; ingest through the batch route until ready ${f(oprag.ingestSeconds, 1)} s, ${f(oprag.ingestDocsPerSecond)} docs/s; RSS / peak ${f(oprag.rssMb)} / ${f(oprag.peakRssMb)} MB`,
  );
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
