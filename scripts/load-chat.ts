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
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { readJsonl } from '../lambdas/client/beir';
import { option as arg, flag } from './args';
import { autocannon } from './autocannon';
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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Questions no scientific abstract or climate sentence answers: each should be refused. */
const OFF_TOPIC = [
  'How do I reset my password?',
  'What is your refund policy for annual plans?',
  'Can I export my invoices as PDF?',
  'How do I add a teammate to my workspace?',
  'Which payment methods do you accept?',
  'How do I cancel my subscription?',
  'Is there a mobile app for Android?',
  'How do I change the email address on my account?',
  'What are your support hours on weekends?',
  'Do you offer a discount for nonprofits?',
  'How do I connect the Slack integration?',
  'Where can I download last month’s receipt?',
  'What is the maximum file size for attachments?',
  'How do I enable single sign-on with Okta?',
  'Can I change my username after signing up?',
  'Who won the 1998 football world cup?',
  'What is a good recipe for banana bread?',
  'How do I configure a VPN on my router?',
  'What time does the Louvre open on Sundays?',
  'How many players are on a basketball team?',
  'What is the capital of Australia?',
  'How do I undo the last commit in git?',
  'Which keyboard shortcut takes a screenshot on a Mac?',
  'How long does shipping to Canada take?',
  'Can I pay by bank transfer in euros?',
  'How do I delete my account permanently?',
  'What does the premium plan include?',
  'How do I rotate my API key?',
  'Is my data stored in the EU?',
  'How do I print a shipping label?',
];

type Doc = { _id: string; title: string; text: string };

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const round1 = (x: number) => Math.round(x * 10) / 10;

async function pool<T>(items: T[], n: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/** Resident memory of a process, in bytes: now, and the kernel's high-water mark (0 when unknown). */
function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    try {
      const rss =
        Number(
          execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
            .toString()
            .trim(),
        ) * 1024;
      return { rss, hwm: 0 };
    } catch {
      return null;
    }
  }
}

/** CPU time a process has used, in seconds (Linux only; null elsewhere). */
function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return null;
  }
}

class Api {
  constructor(
    readonly baseUrl: string,
    readonly key: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: res.status, body: parsed as T };
  }

  async expect<T>(status: number, method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(method, path, body);
    if (res.status !== status) {
      throw new Error(`${method} ${path}: expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
    }
    return res.body;
  }
}

type Limits = Record<string, number | null>;
type Project = { id: string; limits: Limits; stats?: { documents: number; chunks: number; bytes: number } };

async function createProject(admin: Api, name: string) {
  const created = await admin.expect<{ project: Project; api_key: { key: string } }>(201, 'POST', '/v1/projects', {
    name,
  });
  return { id: created.project.id, key: created.api_key.key, limits: created.project.limits };
}

/** Lifts per-minute limits a project was created with, so the run measures throughput, not the limiter. */
async function liftRateLimits(admin: Api, project: { id: string; limits: Limits }): Promise<string | null> {
  const set = Object.entries(project.limits).filter(([k, v]) => k.endsWith('_per_minute') && v !== null);
  if (set.length === 0) return null;
  const patched = await admin.expect<{ project: Project }>(200, 'PATCH', `/v1/projects/${project.id}`, {
    limits: { chat_per_minute: null, ingest_per_minute: null },
  });
  if (patched.project.limits.chat_per_minute !== null || patched.project.limits.ingest_per_minute !== null) {
    throw new Error(`could not lift the limits of ${project.id}: ${JSON.stringify(patched.project.limits)}`);
  }
  return set.map(([k, v]) => `${k}=${v}`).join(', ');
}

/** A project's documents with a status, by paging through the list (up to `atMost`). */
async function listByStatus(admin: Api, projectId: string, status: string, atMost = Number.POSITIVE_INFINITY) {
  const docs: { id: string; updated_at: string }[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `?status=${status}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await admin.expect<{ documents: { id: string; updated_at: string }[]; next_cursor: string | null }>(
      200,
      'GET',
      `/v1/projects/${projectId}/documents${q}`,
    );
    docs.push(...page.documents);
    cursor = page.next_cursor;
  } while (cursor && docs.length < atMost);
  return docs;
}

/** Waits until none of the project's documents is queued or processing; false on timeout. */
async function waitUntilSettled(admin: Api, projectId: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const queued = await listByStatus(admin, projectId, 'queued', 1);
    const processing = await listByStatus(admin, projectId, 'processing', 1);
    if (queued.length + processing.length === 0) return true;
    await sleep(500);
  }
  return false;
}

