import { OutOfTime, type RemainingMs, UNBOUNDED } from '../../core/time-budget';

export interface BedrockRetryOptions {
  /** attempts in all, the first included @default 5 */
  attempts?: number;
  /** the backoff cap of the first retry; it doubles with each retry @default 250 */
  baseDelayMs?: number;
  /** @default 8000 */
  maxDelayMs?: number;
  /** what the invocation has left (Lambda's `getRemainingTimeInMillis`) @default unbounded */
  remainingMs?: RemainingMs;
  /**
   * time kept back from the invocation's end: no call starts, and no pause before a retry is
   * taken, that would leave less than this @default 30000
   */
  marginMs?: number;
}

/** The service's answers that mean "too much, or not now": safe to send again after a pause. */
const TRANSIENT_NAMES = new Set(['ThrottlingException', 'ServiceUnavailableException', 'TooManyRequestsException']);
const TRANSIENT_STATUS = new Set([429, 503]);

export function isTransient(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  if (!e) return false;
  return TRANSIENT_NAMES.has(e.name ?? '') || TRANSIENT_STATUS.has(e.$metadata?.httpStatusCode ?? 0);
}

/**
 * Calls `send`, and again after throttling or unavailability, with exponential backoff and full
 * jitter, a bounded number of times; any other error, or the last transient one, surfaces as is.
 * The invocation's remaining time bounds it too: a call that would start inside the margin, or a
 * pause that would end inside it, is not made, and OutOfTime says so (the work can be delivered
 * again, unlike a failure of the model); `send` gets a signal that cuts a call where the margin begins.
 */
export async function withBedrockRetry<T>(
  send: (abortSignal?: AbortSignal) => Promise<T>,
  opts: BedrockRetryOptions = {},
): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  const base = opts.baseDelayMs ?? 250;
  const cap = opts.maxDelayMs ?? 8000;
  const remaining = opts.remainingMs ?? UNBOUNDED;
  const margin = opts.marginMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    if (remaining() <= margin) throw new OutOfTime('no time left for a Bedrock call');
    // a call that hangs is cut where the margin begins
    const left = remaining() - margin;
    const signal = Number.isFinite(left) ? AbortSignal.timeout(left) : undefined;
    try {
      return await send(signal);
    } catch (e) {
      if (signal?.aborted) throw new OutOfTime('a Bedrock call ran into the end of the invocation');
      if (!isTransient(e) || attempt >= attempts) throw e;
      const delay = Math.random() * Math.min(cap, base * 2 ** (attempt - 1));
      if (remaining() - delay <= margin) throw new OutOfTime('no time left to retry a throttled Bedrock call');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
