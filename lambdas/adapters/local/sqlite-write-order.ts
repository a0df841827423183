/**
 * The order of a project's writes in the embedded index (sqlite-index.ts): no two overlap, yet the
 * write thread is handed a project's next batch while it writes one. Each write moves the
 * project's generation when it starts and again before its caller hears of it: counts taken in
 * between belong to neither side and are never trusted on another connection.
 */
export class ProjectWriteOrder {
  /** per project, when every write queued so far is done */
  private readonly writing = new Map<string, Promise<void>>();
  /** per project, when its next hand-over to the write thread may be made (see `handedOver`) */
  private readonly handOverGate = new Map<string, Promise<void>>();
  /** per project, its writes queued or running */
  private readonly pending = new Map<string, number>();
  /** per project, a number that moves when a write starts and again when it ends */
  private readonly generations = new Map<string, number>();

  /** `wrote` hears of each project whose write (not a tidy-up's step) has just ended. */
  constructor(private readonly wrote: (projectId: string) => void) {}

  /**
   * Runs `work` after the project's earlier writes, alone: whether it writes on the connection of
   * the event loop's thread or on the write thread's, no two writes of a project overlap.
   */
  exclusive<T>(projectId: string, work: () => Promise<T> | T): Promise<T> {
    return this.queue(projectId, work, true, false);
  }

  /**
   * As `exclusive`, for a write that `work` hands to the write thread as it is called
   * (WriteThread.write posts it at once): it is handed over as soon as the project's earlier
   * writes on the event loop's connection are done and its earlier hand-overs have been made,
   * without waiting for those to commit. The write thread runs what it is given in order, one at a
   * time, so no two writes overlap still; meanwhile it has the next batch at hand instead of
   * idling until the event loop hears of the last commit and sends another.
   */
  handedOver<T>(projectId: string, work: () => Promise<T>): Promise<T> {
    return this.queue(projectId, work, true, true);
  }

  /** Runs `work` after the project's earlier writes, alone, as a step of its tidy-up: not a write. */
  after<T>(projectId: string, work: () => T): Promise<T> {
    return this.queue(projectId, work, false, false);
  }

  /** Whether a write of the project is queued or running. */
  busy(projectId: string): boolean {
    return this.pending.has(projectId);
  }

  generation(projectId: string): number {
    return this.generations.get(projectId) ?? 0;
  }

  /** Forgets the project's generation (its file is deleted). */
  forget(projectId: string): void {
    this.generations.delete(projectId);
  }

  private queue<T>(projectId: string, work: () => Promise<T> | T, isWrite: boolean, handOver: boolean): Promise<T> {
    const before = this.writing.get(projectId) ?? Promise.resolve();
    const gate = handOver ? (this.handOverGate.get(projectId) ?? before) : before;
    let madeOver = () => {};
    const handOverMade = new Promise<void>((resolve) => {
      madeOver = resolve;
    });
    const bump = () => this.generations.set(projectId, this.generation(projectId) + 1);
    this.pending.set(projectId, (this.pending.get(projectId) ?? 0) + 1);
    const run = gate.then(async () => {
      if (isWrite) bump();
      try {
        const working = work();
        madeOver();
        return await working;
      } finally {
        madeOver();
        if (isWrite) bump();
        // counted off before the caller hears of it: a caller that goes on finds the project idle
        const left = (this.pending.get(projectId) ?? 1) - 1;
        if (left > 0) this.pending.set(projectId, left);
        else this.pending.delete(projectId);
      }
    });
    const ignore = () => undefined;
    const settled = Promise.all([before, run.then(ignore, ignore)]).then(ignore);
    this.writing.set(projectId, settled);
    // what a later hand-over waits for: this one made, or this write done
    this.handOverGate.set(projectId, handOver ? handOverMade : settled);
    void settled.then(() => {
      if (this.writing.get(projectId) === settled) {
        this.writing.delete(projectId);
        this.handOverGate.delete(projectId);
      }
      if (isWrite) this.wrote(projectId);
    });
    return run;
  }
}
