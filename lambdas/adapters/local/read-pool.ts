import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FeedbackParams } from '../../core/feedback';
import { isId } from '../../core/ids';
import type { RankingParams } from '../../core/rank';
import type { GeneratorInput, Logger, SearchRequest, SearchResult } from '../../ports';
import {
  READ_THREAD_ROLE,
  type ReadReply,
  type ReadRequest,
  type ReadResult,
  type ReadThreadData,
} from './read-worker';
import type { SharedList } from './sqlite-search-cache';

/**
 * How many read threads: `OPRAG_READ_THREADS` (a number; `0` keeps searches on the event loop),
 * else one per core. On a machine whose cores are busy with other work they cost more than they
 * give (docs/benchmarks.md, "Read threads").
 */
export function defaultReadThreads(env: NodeJS.ProcessEnv = process.env): number {
  const set = env.OPRAG_READ_THREADS?.trim();
  if (!set || set === 'cores') return Math.max(1, availableParallelism());
  if (!/^\d+$/.test(set))
    throw new Error(`OPRAG_READ_THREADS must be a whole number or "cores", not ${JSON.stringify(set)}`);
  return Number(set);
}

export interface ReadPoolOptions {
  /** the folder of the project files: the only place a read thread opens anything */
  dir: string;
  /** threads; at least 1 */
  threads: number;
  /** connections each thread keeps open @default 16 */
  maxOpen?: number;
  /** the thread's entry file @default read-worker.js beside this code when built, else read-worker.ts */
  entry?: string;
  logger?: Logger;
}

/** A request before the pool numbers it. */
type Unnumbered = ReadRequest extends infer R ? (R extends ReadRequest ? Omit<R, 'id'> : never) : never;

/** Queries whose thread is remembered (a few hundred bytes each). */
const REMEMBERED_QUERIES = 1024;

type Pending = { resolve: (r: ReadResult) => void; reject: (e: Error) => void };

interface Slot {
  worker: Worker | null;
  pending: Map<number, Pending>;
}

/** An error of a read thread, as the caller sees it: its name, message and SQLite code kept. */
class ReadError extends Error {
  constructor(e: { name: string; message: string; code?: string }) {
    super(e.message);
    this.name = e.name;
    if (e.code) Object.assign(this, { code: e.code });
  }
}

/**
 * Searches and extractive answers off the event loop, on every core: a few threads, each with its
 * own read-only connections to project files and its own memory of recent searches (SQLite's WAL
 * lets them read while a project's single writer writes). A request goes to the thread with the
 * least to do, a search preferring its project's own thread (its id hashed, so that a quiet
 * project's connection and counts stay warm on one thread) and the thread where the same query
 * last ran (see `search`); a busy project's searches spread over every thread, and the candidate
 * lists one thread makes are handed to the others (`share`). A thread that dies fails
 * only the requests it was serving, and the next request starts a fresh one in its place. Threads
 * start on first use and do not keep the process alive while idle.
 */
export class ReadPool {
  private readonly slots: Slot[];
  private readonly entry: string;
  /** the thread each recent query of a project ran on, least recently asked first */
  private readonly lastRan = new Map<string, number>();
  private nextId = 1;
  private closed = false;
  /** threads started so far, replacements included (tests watch replacements) */
  started = 0;
  /** lists made by one thread and handed to the others so far */
  listsShared = 0;

  constructor(private readonly opts: ReadPoolOptions) {
    this.slots = Array.from({ length: Math.max(1, opts.threads) }, () => ({ worker: null, pending: new Map() }));
    this.entry = opts.entry ?? defaultEntry();
  }

  get threads(): number {
    return this.slots.length;
  }

  /**
   * A search of the project's file (with `feedback`, the whole search with feedback, its steps on
   * the one thread); `generation` is the project's write generation. It goes where the same query
   * of the project last ran, while that is remembered (that thread's memory of recent searches
   * holds its candidates), else to the least busy thread, the project's own (its id hashed) when it
   * is among them.
   */
  search(
    projectId: string,
    generation: number,
    req: SearchRequest,
    ranking: RankingParams,
    feedback?: FeedbackParams,
  ): Promise<SearchResult> {
    const key = `${projectId}\n${JSON.stringify([req.terms.map((t) => t.token), req.filter ?? null])}`;
    let at = this.lastRan.get(key);
    this.lastRan.delete(key);
    if (at === undefined || this.slots[at].worker === null) at = this.leastBusy(this.home(projectId));
    this.lastRan.set(key, at);
    if (this.lastRan.size > REMEMBERED_QUERIES) this.lastRan.delete(this.lastRan.keys().next().value as string);
    return this.send(at, { kind: 'search', projectId, generation, req, ranking, feedback }) as Promise<SearchResult>;
  }

  /** The stored term counts of the project's chunks (see ProjectIndex.termCounts), on the least busy thread. */
  termCounts(projectId: string, chunkIds: string[]): Promise<(Map<string, number> | null)[]> {
    return this.send(this.leastBusy(this.home(projectId)), { kind: 'terms', projectId, chunkIds }) as Promise<
      (Map<string, number> | null)[]
    >;
  }

