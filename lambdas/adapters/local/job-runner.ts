import type { BackgroundJob, Clock, JobQueue, Logger } from '../../ports';

/** Runs one delivery of a job; may ask to be run again after some seconds (a run at its chat limit). */
type JobWorker = (job: BackgroundJob) => Promise<{ retryAfterSeconds: number } | null>;
/** Records that a job failed for good. */
type JobFailure = (job: BackgroundJob, error: unknown) => Promise<void>;

interface Delayed {
  job: BackgroundJob;
  dueAt: number;
  timer: NodeJS.Timeout;
}

/**
 * The embedded home's background jobs (golden runs, exports): run in this process, one at a time,
 * so a long run never takes more than one turn of the event loop's work from the API. A job held
 * back (`delaySeconds`) becomes due by the clock the services use: a timer wakes the runner then,
 * and `runDue` lets a caller that moved the clock run the jobs that are due at once.
 */
export class InProcessJobRunner implements JobQueue {
  private readonly ready: BackgroundJob[] = [];
  private readonly delayed = new Set<Delayed>();
  private running = false;
  private stopped = false;
  private worker: JobWorker | null = null;
  private onFailure: JobFailure | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: { clock: Clock; logger: Logger }) {}

  start(worker: JobWorker, onFailure: JobFailure): void {
    this.worker = worker;
    this.onFailure = onFailure;
    this.pump();
  }

  async enqueueJob(job: BackgroundJob, delaySeconds = 0): Promise<void> {
    if (this.stopped) return;
    if (delaySeconds <= 0) {
      this.ready.push(job);
      setImmediate(() => this.pump());
      return;
    }
    const dueAt = this.opts.clock.now().getTime() + delaySeconds * 1000;
    const entry: Delayed = { job, dueAt, timer: setTimeout(() => this.runDue(), delaySeconds * 1000) };
    entry.timer.unref();
    this.delayed.add(entry);
  }

  /** Moves the held-back jobs whose time has come (by the clock) to the ready ones. */
  runDue(): void {
    const now = this.opts.clock.now().getTime();
    for (const entry of [...this.delayed]) {
      if (entry.dueAt > now) continue;
      clearTimeout(entry.timer);
      this.delayed.delete(entry);
      this.ready.push(entry.job);
    }
    this.pump();
  }

  /** Jobs held back until a time, as {job, due_at}. */
  held(): { job: BackgroundJob; due_at: string }[] {
    return [...this.delayed].map((d) => ({ job: d.job, due_at: new Date(d.dueAt).toISOString() }));
  }

  /** Resolves once no job is ready or running (held-back ones wait for their time). */
  idle(): Promise<void> {
    if (!this.running && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Takes no new jobs, drops the held-back ones and waits for the one running. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ready.length = 0;
    for (const d of this.delayed) clearTimeout(d.timer);
    this.delayed.clear();
    await this.idle();
  }

  private pump(): void {
    if (this.running || !this.worker) return;
    const job = this.ready.shift();
    if (!job) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    this.running = true;
    this.runOne(job).finally(() => {
      this.running = false;
      this.pump();
    });
  }

  private async runOne(job: BackgroundJob): Promise<void> {
    try {
      const outcome = await (this.worker as JobWorker)(job);
      if (outcome) await this.enqueueJob(job, outcome.retryAfterSeconds);
    } catch (e) {
      this.opts.logger.error('background job failed', { job: job.type, project_id: job.project_id, error: e });
      await (this.onFailure as JobFailure)(job, e).catch((err) =>
        this.opts.logger.error('could not record a failed background job', { error: err }),
      );
    }
  }
}
