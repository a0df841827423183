/** How a pool waits: the real timers, or a test's. */
export interface PoolTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: PoolTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * How long a background thread (the index's write thread, a document reader) may sit with nothing
 * to do before it stops. A thread's heap grows to what its busiest moment needed (the write thread
 * held 66 MB after an ingest, a reader 17 MB) and stays that size while it idles; stopping it gives
 * all of it back. The next piece of work starts a fresh thread, about 0.1 s of one core, so a
 * thread used less often than every 10 s costs at most about 1 % of a core in restarts.
 */
export const IDLE_STOP_MS = 10_000;

/** Calls `stop` once `idle()` has not been followed by `busy()` for `ms`. The timer never keeps the process alive. */
export class IdleStop {
  private handle: unknown = null;

  constructor(
    private readonly stop: () => void,
    private readonly ms = IDLE_STOP_MS,
    private readonly timers: PoolTimers = realTimers,
  ) {}

  /** Nothing left to do: the countdown starts again. */
  idle(): void {
    this.busy();
    const handle = this.timers.setTimeout(() => {
      this.handle = null;
      this.stop();
    }, this.ms);
    (handle as { unref?: () => void } | null)?.unref?.();
    this.handle = handle;
  }

  /** Work arrived: no stop. */
  busy(): void {
    if (this.handle === null) return;
    this.timers.clearTimeout(this.handle);
    this.handle = null;
  }
}
