export interface BedrockRetryOptions {
  /** attempts in all, the first included @default 5 */
  attempts?: number;
  /** the backoff cap of the first retry; it doubles with each retry @default 250 */
  baseDelayMs?: number;
  /** @default 8000 */
  maxDelayMs?: number;
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
 */
export async function withBedrockRetry<T>(send: () => Promise<T>, opts: BedrockRetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  const base = opts.baseDelayMs ?? 250;
  const cap = opts.maxDelayMs ?? 8000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (e) {
      if (!isTransient(e) || attempt >= attempts) throw e;
      const ceiling = Math.min(cap, base * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
  }
}
