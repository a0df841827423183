import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ApiClient } from '../../lambdas/client/api-client';
import { spawnServer } from '../helpers/cli';

/**
 * `oprag serve` killed with SIGKILL in the middle of a bulk ingest, then restarted on the same
 * data directory: every accepted document ends ready or failed, the index holds no orphan
 * chunks, and the recovered documents can be found.
 */

type Child = ReturnType<typeof spawnServer>;
interface DocRow {
  id: string;
  status: string;
  chunks: number;
}

const IN_FLIGHT = 16;
/** burst sizes, tried in turn until a kill catches documents unfinished */
const BURSTS = [400, 1200, 3000];
/** a sentence that pads the notes of later bursts (about 20 KB a note in the second, 40 KB in the third) */
const FILLER = ' Forklifts park along the north wall overnight.';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** spawnServer runs the server itself as the child process, so its pid is the one to kill. */
function serverPid(server: Child): number {
  return server.child.pid as number;
}

/** Documents of the project as the control database holds them (opened read-only). */
function documentRows(dataDir: string, projectId: string): DocRow[] {
  const db = new Database(join(dataDir, 'control.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT data FROM documents WHERE project_id = ?').all(projectId) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as DocRow);
  } finally {
    db.close();
  }
}

/** How many chunks the project's index holds per document id (opened read-only). */
function chunkCounts(dataDir: string, projectId: string): Map<string, number> {
  const db = new Database(join(dataDir, 'projects', `${projectId}.db`), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT document_id, count(*) AS n FROM chunks GROUP BY document_id').all() as {
      document_id: string;
      n: number;
    }[];
    return new Map(rows.map((r) => [r.document_id, r.n]));
  } finally {
    db.close();
  }
}

