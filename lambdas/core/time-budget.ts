/**
 * The time a function invocation has left. A Lambda function ends where its timeout says,
 * whatever it is doing: every loop that waits or retries asks its budget first, and hands the
 * work back (so the queue delivers it again) while there is still time to say so.
 */

/** Milliseconds this invocation has left; Infinity where nothing ends it (the local home, a test). */
export type RemainingMs = () => number;

export const UNBOUNDED: RemainingMs = () => Number.POSITIVE_INFINITY;

/** Work stopped because the invocation would end before it could finish; safe to run again. */
export class OutOfTime extends Error {
  override readonly name = 'OutOfTime';
  constructor(what: string) {
    super(`out of time: ${what}`);
  }
}

/** Throws OutOfTime unless more than `neededMs` are left. */
export function ensureTime(remainingMs: RemainingMs, neededMs: number, what: string): void {
  if (remainingMs() <= neededMs) throw new OutOfTime(what);
}

/**
 * The budget a composition root hands its adapters once, pointed at each invocation's own clock
 * by the handler (`context.getRemainingTimeInMillis`) while it runs: one invocation at a time
 * per container, so one holder is enough. Unbounded between invocations.
 */
export class InvocationBudget {
  private current: RemainingMs = UNBOUNDED;
  readonly remainingMs: RemainingMs = () => this.current();

  /** Runs `work` with the budget set to `remaining`; unbounded again afterwards. */
  async within<T>(remaining: RemainingMs, work: () => Promise<T>): Promise<T> {
    this.current = remaining;
    try {
      return await work();
    } finally {
      this.current = UNBOUNDED;
    }
  }
}
