/**
 * The figures of the chat load run (load-chat.ts), from what load-run.ts saw: the ramp-up, the
 * measured window's chat throughput, latencies, status codes, errors, grounded and refused
 * answers, project B's ingestion and drain, the server's memory and CPU; whether the run failed
 * (any error, timeout or non-2xx); and the report as a two-column table.
 */
import { cpus, totalmem } from 'node:os';
import { quantile } from './latency';
import type { ChatResponse, runLoad } from './load-run';

/** The p-th percentile (0..100) of an ascending list; NaN when it is empty. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return quantile(sorted, p / 100);
}
const round1 = (x: number) => Math.round(x * 10) / 10;

export interface LoadReportInput {
  run: Awaited<ReturnType<typeof runLoad>>;
  /** project A once ingested */
  readyA: number;
  chunksA: number;
  setupSeconds: number;
  claims: number;
  offTopic: number;
  limitsNote: string;
  /** project B after the window */
  settledB: boolean;
  drainSeconds: number;
  readyB: { id: string; updated_at: string }[];
  failedB: number;
  chunksB: number | undefined;
  /** the server's peak RSS (bytes) sampled under load, and its high-water mark at the end */
  peakRss: number;
  hwm: number;
  connections: number;
  timeoutSeconds: number;
  ingestRate: number;
  ingestInFlight: number;
}

export function loadReport(input: LoadReportInput) {
  const { run, readyA, setupSeconds, limitsNote, settledB, drainSeconds, readyB, failedB, chunksB, hwm } = input;
  const { connections, timeoutSeconds, ingestRate, ingestInFlight, peakRss } = input;
  const { chat, chatErrors, posts, outcome, window, windowSeconds, rampStart, self, runSeconds, hwmBefore } = run;
  const { cpuBefore, cpuAfter } = run;
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
      project_a_chunks: input.chunksA,
      project_a_ingest_seconds: Math.round(setupSeconds),
      connections,
      measured_window_s: round1(windowSeconds),
      client_timeout_s: timeoutSeconds,
      questions: `${input.claims} SciFact test claims + ${input.offTopic} off-topic, rotating`,
      concurrent_ingest_into_b: `${ingestRate} docs/s target, ≤ ${ingestInFlight} in flight (SciFact abstracts, JSON)`,
      limits: limitsNote,
    },
    ramp_up: {
      seconds_until_every_connection_answered: round1((window.start - rampStart) / 1000),
      all_connections_answered: run.answeredClients >= connections,
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

  const failed =
    chatErrors.length > 0 || allNon2xx > 0 || ingestErrors > 0 || ingestNon2xx > 0 || !settledB || failedB > 0;
  return { report, failed };
}

/** The report as two columns: a dotted name and its value. */
export function table(report: Record<string, unknown>, failed: boolean): string {
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
