import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ExtractionError } from '../core/errors';
import type { SupportedType } from '../core/formats/detect';
import type { ParsedDocument } from '../core/parse-document';
import type { ReadLimits } from '../core/read-limits';
import type { DocumentReader, Logger } from '../ports';
import { IDLE_STOP_MS, IdleStop, type PoolTimers, realTimers } from './idle-stop';
import type { ParseGroupReply, ParseGroupRequest, ParseOutcome, ParseReply, ParseRequest } from './parse-worker';

export interface ParsePoolOptions {
  limits: ReadLimits;
  /** threads reading at once; documents beyond wait their turn @default 1 */
  workers?: number;
  /** the worker's entry file @default parse-worker.js beside this code when bundled, else parse-worker.ts */
  entry?: string;
  timers?: PoolTimers;
  /** a thread with nothing to read for this long stops, its heap given back (idle-stop.ts) @default 10 s */
  idleStopMs?: number;
  logger?: Logger;
}

interface Job {
  bytes: Buffer;
  type: SupportedType;
  /** read in a message of its own: set once a group it was in failed as a whole */
  alone: boolean;
  /** the project the document is of, where the caller said: a group holds one project's documents only */
  projectId: string | undefined;
  resolve: (doc: ParsedDocument) => void;
  reject: (e: Error) => void;
}

/** What a thread is reading: one document, or a group of small text documents in one message. */
interface Message {
  id: number;
  jobs: Job[];
}

interface Slot {
  worker: Worker;
  job: Message | null;
  timer: unknown;
  idle: IdleStop;
}

/**
 * Small plain-text documents waiting together go to a thread in one message (their bytes in one
 * buffer) and come back in one reply: a message costs both threads far more than reading an
 * abstract does. Only types whose reading is a linear pass over the text are grouped, and only
 * small ones, so a group reads well inside one document's deadline and heap.
 */
const GROUPED_TYPES = new Set<SupportedType>(['text/plain', 'text/markdown']);
const GROUP_ITEM_BYTES = 64 * 1024;
const GROUP_BYTES = 1024 * 1024;
const GROUP_SIZE = 64;
const groupable = (j: Job) => !j.alone && GROUPED_TYPES.has(j.type) && j.bytes.length <= GROUP_ITEM_BYTES;

/**
 * Reads documents in worker threads, one document per thread at a time: each thread has a heap
 * limit (`limits.memoryMb`) and each document a deadline (`limits.timeoutMs`); the output and
 * inflation limits are checked inside by the reader. A document that passes the heap limit or
 * the deadline fails with an ExtractionError that says so, and its thread is stopped and replaced
 * by a fresh one for the next document. The event loop that serves requests never parses.
 *
 * Small text documents of one project waiting at once are read in one message (GROUPED_TYPES; a
 * group never mixes projects, so one tenant's document never delays another's in it): each is read on
 * its own inside the thread, within its own output limits, and a refusal fails that document
 * alone. Should a group pass the deadline or the heap limit, or its thread stop, no document of
 * it fails for it: each is read again in a message of its own, under its own deadline.
 */
export class ParsePool implements DocumentReader {
  private readonly limits: ReadLimits;
  private readonly size: number;
  private readonly entry: string;
  private readonly timers: PoolTimers;
  private readonly idleStopMs: number;
  private readonly logger?: Logger;
  private readonly slots: Slot[] = [];
  private readonly waiting: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** threads started so far, replacements included (tests watch replacements) */
  started = 0;

  /** threads running now */
  get threads(): number {
    return this.slots.length;
  }

  constructor(opts: ParsePoolOptions) {
    this.limits = opts.limits;
    this.size = Math.max(1, opts.workers ?? 1);
    this.entry = opts.entry ?? defaultEntry();
    this.timers = opts.timers ?? realTimers;
    this.idleStopMs = opts.idleStopMs ?? IDLE_STOP_MS;
    this.logger = opts.logger;
  }

