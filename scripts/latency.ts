/**
 * Latency figures of a server under load, for the measurement scripts: quantiles of a sorted
 * list, p50/p95/p99 and requests per second of a window, `n` loops sending for a warm-up and a
 * measured window, every request once with `n` in flight, and autocannon connections saturating
 * `POST /v1/chat` — each beside the server's CPU over the window (all threads and its main thread).
 */
import { loadavg } from 'node:os';
import { autocannon, measuredWindow } from './autocannon';
import { pool } from './pool';
import { cpuMs } from './process-probes';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The value at fraction `q` (0..1) of an ascending list. */
export const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

export interface Latency {
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

export function latency(values: number[], seconds: number): Latency {
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
 * `n` loops send `send(i)` with the next question index, `warmup` seconds not counted, then
 * `duration` seconds measured (only requests both sent and answered in the window count).
 */
export async function loops(
  pid: number,
  n: number,
  send: (i: number) => Promise<void>,
  { warmup, duration }: { warmup: number; duration: number },
): Promise<Latency> {
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
export async function everyOnce(
  pid: number,
  n: number,
  send: (i: number) => Promise<void>,
  count: number,
): Promise<Latency> {
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

export interface Saturation {
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
 * `POST /v1/chat` from `connections` autocannon connections. The window of `duration` seconds
 * starts once every connection has had its first answer (at most after a minute): a saturated
 * server accepts new connections slowly, and that ramp-up is reported on its own.
 */
export async function saturate(
  server: { url: string; pid: number },
  key: string,
  questions: string[],
  connections: number,
  duration: number,
): Promise<Saturation> {
  let next = 0;
  const answers: { at: number; ms: number; status: number }[] = [];
  let errors = 0;
  const rampStart = performance.now();
  const instance = autocannon({
    url: server.url,
    connections,
    duration: 60 + duration + 10,
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
  await measuredWindow(instance, {
    connections,
    durationS: duration,
    rampLimitS: 60,
    open: () => {
      window.start = performance.now();
      window.cpu0 = cpuMs(server.pid);
      window.main0 = cpuMs(server.pid, true);
      window.self0 = process.cpuUsage();
    },
    close: () => {
      window.end = performance.now();
      window.cpu1 = cpuMs(server.pid);
      window.main1 = cpuMs(server.pid, true);
      window.self1 = process.cpuUsage(window.self0);
    },
    answer: (status, ms) => answers.push({ at: performance.now(), ms, status }),
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