  /** The extractive answer's text (core/compose.ts extractiveAnswer), on the least busy thread. */
  answer(input: GeneratorInput): Promise<string> {
    return this.send(this.leastBusy(0), { kind: 'answer', input }) as Promise<string>;
  }

  /** Closes the project's connections on every thread, after the requests sent before (its file is deleted). */
  forget(projectId: string): void {
    if (this.closed || !isId('project', projectId)) return;
    for (const [at, slot] of this.slots.entries()) {
      if (slot.worker) void this.send(at, { kind: 'forget', projectId }).catch(() => undefined);
    }
    for (const key of [...this.lastRan.keys()]) if (key.startsWith(`${projectId}\n`)) this.lastRan.delete(key);
  }

  /** Stops every thread, their connections closed first; requests still running fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        const worker = slot.worker;
        if (!worker) return;
        const id = this.nextId++;
        // the close request queues behind the running ones: they finish, then the connections close
        const done = new Promise<void>((resolve) => {
          slot.pending.set(id, { resolve: () => resolve(), reject: () => resolve() });
          worker.ref();
          worker.postMessage({ id, kind: 'close' } satisfies ReadRequest);
        });
        await done;
        slot.worker = null;
        this.fail(slot, new Error('the read threads were closed'));
        await worker.terminate();
      }),
    );
  }

  /** The thread with the fewest requests waiting, `preferred` when it is one of them. */
  private leastBusy(preferred: number): number {
    let best = preferred;
    for (let i = 0; i < this.slots.length; i++) {
      if (this.slots[i].pending.size < this.slots[best].pending.size) best = i;
    }
    return best;
  }

  /** The thread a project prefers: its id hashed (FNV-1a), the same for the pool's life. */
  private home(projectId: string): number {
    if (!isId('project', projectId)) throw new Error('invalid project id for the index');
    let h = 0x811c9dc5;
    for (let i = 0; i < projectId.length; i++) h = Math.imul(h ^ projectId.charCodeAt(i), 0x01000193);
    return (h >>> 0) % this.slots.length;
  }

  private send(at: number, request: Unnumbered): Promise<ReadResult> {
    if (this.closed) return Promise.reject(new Error('the read threads were closed'));
    const slot = this.slots[at];
    const worker = slot.worker ?? this.spawn(slot);
    const id = this.nextId++;
    return new Promise<ReadResult>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      if (slot.pending.size === 1) worker.ref();
      worker.postMessage({ ...request, id } as ReadRequest);
    });
  }

  private spawn(slot: Slot): Worker {
    const data: ReadThreadData = { role: READ_THREAD_ROLE, dir: this.opts.dir, maxOpen: this.opts.maxOpen ?? 16 };
    const worker = startWorker(this.entry, data);
    this.started++;
    slot.worker = worker;
    worker.unref();
    worker.on('message', (reply: ReadReply) => {
      if ('shared' in reply) {
        this.share(slot, reply.shared);
        return;
      }
      const p = slot.pending.get(reply.id);
      if (!p) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      if ('ok' in reply) p.resolve(reply.ok);
      else p.reject(new ReadError(reply.error));
    });
    const stopped = (reason: Error) => {
      if (slot.worker !== worker) return;
      slot.worker = null; // the next request starts a fresh thread
      if (slot.pending.size > 0) this.opts.logger?.warn('read thread replaced', { reason: reason.message });
      this.fail(slot, reason);
    };
    worker.on('error', (e: NodeJS.ErrnoException) =>
      stopped(
        new Error(
          e.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? 'a read thread ran out of memory'
            : `a read thread failed: ${e.message}`,
        ),
      ),
    );
    worker.on('exit', (code) => stopped(new Error(`a read thread stopped (${code})`)));
    return worker;
  }

  /**
   * A list one thread made, handed to every other running thread (its entries in shared memory:
   * no copy), so that a search of the project on any thread finds it made. Nothing waits for it.
   */
  private share(from: Slot, list: SharedList) {
    if (this.closed || !isId('project', list.projectId)) return;
    for (const slot of this.slots) {
      if (slot === from || !slot.worker) continue;
      slot.worker.postMessage({ id: 0, kind: 'adopt', list } satisfies ReadRequest);
      this.listsShared++;
    }
  }

  private fail(slot: Slot, reason: Error) {
    const all = [...slot.pending.values()];
    slot.pending.clear();
    for (const p of all) p.reject(reason);
  }
}

/** The thread's entry: `read-worker.js` beside the running code when built, else the TypeScript source. */
function defaultEntry(): string {
  const js = join(__dirname, 'read-worker.js');
  return existsSync(js) ? js : join(__dirname, 'read-worker.ts');
}

function startWorker(entry: string, workerData: ReadThreadData): Worker {
  if (!entry.endsWith('.ts')) return new Worker(entry, { workerData });
  // TypeScript through tsx's require hook, as the local server and the tests run (the name is
  // built at run time so that a bundler does not try to include tsx)
  const tsx = require.resolve(['tsx', 'cjs'].join('/'));
  return new Worker(`require(${JSON.stringify(tsx)});require(${JSON.stringify(entry)});`, {
    eval: true,
    workerData,
  });
}