  read(bytes: Buffer, type: SupportedType, from?: { projectId: string }): Promise<ParsedDocument> {
    if (this.closed) return Promise.reject(new Error('the document reader is closed'));
    return new Promise<ParsedDocument>((resolve, reject) => {
      this.waiting.push({ bytes, type, alone: false, projectId: from?.projectId, resolve, reject });
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
      s.idle.busy();
      for (const job of s.job?.jobs ?? []) job.reject(gone);
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
      this.assign(slot, this.next());
    }
  }

  /** The first waiting document, with the groupable ones of its project waiting behind it when it is one. */
  private next(): Job[] {
    const first = this.waiting.shift() as Job;
    if (!groupable(first)) return [first];
    const jobs = [first];
    let bytes = first.bytes.length;
    for (let i = 0; i < this.waiting.length && jobs.length < GROUP_SIZE; ) {
      const j = this.waiting[i];
      if (groupable(j) && j.projectId === first.projectId && bytes + j.bytes.length <= GROUP_BYTES) {
        jobs.push(j);
        bytes += j.bytes.length;
        this.waiting.splice(i, 1);
      } else i++;
    }
    return jobs;
  }

  private assign(slot: Slot, jobs: Job[]) {
    const id = this.nextId++;
    slot.job = { id, jobs };
    slot.idle.busy();
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
    if (jobs.length === 1) {
      // a copy of its own, moved to the thread: the caller's buffer may share memory with others
      const copy = new Uint8Array(jobs[0].bytes);
      const req: ParseRequest = { id, bytes: copy, type: jobs[0].type, limits: this.limits };
      slot.worker.postMessage(req, [copy.buffer]);
      return;
    }
    // the group's bytes copied into one buffer, moved to the thread
    const all = new Uint8Array(jobs.reduce((n, j) => n + j.bytes.length, 0));
    const items: ParseGroupRequest['items'] = [];
    let at = 0;
    for (const j of jobs) {
      all.set(j.bytes, at);
      items.push({ start: at, end: at + j.bytes.length, type: j.type });
      at += j.bytes.length;
    }
    const req: ParseGroupRequest = { id, bytes: all, items, limits: this.limits };
    slot.worker.postMessage(req, [all.buffer]);
  }

  private spawn(): Slot {
    const worker = startWorker(this.entry, this.limits.memoryMb);
    this.started++;
    const slot: Slot = {
      worker,
      job: null,
      timer: null,
      idle: new IdleStop(() => this.stopIdle(slot), this.idleStopMs, this.timers),
    };
    worker.unref();
    worker.on('message', (reply: ParseReply | ParseGroupReply) => {
      const message = slot.job;
      if (!message || reply.id !== message.id) return;
      this.timers.clearTimeout(slot.timer);
      slot.job = null;
      worker.unref();
      if ('many' in reply) for (const [i, r] of reply.many.entries()) settle(message.jobs[i], r);
      else settle(message.jobs[0], reply);
      this.dispatch();
      if (slot.job === null) slot.idle.idle();
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

  /** Stops a thread that has had nothing to read for a while; the next document starts a fresh one. */
  private stopIdle(slot: Slot) {
    const at = this.slots.indexOf(slot);
    if (at < 0 || slot.job !== null) return;
    this.slots.splice(at, 1);
    void slot.worker.terminate();
  }

  /** Fails the slot's document, stops its thread and lets a fresh one take the next document. */
  private retire(slot: Slot, reason: Error) {
    const at = this.slots.indexOf(slot);
    if (at < 0) return;
    this.slots.splice(at, 1);
    this.timers.clearTimeout(slot.timer);
    slot.idle.busy();
    const jobs = slot.job?.jobs ?? [];
    slot.job = null;
    if (jobs.length === 1) {
      this.logger?.warn('document reader replaced', { reason: reason.message });
      jobs[0].reject(reason);
    } else if (jobs.length > 1) {
      // which document of the group it was is unknown: each is read again alone, first in line
      this.logger?.warn('document reader replaced; reading its documents one at a time', {
        reason: reason.message,
        documents: jobs.length,
      });
      for (const j of jobs) j.alone = true;
      this.waiting.unshift(...jobs);
    }
    void slot.worker.terminate();
    this.dispatch();
  }
}

/** Resolves or fails one document with its thread's answer. */
function settle(job: Job, reply: ParseOutcome) {
  if ('ok' in reply) job.resolve(reply.ok);
  else job.reject(reply.error.name === 'ExtractionError' ? new ExtractionError(reply.error.message) : asError(reply));
}

function asError(reply: Extract<ParseOutcome, { error: unknown }>): Error {
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
