import type { IngestQueue } from '../../ports';

type Job = { projectId: string; documentId: string };
type Worker = (projectId: string, documentId: string) => Promise<unknown>;

/**
 * The embedded home's ingest queue: jobs run in this process, a few at a time. It holds nothing
 * durable — the document records do: on start, documents left `queued` or `processing` by a
 * crash are queued again.
 */
export class InProcessQueue implements IngestQueue {
  private readonly jobs: Job[] = [];
  private readonly pending = new Set<string>();
  private running = 0;
  private worker: Worker | null = null;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly concurrency = 2) {}

  /** Sets the function that processes a job; nothing runs before it is set. */
  start(worker: Worker): void {
    this.worker = worker;
    this.pump();
  }

  async enqueue(projectId: string, documentId: string) {
    const key = `${projectId}/${documentId}`;
    if (this.stopped || this.pending.has(key)) return;
    this.pending.add(key);
    this.jobs.push({ projectId, documentId });
    setImmediate(() => this.pump());
  }

  /** Resolves once no job is queued or running. */
  idle(): Promise<void> {
    if (this.jobs.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Takes no new jobs and waits for the running ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.jobs.length = 0;
    await this.idle();
  }

  private pump(): void {
    while (this.worker && this.running < this.concurrency && this.jobs.length > 0) {
      const job = this.jobs.shift() as Job;
      this.pending.delete(`${job.projectId}/${job.documentId}`);
      this.running++;
      this.worker(job.projectId, job.documentId)
        .catch((e) => console.error('ingest job failed', e))
        .finally(() => {
          this.running--;
          this.pump();
          if (this.jobs.length === 0 && this.running === 0) {
            for (const w of this.idleWaiters.splice(0)) w();
          }
        });
    }
  }
}
