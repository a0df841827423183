/**
 * The many-tenant runs of the scale bench (bench-scale.ts): for each tenant count a throwaway
 * server with a fresh data directory, `tenants` projects created through the API (timed), each
 * given its share of the corpus until none is queued or processing. Then `inFlight` loops chat
 * with random projects, each with its own key: a warm-up per server, then the measured time cut
 * into `rounds` windows, the servers taking turns window by window (one chatted with, the others
 * idle), so that a machine whose speed drifts during the run slows every server alike and the
 * ratios between them hold. Each window starts with a second not counted (its connections
 * opened again). Per server: latency quantiles, requests per second, its memory, open files
 * (highest seen and by kind) and `-wal` bytes, read once its last window ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quantile } from './latency';
import { pool } from './pool';
import { openFileKinds, quiet, serverResources, walBytes } from './process-probes';
import { call, startServerProcess, stopServerProcess } from './server-process';

export interface Figures {
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

export interface TenantsRun {
  docsPerTenant: number;
  inFlight: number;
  warmup: number;
  /** seconds measured per server, over every window */
  duration: number;
  /** windows per server, taken in turns with the other servers' */
  rounds: number;
  /** keep the data directories */
  keep: boolean;
  log: (line: string) => void;
}

type Corpus = { _id: string; title?: string; text: string }[];

interface Prepared {
  tenants: number;
  dataDir: string;
  server: Awaited<ReturnType<typeof startServerProcess>>;
  pid: number;
  projects: { id: string; key: string }[];
  createSeconds: number;
  ingestSeconds: number;
  latencies: number[];
  measuredSeconds: number;
  openFiles: number;
  /** what is read of the server as its latest measured window ends */
  end?: ReturnType<typeof readEnd>;
}

/** The server's memory and open files, its open files by kind and its `-wal` bytes, now. */
function readEnd(t: Pick<Prepared, 'pid' | 'dataDir'>) {
  return { resources: serverResources(t.pid), walMb: walBytes(t.dataDir) / 2 ** 20, kinds: openFileKinds(t.pid) };
}

/** Every tenant count's server made and filled, then chatted with in turns; each server's figures. */
export async function runTenants(counts: number[], corpus: Corpus, questions: string[], run: TenantsRun) {
  const prepared: Prepared[] = [];
  try {
    for (const n of counts) prepared.push(await prepare(n, corpus, run));
    for (const t of prepared) await chat(t, questions, run.inFlight, run.warmup, false);
    const rounds = Math.max(1, run.rounds);
    for (let r = 0; r < rounds; r++) {
      for (const t of prepared) {
        await chat(t, questions, run.inFlight, 1, false); // connections opened again, not counted
        await chat(t, questions, run.inFlight, run.duration / rounds, true);
      }
    }
    return prepared.map(figures);
  } finally {
    for (const t of prepared) {
      await stopServerProcess(t.server.child);
      if (run.keep) run.log(`kept ${t.dataDir}`);
      else rmSync(t.dataDir, { recursive: true, force: true });
    }
  }
}

async function prepare(tenants: number, corpus: Corpus, { docsPerTenant, inFlight, log }: TenantsRun) {
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

    const t: Prepared = {
      tenants,
      dataDir,
      server,
      pid,
      projects,
      createSeconds,
      ingestSeconds,
      latencies: [],
      measuredSeconds: 0,
      openFiles: 0,
    };
    return t;
  } catch (e) {
    await stopServerProcess(server.child);
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

/** `inFlight` loops chatting with random projects of the server for `seconds`; counted into its figures when `counted`. */
async function chat(t: Prepared, questions: string[], inFlight: number, seconds: number, counted: boolean) {
  let stop = false;
  let measuring = counted;
  const sampler = setInterval(() => {
    if (measuring) t.openFiles = Math.max(t.openFiles, serverResources(t.pid).openFiles);
  }, 250);
  const loops = Array.from({ length: inFlight }, async () => {
    while (!stop) {
      const p = t.projects[Math.floor(Math.random() * t.projects.length)];
      const question = questions[Math.floor(Math.random() * questions.length)];
      const start = performance.now();
      const inWindow = measuring;
      await call(t.server.url, p.key, 'POST', '/v1/chat', { question });
      if (inWindow && measuring) t.latencies.push(performance.now() - start);
    }
  });
  const m0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  if (counted) {
    t.measuredSeconds += (performance.now() - m0) / 1000;
    t.end = readEnd(t);
  }
  stop = true;
  await Promise.all(loops);
  clearInterval(sampler);
}

function figures(t: Prepared): Figures {
  const end = t.end ?? {
    resources: serverResources(t.pid),
    walMb: walBytes(t.dataDir) / 2 ** 20,
    kinds: openFileKinds(t.pid),
  };
  const { resources } = end;
  const latencies = [...t.latencies].sort((a, b) => a - b);
  return {
    tenants: t.tenants,
    createSeconds: t.createSeconds,
    ingestSeconds: t.ingestSeconds,
    chats: latencies.length,
    p50: quantile(latencies, 0.5),
    p95: quantile(latencies, 0.95),
    p99: quantile(latencies, 0.99),
    reqPerSecond: latencies.length / t.measuredSeconds,
    rssMb: resources.rssMb,
    peakRssMb: resources.peakRssMb,
    openFiles: Math.max(t.openFiles, resources.openFiles),
    walMb: end.walMb,
    openFileKinds: end.kinds,
  };
}
