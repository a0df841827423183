import type { IngestQueue, Logger } from '../../ports';
import { lineLogger } from './line-logger';

type Job = { projectId: string; documentId: string };
/** Processes 1..n documents of one project at once. */
type Worker = (projectId: string, documentIds: string[]) => Promise<unknown>;

export interface QueueOptions {
  /** batches running at once */
  concurrency?: number;
  /** most documents of one project handed to the worker at once */
  batchSize?: number;
  /** batches of one project running at once (2 by default) */
  perProject?: number;
  /** where failed jobs are reported; a line logger on stderr by default */
  logger?: Logger;
}

/**
 * The embedded home's ingest queue: jobs run in this process, a few at a time. It holds nothing
 * durable — the document records do: on start, documents left `queued` or `processing` by a
 * crash are queued again.
 *
 * The queue hands its worker the waiting jobs of one project together (up to `batchSize`, in the
 * order they came), so their writes can share a transaction. Projects take turns, a batch each,
 * so one project's backlog never holds another's documents back. Should a whole batch fail, each
 * of its documents is tried again on its own, so one bad document never holds back the others.
 *
 * At most `perProject` batches of one project run at once (2 by default): its writes are taken
 * one at a time anyway, and what arrives meanwhile makes the next batch larger, so a project fed
 * by many single POSTs is written in fewer, larger batches (16 POSTs in flight: about 5 % more
 * documents a second). Two, not one, so that a large file being read does not hold back every
 * small document of its project behind it.
 */
export class InProcessQueue implements IngestQueue {
  /** waiting document ids by project, oldest first */
  private readonly waiting = new Map<string, string[]>();
  /** projects with waiting jobs, in the order they get their next turn */
  private readonly turns: string[] = [];
  private size = 0;
  private readonly pending = new Set<string>();
  private running = 0;
  /** batches running, by project */
  private readonly busy = new Map<string, number>();
  private worker: Worker | null = null;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  private readonly concurrency: number;
  private readonly batchSize: number;
  private readonly perProject: number;
  private readonly logger: Logger;

  constructor(options: number | QueueOptions = 2) {
    const o = typeof options === 'number' ? { concurrency: options } : options;
    this.concurrency = Math.max(1, o.concurrency ?? 2);
    this.batchSize = Math.max(1, o.batchSize ?? 1);
    this.perProject = Math.max(1, o.perProject ?? 2);
    this.logger = o.logger ?? lineLogger();
  }

  /** Sets the function that processes a batch of one project's jobs; nothing runs before. */
  start(worker: Worker): void {
    this.worker = worker;
    this.pump();
  }

  async enqueue(projectId: string, documentId: string) {
    const key = `${projectId}/${documentId}`;
    if (this.stopped || this.pending.has(key)) return;
    this.pending.add(key);
    const ids = this.waiting.get(projectId);
    if (ids) ids.push(documentId);
    else {
      this.waiting.set(projectId, [documentId]);
      this.turns.push(projectId);
    }
    if (++this.size === 1) setImmediate(() => this.pump());
  }

  /** Resolves once no job is queued or running. */
  idle(): Promise<void> {
    if (this.size === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Takes no new jobs and waits for the running ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting.clear();
    this.turns.length = 0;
    this.size = 0;
    this.pending.clear();
    await this.idle();
  }

  /**
   * The next jobs to run together: the oldest waiting ones of the first project, in turn, that
   * may run another batch; null when none may.
   */
  private take(): Job[] | null {
    const at = this.turns.findIndex((p) => (this.busy.get(p) ?? 0) < this.perProject);
    if (at < 0) return null;
    const [projectId] = this.turns.splice(at, 1);
    const ids = this.waiting.get(projectId) as string[];
    const taken = ids.splice(0, this.batchSize);
    if (ids.length > 0) this.turns.push(projectId);
    else this.waiting.delete(projectId);
    this.size -= taken.length;
    for (const id of taken) this.pending.delete(`${projectId}/${id}`);
    return taken.map((documentId) => ({ projectId, documentId }));
  }

  private async run(batch: Job[]): Promise<void> {
    const worker = this.worker as Worker;
    const { projectId } = batch[0];
    if (batch.length > 1) {
      try {
        await worker(
          projectId,
          batch.map((j) => j.documentId),
        );
        return;
      } catch (e) {
        this.logger.warn('ingest batch failed; processing its documents one by one', {
          project_id: projectId,
          error: e,
        });
      }
    }
    for (const job of batch) {
      await worker(job.projectId, [job.documentId]).catch((e) =>
        this.logger.error('ingest job failed', { project_id: job.projectId, document_id: job.documentId, error: e }),
      );
    }
  }

  private pump(): void {
    while (this.worker && this.running < this.concurrency && this.size > 0) {
      const batch = this.take();
      if (!batch) return;
      const { projectId } = batch[0];
      this.busy.set(projectId, (this.busy.get(projectId) ?? 0) + 1);
      this.running++;
      this.run(batch).finally(() => {
        const left = (this.busy.get(projectId) ?? 1) - 1;
        if (left > 0) this.busy.set(projectId, left);
        else this.busy.delete(projectId);
        this.running--;
        this.pump();
        if (this.size === 0 && this.running === 0) {
          for (const w of this.idleWaiters.splice(0)) w();
        }
      });
    }
  }
}
