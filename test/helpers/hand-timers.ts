import type { PoolTimers } from '../../lambdas/adapters/idle-stop';

/** Timers a test fires by hand: deadlines and idle countdowns are never waited for. */
export class HandTimers implements PoolTimers {
  private next = 1;
  readonly armed = new Map<number, { fn: () => void; ms: number }>();
  setTimeout(fn: () => void, ms: number) {
    const id = this.next++;
    this.armed.set(id, { fn, ms });
    return id;
  }
  clearTimeout(handle: unknown) {
    this.armed.delete(handle as number);
  }
  fireAll() {
    const due = [...this.armed.values()];
    this.armed.clear();
    for (const t of due) t.fn();
  }
}
