import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { IDLE_STOP_MS, IdleStop, type PoolTimers, realTimers } from '../idle-stop';
import { lowerThisThreadPriority } from '../thread-priority';
import { openPrivateDatabase, truncateWal } from './private-files';
import { type DocumentWrite, stmt, writeDocuments } from './sqlite-index-write';

/**
 * A thread of its own for the embedded index's batch writes: analysing a batch's chunks (tokens,
 * stems, term statistics) and writing them costs about as much CPU as everything else an ingest
 * request does, and on the event loop it delays every other request. Here the loop only hands the
 * chunks over and waits for the commit. The thread holds its own connection to each project file
 * and writes what it is given in the order given, one batch at a time; the caller keeps a
 * project's writes in order (sqlite-write-order.ts: a batch may be handed over while the one
 * before is written, but never while the loop's own connection writes), so this connection and
 * the one on the loop never write at the same time. A project's tidy-up (sqlite-index-tidy.ts) runs
 * its merge steps here too, in the same order, so the loop never spends its turns on them.
 */

const ROLE = 'oprag-index-write-thread';

/** `docs` as JSON: one string is copied to the thread much faster than the objects would be cloned. */
type Request =
  | { id: number; file: string; docs: string }
  | { id: number; merge: string; pages: number }
  | { id: number; rest: string }
  | { id: number; close: string }
  | { id: number; closeAll: true };
type Failure = { message: string; code?: string };
type Reply =
  | { id: number; errors: (Failure | null)[] }
  | { id: number; merged: boolean }
  | { id: number; failed: Failure };

const failure = (e: unknown): Failure => ({
  message: e instanceof Error ? e.message : String(e),
  code: (e as { code?: unknown })?.code === undefined ? undefined : String((e as { code: unknown }).code),
});

/** An error from the thread, as the caller sees it: its message and SQLite code kept. */
class WriteError extends Error {
  constructor(f: Failure) {
    super(f.message);
    this.name = 'SqliteError';
    if (f.code) Object.assign(this, { code: f.code });
  }
}

/**
 * The loop's side: starts the thread on first use, stops keeping the process alive while idle, and
 * stops the thread once it has had nothing to do for `idleMs` (idle-stop.ts): its connections are
 * closed with their logs emptied, as in `close`, and the next write starts a fresh thread.
 */
export class WriteThread {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: unknown) => void }>();
  private readonly idle: IdleStop;
  /** a thread being stopped: a close waits for it, so that no log is left behind */
  private stopping: Promise<void> = Promise.resolve();
  /** threads started so far (tests watch the idle stop) */
  started = 0;

  constructor(
    private readonly maxOpen: number,
    idleMs = IDLE_STOP_MS,
    timers: PoolTimers = realTimers,
  ) {
    this.idle = new IdleStop(() => void this.close(), idleMs, timers);
  }

  /** Writes the documents into the project file; resolves to each document's error, or null. */
  async write(file: string, docs: DocumentWrite[]): Promise<(unknown | null)[]> {
    const reply = await this.send({ id: ++this.nextId, file, docs: JSON.stringify(docs) });
    if ('failed' in reply) throw new WriteError(reply.failed);
    return 'errors' in reply ? reply.errors.map((e) => (e === null ? null : new WriteError(e))) : [];
  }

  /**
   * One step of merging the file's full-text segments, `pages` pages at most, after the writes sent
   * before: resolves to whether it merged anything.
   */
  async merge(file: string, pages: number): Promise<boolean> {
    const reply = await this.send({ id: ++this.nextId, merge: file, pages });
    if ('failed' in reply) throw new WriteError(reply.failed);
    return 'merged' in reply && reply.merged;
  }

  /** Copies the file's log into it, empties it and closes the thread's connection to the file, if it has one. */
  async rest(file: string): Promise<void> {
    if (this.worker) await this.send({ id: ++this.nextId, rest: file });
  }

  /** Closes the thread's connection to the file, after the writes sent before. */
  release(file: string): void {
    if (this.worker) void this.send({ id: ++this.nextId, close: file }).catch(() => undefined);
  }

  /**
   * Stops the thread once the writes sent before are done: its connections are closed first, each
   * log copied into its file and emptied, so a server that stops cleanly leaves no log behind; a
   * thread still stopping from idleness is waited for too. A write sent after this call starts a
   * new thread.
   */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return this.stopping;
    this.worker = null;
    this.idle.busy();
    this.stopping = Promise.all([this.stopping, this.stop(worker)]).then(() => undefined);
    return this.stopping;
  }

  private async stop(worker: Worker): Promise<void> {
    const sentBefore = [...this.pending.keys()];
    const id = ++this.nextId;
    await new Promise<void>((resolve) => {
      this.pending.set(id, { resolve: () => resolve(), reject: () => resolve() });
      worker.once('exit', () => resolve()); // a thread that died cannot answer
      worker.ref();
      worker.postMessage({ id, closeAll: true } satisfies Request);
    });
    this.pending.delete(id);
    await worker.terminate();
    for (const key of sentBefore) this.settle(key)?.reject(new Error('the index was closed'));
  }

  private send(request: Request): Promise<Reply> {
    const worker = this.start();
    this.idle.busy();
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage(request);
    });
  }

  private settle(id: number) {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0 && this.worker) {
      this.worker.unref();
      this.idle.idle();
    }
    return p;
  }

  private fail(e: unknown) {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(e);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // run as TypeScript through tsx (as the server and the tests do), or as compiled JavaScript
    const load = __filename.endsWith('.ts') ? `require(${JSON.stringify(require.resolve('tsx/cjs'))});` : '';
    const worker = new Worker(`${load}require(${JSON.stringify(__filename)});`, {
      eval: true,
      workerData: { role: ROLE, maxOpen: this.maxOpen },
    });
    this.started++;
    worker.unref();
    worker.on('message', (reply: Reply) => this.settle(reply.id)?.resolve(reply));
    const stopped = (e: unknown) => {
      if (this.worker !== worker) return;
      this.worker = null; // the next write starts a new thread
      this.fail(e);
    };
    worker.on('error', stopped);
    worker.on('exit', (code) => stopped(new Error(`the index write thread stopped (${code})`)));
    this.worker = worker;
    return worker;
  }
}