interface IngestPost {
  /** when the answer came, ms since the epoch */
  at: number;
  ms: number;
  status: number | 'error';
}

/** Ingests documents at `rate` a second, at most `inFlight` at once, until `until.at` (epoch ms). */
async function ingestStream(api: Api, docs: Doc[], rate: number, inFlight: number, until: { at: number }) {
  const posts: IngestPost[] = [];
  const running = new Set<Promise<void>>();
  let due = Date.now();
  let logged = 0;
  for (let i = 0; Date.now() < until.at; i++) {
    const wait = due - Date.now();
    if (wait > 0) await sleep(Math.min(wait, Math.max(0, until.at - Date.now())));
    if (Date.now() >= until.at) break;
    while (running.size >= inFlight) await Promise.race(running);
    // a slot missed while the server was slow is skipped, not made up with a burst
    due = Math.max(due + 1000 / rate, Date.now());
    const d = docs[i % docs.length];
    const round = Math.floor(i / docs.length);
    const t = performance.now();
    const p = api
      .call('POST', '/v1/documents', {
        title: d.title,
        text: d.text,
        external_id: round === 0 ? d._id : `${d._id}#${round}`,
      })
      .then(
        (res) => {
          posts.push({ at: Date.now(), ms: performance.now() - t, status: res.status });
          if ((res.status < 200 || res.status > 299) && logged++ < 5)
            log(`ingest into B: ${res.status} ${JSON.stringify(res.body)}`);
        },
        (e: Error) => {
          posts.push({ at: Date.now(), ms: performance.now() - t, status: 'error' });
          if (logged++ < 5) log(`ingest into B failed: ${e.message}`);
        },
      )
      .finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
  return posts;
}

interface ChatResponse {
  /** when the answer came, ms since the epoch */
  at: number;
  ms: number;
  status: number;
}

async function main() {
  const scifact = readJsonl<Doc>(join(evalData, 'scifact/corpus.jsonl'));
  const climate = readJsonl<Doc>(join(evalData, 'climate-fever/corpus.jsonl'));
  const queryText = new Map(
    readJsonl<{ _id: string; text: string }>(join(evalData, 'scifact/queries.jsonl')).map((q) => [q._id, q.text]),
  );
  const testIds = new Set(
    readFileSync(join(evalData, 'scifact/qrels/test.tsv'), 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t')[0])
      .filter(Boolean),
  );
  const claims = [...testIds].map((id) => queryText.get(id)).filter((q): q is string => Boolean(q));
  // claims and off-topic questions interleaved, so each stretch of the run sees both
  const questions: { text: string; offTopic: boolean }[] = [];
  const every = Math.max(1, Math.round(claims.length / OFF_TOPIC.length));
  claims.forEach((text, i) => {
    questions.push({ text, offTopic: false });
    if (i % every === every - 1 && i / every < OFF_TOPIC.length)
      questions.push({ text: OFF_TOPIC[Math.floor(i / every)], offTopic: true });
  });

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
    const admin = new Api(server.url, server.adminKey);

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
    const apiA = new Api(server.url, a.key);
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
    let next = 0;
    let measuring = false;
    const outcome = { claim: { answered: 0, refused: 0 }, offTopic: { answered: 0, refused: 0 }, unparsed: 0 };
    const offTopicAnswered = new Set<string>();
    const chat: ChatResponse[] = [];
    const chatErrors: { at: number; message: string }[] = [];
    const answeredClients = new Set<object>();
    const hwmBefore = memoryOf(pid)?.hwm ?? 0;
    const selfBefore = process.cpuUsage();
    sampling = true;

    log(`ramp-up: opening ${connections} chat connections at once; ingestion into B at ${ingestRate} docs/s`);
    const rampStart = Date.now();
    const instance = autocannon({
      url: server.url,
      connections,
      duration: rampLimitSeconds + duration + 10,
      timeout: timeoutSeconds,
      requests: [
        {
          method: 'POST',
          path: '/v1/chat',
          headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' },
          setupRequest: (req, context) => {
            const q = questions[next++ % questions.length];
            context.offTopic = q.offTopic;
            context.question = q.text;
            return { ...req, body: JSON.stringify({ question: q.text }) };
          },
          onResponse: (status, body, context) => {
            if (status !== 200 || !measuring) return;
            const group = context.offTopic ? outcome.offTopic : outcome.claim;
            try {
              if ((JSON.parse(body) as { grounded: boolean }).grounded) {
                group.answered++;
                if (context.offTopic) offTopicAnswered.add(context.question as string);
              } else group.refused++;
            } catch {
              outcome.unparsed++;
            }
          },
        },
      ],
    });
    const window = { start: 0, end: Number.POSITIVE_INFINITY };
    const ingestUntil = { at: Number.POSITIVE_INFINITY };
    let cpuBefore: number | null = null;
    let cpuAfter: number | null = null;
    const windowDone = new Promise<void>((resolveWindow) => {
      const begin = () => {
        if (window.start) return;
        window.start = Date.now();
        window.end = window.start + duration * 1000;
        ingestUntil.at = window.end;
        measuring = true;
        cpuBefore = cpuSecondsOf(pid);
        log(
          `ramp-up done in ${((window.start - rampStart) / 1000).toFixed(1)} s (${answeredClients.size} of ${connections} connections answered); measuring for ${duration} s`,
        );
        setTimeout(() => {
          measuring = false;
          cpuAfter = cpuSecondsOf(pid);
          instance.stop();
          resolveWindow();
        }, duration * 1000);
      };
      instance.on('response', (client, status, _bytes, ms) => {
        chat.push({ at: Date.now(), ms, status });
        answeredClients.add(client);
        if (answeredClients.size === connections) begin();
      });
      setTimeout(begin, rampLimitSeconds * 1000);
    });
    instance.on('reqError', (e) => chatErrors.push({ at: Date.now(), message: e.message || String(e) }));
    const ingest = ingestStream(new Api(server.url, b.key), scifact, ingestRate, ingestInFlight, ingestUntil);
    const [, , posts] = await Promise.all([windowDone, instance, ingest]);
    sampling = false;
    const self = process.cpuUsage(selfBefore);
    const runSeconds = (Date.now() - rampStart) / 1000;
    const windowSeconds = (window.end - window.start) / 1000;

    if (offTopicAnswered.size > 0) {
      log(`off-topic questions answered instead of refused:\n  ${[...offTopicAnswered].join('\n  ')}`);
    }
    log('waiting for B to finish ingesting');
    const tDrain = Date.now();
    const settledB = await waitUntilSettled(admin, b.id, 10 * 60_000);
    const drainSeconds = (Date.now() - tDrain) / 1000;
    const readyB = await listByStatus(admin, b.id, 'ready');
    const failedB = (await listByStatus(admin, b.id, 'failed')).length;
    const chunksB = (await admin.expect<{ project: Project }>(200, 'GET', `/v1/projects/${b.id}`)).project.stats
      ?.chunks;
    const hwm = memoryOf(pid)?.hwm ?? 0;

    // the figures: the measured window, and the ramp-up before it
    const inWindow = (at: number) => at >= window.start && at <= window.end;
    const ok2xx = (s: number | 'error') => typeof s === 'number' && s >= 200 && s <= 299;
    // throughput counts the answers that came in the window; latencies, the requests also sent in it
    const measured = chat.filter((r) => inWindow(r.at));
    const ramp = chat.filter((r) => r.at < window.start);
    const sentInWindow = (r: { at: number; ms: number }) => inWindow(r.at) && r.at - r.ms >= window.start;
    const latencies = measured
      .filter(sentInWindow)
      .map((r) => r.ms)
      .sort((x, y) => x - y);
    const perSecond = new Array(Math.max(1, Math.floor(windowSeconds))).fill(0) as number[];
    for (const r of measured) {
      const s = Math.floor((r.at - window.start) / 1000);
      if (s < perSecond.length) perSecond[s]++;
    }
    const statusCounts = (rs: ChatResponse[]) => {
      const counts: Record<string, number> = {};
      for (const r of rs) counts[r.status] = (counts[r.status] ?? 0) + 1;
      return counts;
    };
    const errorsIn = (pick: (at: number) => boolean) => chatErrors.filter((e) => pick(e.at));
    const errorKinds = (es: { message: string }[]) => {
      const kinds: Record<string, number> = {};
      for (const e of es) kinds[e.message] = (kinds[e.message] ?? 0) + 1;
      return kinds;
    };
    const windowErrors = errorsIn(inWindow);
    const rampErrors = errorsIn((at) => at < window.start);
    const share = (n: number, of: number) => (of ? `${((100 * n) / of).toFixed(1)} %` : 'n/a');
    const answered = outcome.claim.answered + outcome.offTopic.answered;
    const refused = outcome.claim.refused + outcome.offTopic.refused;
    const postsInWindow = posts.filter((p) => inWindow(p.at));
    const acceptedInWindow = postsInWindow.filter((p) => ok2xx(p.status)).length;
    const readyInWindow = readyB.filter((d) => inWindow(Date.parse(d.updated_at))).length;
    const readyByWindowEnd = readyB.filter((d) => Date.parse(d.updated_at) <= window.end).length;
    const postMs = postsInWindow
      .filter(sentInWindow)
      .map((p) => p.ms)
      .sort((x, y) => x - y);
    const allNon2xx = chat.filter((r) => !ok2xx(r.status)).length;
    const ingestNon2xx = posts.filter((p) => typeof p.status === 'number' && !ok2xx(p.status)).length;
    const ingestErrors = posts.filter((p) => p.status === 'error').length;

    const report = {
      machine: `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      setup: {
        project_a_documents: readyA,
        project_a_chunks: statsA.chunks,
        project_a_ingest_seconds: Math.round(setupSeconds),
        connections,
        measured_window_s: round1(windowSeconds),
        client_timeout_s: timeoutSeconds,
        questions: `${claims.length} SciFact test claims + ${OFF_TOPIC.length} off-topic, rotating`,
        concurrent_ingest_into_b: `${ingestRate} docs/s target, ≤ ${ingestInFlight} in flight (SciFact abstracts, JSON)`,
        limits: limitsNote,
      },
      ramp_up: {
        seconds_until_every_connection_answered: round1((window.start - rampStart) / 1000),
        all_connections_answered: answeredClients.size >= connections,
        responses: ramp.length,
        latency_max_ms: round1(Math.max(0, ...ramp.map((r) => r.ms))),
        non_2xx: ramp.filter((r) => !ok2xx(r.status)).length,
        errors: rampErrors.length,
        error_kinds: errorKinds(rampErrors),
      },
      chat: {
        requests: measured.length,
        requests_per_s: round1(measured.length / windowSeconds),
        requests_per_s_slowest_second: Math.min(...perSecond),
        latency_ms: {
          p50: round1(percentile(latencies, 50)),
          p90: round1(percentile(latencies, 90)),
          p99: round1(percentile(latencies, 99)),
          max: round1(latencies[latencies.length - 1] ?? Number.NaN),
        },
        status_codes: statusCounts(measured),
        non_2xx: measured.filter((r) => !ok2xx(r.status)).length,
        errors: windowErrors.length,
        timeouts: windowErrors.filter((e) => /timed out/i.test(e.message)).length,
        error_kinds: errorKinds(windowErrors),
        answered,
        refused,
        answered_share: share(answered, answered + refused),
        claims_answered: `${outcome.claim.answered} of ${outcome.claim.answered + outcome.claim.refused}`,
        off_topic_refused: `${outcome.offTopic.refused} of ${outcome.offTopic.answered + outcome.offTopic.refused}`,
        unparsed_bodies: outcome.unparsed,
      },
      ingest_b: {
        posts_accepted_in_window: acceptedInWindow,
        accepted_per_s: round1(acceptedInWindow / windowSeconds),
        ready_in_window: readyInWindow,
        ready_per_s: round1(readyInWindow / windowSeconds),
        post_latency_ms: { p50: round1(percentile(postMs, 50)), p99: round1(percentile(postMs, 99)) },
        posts_whole_run: posts.length,
        non_2xx: ingestNon2xx,
        errors: ingestErrors,
        ready_when_window_ended: readyByWindowEnd,
        final_ready: readyB.length,
        final_failed: failedB,
        final_chunks: chunksB,
        drained_after_window_s: settledB ? round1(drainSeconds) : `not within ${Math.round(drainSeconds)} s`,
      },
      server: {
        peak_rss_mb_under_load: Math.round(peakRss / 2 ** 20),
        peak_rss_mb_whole_life: hwm ? Math.round(hwm / 2 ** 20) : null,
        peak_rss_mb_before_load: hwmBefore ? Math.round(hwmBefore / 2 ** 20) : null,
        cpu_in_window:
          cpuBefore !== null && cpuAfter !== null
            ? `${Math.round((100 * ((cpuAfter as number) - (cpuBefore as number))) / windowSeconds)} % of one core`
            : null,
      },
      load_generator_cpu: `${Math.round((100 * (self.user + self.system)) / 1e6 / runSeconds)} % of one core`,
    };

    failed = chatErrors.length > 0 || allNon2xx > 0 || ingestErrors > 0 || ingestNon2xx > 0 || !settledB || failedB > 0;

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

/** The report as two columns: a dotted name and its value. */
function table(report: Record<string, unknown>, failed: boolean): string {
  const rows: [string, string][] = [];
  const walk = (prefix: string, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
    } else rows.push([prefix, typeof value === 'object' ? JSON.stringify(value) : String(value)]);
  };
  walk('', report);
  rows.push(['result', failed ? 'FAIL: errors, timeouts or non-2xx responses' : 'PASS: no errors, no non-2xx']);
  const w = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')}\n`;
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