describe('a server killed (SIGKILL) during a bulk ingest', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'oprag-crash-'));
  const running: { server: Child; pid: number }[] = [];

  afterAll(async () => {
    for (const { server, pid } of running) {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGKILL');
        await server.exited;
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<{ server: Child; pid: number; url: string }> {
    const server = spawnServer(dataDir, { OPRAG_DATA_DIR: dataDir });
    const url = await server.ready;
    const pid = serverPid(server);
    running.push({ server, pid });
    return { server, pid, url };
  }

  it('recovers every accepted document: none stuck, no orphan chunks, all findable', async () => {
    let { server, pid, url } = await start();
    const adminKey = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    let admin = new ApiClient(url, adminKey);
    const created = await admin.post<{ project: { id: string } }>('/v1/projects', { name: 'crash drill' });
    expect(created.status).toBe(201);
    const projectId = created.body.project.id;
    const patched = await admin.request('PATCH', `/v1/projects/${projectId}`, {
      limits: { chat_per_minute: null, ingest_per_minute: null, max_documents: null, max_bytes: null },
    });
    expect(patched.status).toBe(200);

    /** document id → the distinctive word of its text, for every 202 the client received */
    const accepted = new Map<string, string>();
    let unfinishedAtKill = 0;
    let attempts = 0;

    for (const [attempt, size] of BURSTS.entries()) {
      attempts++;
      const client = admin;
      const victim = server;
      const victimPid = pid;
      let next = 0;
      let acceptedThisBurst = 0;
      let killed = false;
      const kill = () => {
        if (killed) return;
        killed = true;
        process.kill(victimPid, 'SIGKILL');
      };
      const worker = async () => {
        while (!killed && next < size) {
          const i = next++;
          const word = `crash${attempt}mark${i}q`;
          try {
            const res = await client.post<{ document: { id: string } }>(`/v1/projects/${projectId}/documents`, {
              title: `Drill note ${attempt}-${i}`,
              // a later burst sends longer notes, so that its queue falls behind even where the
              // server ingests as fast as the client sends (a busy machine slows the client most)
              text: `Drill note ${i} of burst ${attempt}. Its distinctive marker is ${word}. The loading dock closes at dusk on ${i % 7 === 0 ? 'holidays' : 'weekdays'}.${FILLER.repeat(attempt * 400)}`,
            });
            if (res.status === 202) {
              accepted.set(res.body.document.id, word);
              acceptedThisBurst++;
            } else if (!killed) {
              throw new Error(`ingest answered ${res.status}: ${JSON.stringify(res.body)}`);
            }
          } catch (e) {
            if (!killed) throw e; // after the kill, requests in flight fail with connection errors
          }
          // kill halfway through the burst, with requests still in flight and jobs still queued
          if (acceptedThisBurst >= size / 2) kill();
        }
      };
      const workers = Array.from({ length: IN_FLIGHT }, worker);
      const results = await Promise.allSettled(workers);
      kill(); // in case the burst ended before reaching the halfway mark
      await victim.exited; // tsx exits once the server it ran is gone
      for (const r of results) if (r.status === 'rejected') throw r.reason;
      expect(alive(victimPid)).toBe(false);

      unfinishedAtKill = documentRows(dataDir, projectId).filter(
        (d) => d.status === 'queued' || d.status === 'processing',
      ).length;
      ({ server, pid, url } = await start());
      admin = new ApiClient(url, adminKey);
      if (unfinishedAtKill > 0) break;
    }
    // the drill only means something if the kill left work unfinished
    console.log(`crash drill: ${unfinishedAtKill} documents unfinished at kill time (attempts: ${attempts})`);
    expect(unfinishedAtKill).toBeGreaterThan(0);
    expect(accepted.size).toBeGreaterThan(0);

    // the restarted server finishes the work the killed one left (bounded wait)
    const deadline = Date.now() + 60_000;
    const unfinishedViaApi = async () => {
      let n = 0;
      for (const status of ['queued', 'processing']) {
        const res = await admin.get<{ documents: unknown[] }>(
          `/v1/projects/${projectId}/documents?status=${status}&limit=1`,
        );
        expect(res.status).toBe(200);
        n += res.body.documents.length;
      }
      return n;
    };
    while ((await unfinishedViaApi()) > 0) {
      if (Date.now() > deadline) throw new Error('documents still queued or processing 60 s after the restart');
      await sleep(200);
    }

    // every accepted document is ready or failed, never stuck
    const readyIds: string[] = [];
    for (const id of accepted.keys()) {
      const res = await admin.get<{ document: DocRow }>(`/v1/projects/${projectId}/documents/${id}`);
      expect(res.status).toBe(200);
      expect(['ready', 'failed']).toContain(res.body.document.status);
      if (res.body.document.status === 'ready') readyIds.push(id);
    }
    expect(readyIds.length).toBeGreaterThan(0);

    // a sample of the ready documents is findable by its distinctive word
    const step = Math.max(1, Math.floor(readyIds.length / 20));
    for (let i = 0; i < readyIds.length; i += step) {
      const id = readyIds[i];
      const res = await admin.post<{ results: { document_id: string }[] }>(`/v1/projects/${projectId}/retrieve`, {
        query: accepted.get(id),
        top_k: 5,
      });
      expect(res.status).toBe(200);
      expect(res.body.results.map((r) => r.document_id)).toContain(id);
    }

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(alive(pid)).toBe(false);

    // the data on disk: no record left unfinished, no orphan chunks, chunk counts that match
    const docs = new Map(documentRows(dataDir, projectId).map((d) => [d.id, d]));
    for (const id of accepted.keys()) expect(docs.has(id)).toBe(true);
    for (const d of docs.values()) expect(['ready', 'failed']).toContain(d.status);
    const counts = chunkCounts(dataDir, projectId);
    const orphans = [...counts.keys()].filter((id) => !docs.has(id));
    expect(orphans).toEqual([]);
    for (const d of docs.values()) {
      const held = counts.get(d.id) ?? 0;
      if (d.status === 'ready') {
        expect(d.chunks).toBeGreaterThan(0);
        expect({ id: d.id, chunks: held }).toEqual({ id: d.id, chunks: d.chunks });
      } else {
        expect({ id: d.id, chunks: held }).toEqual({ id: d.id, chunks: 0 });
      }
    }
  }, 120_000);
});