/**
 * A connection leaving the thread's pool: its project's log copied into the file and emptied
 * first, without waiting (a connection of the loop at work on the file keeps it for later).
 */
function release(db: Database.Database) {
  truncateWal(db);
  db.close();
}

/** One merge step of at most `pages` pages of the file's full-text index; whether it merged anything. */
function mergeStep(db: Database.Database, pages: number): boolean {
  const changes = stmt(db, 'SELECT total_changes()').pluck();
  const before = changes.get() as number;
  stmt(db, `INSERT INTO chunks_fts (chunks_fts, rank) VALUES ('merge', -${Math.floor(pages)})`).run();
  return (changes.get() as number) - before >= 2;
}

/** The thread's side: one connection per project file, the least recently used closed past `maxOpen`. */
function serve(maxOpen: number) {
  const port = parentPort;
  if (!port) return;
  const open = new Map<string, Database.Database>();
  const connection = (file: string) => {
    let db = open.get(file);
    if (db?.open) {
      open.delete(file);
      open.set(file, db);
      return db;
    }
    // the loop's side has created the file and its schema; a file deleted since stays deleted
    db = openPrivateDatabase(file, { fileMustExist: true });
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    open.set(file, db);
    if (open.size > maxOpen) {
      const [oldest, handle] = open.entries().next().value as [string, Database.Database];
      release(handle);
      open.delete(oldest);
    }
    return db;
  };
  port.on('message', (request: Request) => {
    let reply: Reply;
    if ('closeAll' in request) {
      for (const db of open.values()) if (db.open) release(db);
      open.clear();
      reply = { id: request.id, errors: [] };
    } else if ('merge' in request) {
      try {
        reply = { id: request.id, merged: mergeStep(connection(request.merge), request.pages) };
      } catch (e) {
        reply = { id: request.id, failed: failure(e) };
      }
    } else if ('rest' in request) {
      const db = open.get(request.rest);
      if (db?.open) release(db);
      open.delete(request.rest);
      reply = { id: request.id, errors: [] };
    } else if ('close' in request) {
      const db = open.get(request.close);
      if (db?.open) db.close(); // a deleted project's file: nothing to keep
      open.delete(request.close);
      reply = { id: request.id, errors: [] };
    } else {
      try {
        const errors = writeDocuments(connection(request.file), JSON.parse(request.docs) as DocumentWrite[]);
        reply = { id: request.id, errors: errors.map((e) => (e === null ? null : failure(e))) };
      } catch (e) {
        reply = { id: request.id, failed: failure(e) };
      }
    }
    port.postMessage(reply);
  });
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE) {
  lowerThisThreadPriority(); // index writes are background work: searches and answers come first
  serve((workerData as { maxOpen: number }).maxOpen);
}
