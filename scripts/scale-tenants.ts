/**
 * The many-tenant run of the scale bench (bench-scale.ts): a throwaway server with a fresh data
 * directory, `tenants` projects created through the API (timed), each given its share of the
 * corpus until none is queued or processing, then `inFlight` loops chatting with random projects,
 * each with its own key, for a warm-up and a measured window: latency quantiles, requests per
 * second, the server's memory, open files (highest seen and by kind) and `-wal` bytes.
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
  duration: number;
  /** keep the data directory */
  keep: boolean;
  log: (line: string) => void;
}

export async function runTenants(
  tenants: number,
  corpus: { _id: string; title?: string; text: string }[],
  questions: string[],
  { docsPerTenant, inFlight, warmup, duration, keep, log }: TenantsRun,
) {
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
