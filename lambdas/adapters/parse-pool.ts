import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ExtractionError } from '../core/errors';
import type { SupportedType } from '../core/formats/detect';
import type { ParsedDocument } from '../core/parse-document';
import type { ReadLimits } from '../core/read-limits';
import type { DocumentReader, Logger } from '../ports';
import type { ParseReply, ParseRequest } from './parse-worker';

/** How the pool waits: the real timers, or a test's. */
export interface PoolTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ParsePoolOptions {
  limits: ReadLimits;
  /** threads reading at once; documents beyond wait their turn @default 1 */
  workers?: number;
  /** the worker's entry file @default parse-worker.js beside this code when bundled, else parse-worker.ts */
  entry?: string;
  timers?: PoolTimers;
  logger?: Logger;
}

interface Job {
  id: number;
  bytes: Buffer;
  type: SupportedType;
  resolve: (doc: ParsedDocument) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  timer: unknown;
}

const realTimers: PoolTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Reads documents in worker threads, one document per thread at a time: each thread has a heap
 * limit (`limits.memoryMb`) and each document a deadline (`limits.timeoutMs`); the output and
 * inflation limits are checked inside by the reader. A document that passes the heap limit or
 * the deadline fails with an ExtractionError that says so, and its thread is stopped and replaced
 * by a fresh one for the next document. The event loop that serves requests never parses.
 */
export class ParsePool implements DocumentReader {
  private readonly limits: ReadLimits;
  private readonly size: number;
  private readonly entry: string;
  private readonly timers: PoolTimers;
  private readonly logger?: Logger;
  private readonly slots: Slot[] = [];
  private readonly waiting: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** threads started so far, replacements included (tests watch replacements) */
  started = 0;

  constructor(opts: ParsePoolOptions) {
    this.limits = opts.limits;
    this.size = Math.max(1, opts.workers ?? 1);
    this.entry = opts.entry ?? defaultEntry();
    this.timers = opts.timers ?? realTimers;
    this.logger = opts.logger;
  }

  read(bytes: Buffer, type: SupportedType): Promise<ParsedDocument> {
    if (this.closed) return Promise.reject(new Error('the document reader is closed'));
    return new Promise<ParsedDocument>((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, bytes, type, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops every thread; documents still waiting or reading fail. */
  async close(): Promise<void> {
    this.closed = true;
    const gone = new Error('the document reader closed');
    for (const job of this.waiting.splice(0)) job.reject(gone);
    const slots = this.slots.splice(0);
    for (const s of slots) {
      this.timers.clearTimeout(s.timer);
      s.job?.reject(gone);
      s.job = null;
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private dispatch() {
    while (this.waiting.length > 0 && !this.closed) {
      let slot = this.slots.find((s) => s.job === null);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      this.assign(slot, this.waiting.shift() as Job);
    }
  }

  private assign(slot: Slot, job: Job) {
    slot.job = job;
    slot.worker.ref();
    slot.timer = this.timers.setTimeout(
      () =>
        this.retire(
          slot,
          new ExtractionError(
            `the document took longer than ${seconds(this.limits.timeoutMs)} to read; it may be built to stall a reader`,
          ),
        ),
      this.limits.timeoutMs,
    );
    // a copy of its own, moved to the thread: the caller's buffer may share memory with others
    const copy = new Uint8Array(job.bytes);
    const req: ParseRequest = { id: job.id, bytes: copy, type: job.type, limits: this.limits };
    slot.worker.postMessage(req, [copy.buffer]);
  }

  private spawn(): Slot {
    const worker = startWorker(this.entry, this.limits.memoryMb);
    this.started++;
    const slot: Slot = { worker, job: null, timer: null };
    worker.unref();
    worker.on('message', (reply: ParseReply) => {
      const job = slot.job;
      if (!job || reply.id !== job.id) return;
      this.timers.clearTimeout(slot.timer);
      slot.job = null;
      worker.unref();
      if ('ok' in reply) job.resolve(reply.ok);
      else
        job.reject(reply.error.name === 'ExtractionError' ? new ExtractionError(reply.error.message) : asError(reply));
      this.dispatch();
    });
    worker.on('error', (e: NodeJS.ErrnoException) => {
      const reason =
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new ExtractionError(
              `the document needs more than ${this.limits.memoryMb} MB of memory to read; it may be built to exhaust a reader`,
            )
          : new Error(`the document reader failed: ${e.message}`);
      this.retire(slot, reason);
    });
    worker.on('exit', () => this.retire(slot, new Error('the document reader stopped')));
    this.slots.push(slot);
    return slot;
  }

  /** Fails the slot's document, stops its thread and lets a fresh one take the next document. */
  private retire(slot: Slot, reason: Error) {
    const at = this.slots.indexOf(slot);
    if (at < 0) return;
    this.slots.splice(at, 1);
    this.timers.clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = null;
    if (job) {
      this.logger?.warn('document reader replaced', { reason: reason.message });
      job.reject(reason);
    }
    void slot.worker.terminate();
    this.dispatch();
  }
}

function asError(reply: Extract<ParseReply, { error: unknown }>): Error {
  const e = new Error(reply.error.message);
  e.name = reply.error.name;
  return e;
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`);

/**
 * The worker's entry: `parse-worker.js` beside the running code in a Lambda bundle (built beside
 * the handler, lib/oprag-function.ts), else the TypeScript source run through tsx.
 */
function defaultEntry(): string {
  const js = join(__dirname, 'parse-worker.js');
  return existsSync(js) ? js : join(__dirname, 'parse-worker.ts');
}

function startWorker(entry: string, memoryMb: number): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.min(32, memoryMb / 4) };
  if (!entry.endsWith('.ts')) return new Worker(entry, { resourceLimits });
  // TypeScript through tsx's require hook, as the local server and the tests run (the name is
  // built at run time so that a bundler does not try to include tsx)
  const tsx = require.resolve(['tsx', 'cjs'].join('/'));
  return new Worker(`require(${JSON.stringify(tsx)});require(${JSON.stringify(entry)});`, {
    eval: true,
    resourceLimits,
  });
}
