import type { Clock } from '../../lambdas/ports';

/**
 * A clock a test moves by hand: it runs with the system clock, shifted by every `advance`, until
 * `freeze` stops it at one instant; `resume` lets it run on from where it stood. It never runs
 * backwards unless a test sets it there, so records written before and after keep their order.
 */
export class TestClock implements Clock {
  private offsetMs = 0;
  private frozenAt: number | null = null;

  now(): Date {
    return new Date(this.frozenAt ?? Date.now() + this.offsetMs);
  }

  /** Moves the clock `ms` forward, as if that much time had passed. */
  advance(ms: number): Date {
    if (this.frozenAt !== null) this.frozenAt += ms;
    else this.offsetMs += ms;
    return this.now();
  }

  /** Stops the clock at `at` (now by default). */
  freeze(at: Date | string | number = this.now()): Date {
    this.frozenAt = new Date(at).getTime();
    return this.now();
  }

  /** Lets a frozen clock run on from the instant it stood at. */
  resume(): Date {
    if (this.frozenAt !== null) {
      this.offsetMs = this.frozenAt - Date.now();
      this.frozenAt = null;
    }
    return this.now();
  }

  /** The start of the next minute of this clock, plus `plusMs`: later than anything it has shown. */
  nextMinute(plusMs = 0): Date {
    const now = this.now().getTime();
    return new Date(now - (now % 60_000) + 60_000 + plusMs);
  }
}
