import type { BackgroundJob, JobQueue } from '../../lambdas/ports';

/** An in-memory JobQueue: what the functions would have sent the worker through SQS. */
export class RecordingJobs implements JobQueue {
  sent: BackgroundJob[] = [];
  async enqueueJob(job: BackgroundJob) {
    this.sent.push(job);
  }
  /** The jobs sent since the last take, in order. */
  take() {
    const out = this.sent;
    this.sent = [];
    return out;
  }
}
