import { createHash } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { OutOfTime, type RemainingMs, UNBOUNDED } from '../../core/time-budget';

/** Static credentials or a provider of them, as SignatureV4 takes them. */
export type AossCredentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

/** Anything that signs a request in place of SigV4 (a SignatureV4 instance satisfies it). */
export interface AossSigner {
  sign(request: HttpRequest): Promise<{ headers: Record<string, string> }>;
}

export interface AossRetryOptions {
  /** attempts in all, the first included @default 5 */
  attempts?: number;
  /** the first backoff; each retry doubles it, with jitter @default 200 */
  baseDelayMs?: number;
  /** @default 5000 */
  maxDelayMs?: number;
}

export interface AossClientOptions {
  region: string;
  /** @default SigV4 for service `aoss` with `credentials` */
  signer?: AossSigner;
  /** @default the Node default provider chain (environment, SSO, profile, container, instance) */
  credentials?: AossCredentials;
  fetch?: typeof fetch;
  retry?: AossRetryOptions;
  /** per request, and never past the invocation's margin @default 30000 */
  timeoutMs?: number;
  /** what the invocation has left (Lambda's `getRemainingTimeInMillis`) @default unbounded */
  remainingMs?: RemainingMs;
  /**
   * time kept back from the invocation's end: no request starts, runs on, or waits for a retry
   * into it; OutOfTime says so @default 30000
   */
  marginMs?: number;
}

export interface AossRequest {
  query?: Record<string, string>;
  /** an object is sent as JSON; a string (NDJSON for `_bulk`) as it is */
  body?: unknown;
  contentType?: string;
  /** statuses answered as they are instead of raising (404 for a missing index) */
  accept?: number[];
}

export interface AossResponse<T = unknown> {
  status: number;
  body: T;
}

/** An error answer of OpenSearch: carries its status, type and reason, never the request's headers. */
export class AossError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    readonly reason: string,
    what: string,
  ) {
    super(`OpenSearch ${what} failed with ${status} ${errorType}: ${reason}`);
    this.name = 'AossError';
  }
}

/** AOSS sheds load with 429 and answers 503 while it scales; both are safe to send again. */
const RETRYABLE = new Set([429, 503]);

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** OpenSearch's error body: `{error: {type, reason, root_cause}, status}` (or a plain message). */
function describeError(status: number, body: unknown): { type: string; reason: string } {
  const error = (body as { error?: unknown } | null)?.error;
  if (error && typeof error === 'object') {
    const e = error as { type?: string; reason?: string; root_cause?: { type?: string; reason?: string }[] };
    const root = e.root_cause?.[0];
    return { type: e.type ?? root?.type ?? 'error', reason: e.reason ?? root?.reason ?? 'no reason given' };
  }
  if (typeof error === 'string') return { type: 'error', reason: error };
  const message = (body as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return { type: 'error', reason: message };
  return { type: 'http_error', reason: `HTTP ${status}` };
}

/**
 * A small HTTP client for one or more OpenSearch Serverless collection endpoints: every request
 * is signed with SigV4 for service `aoss`, carrying the `x-amz-content-sha256` header AOSS
 * requires; 429 and 503 are retried with exponential backoff and jitter, a bounded number of
 * times; any other error status raises an AossError with OpenSearch's type and reason.
 */
export class AossClient {
  private readonly signer: AossSigner;
  private readonly fetch: typeof fetch;
  /** attempts in all for a retryable answer (bulk items rejected with 429 use it too) */
  readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;
  private readonly remainingMs: RemainingMs;
  private readonly marginMs: number;

  constructor(opts: AossClientOptions) {
    this.signer =
      opts.signer ??
      new SignatureV4({
        service: 'aoss',
        region: opts.region,
        credentials: opts.credentials ?? defaultProvider(),
        sha256: Sha256,
      });
    this.fetch = opts.fetch ?? globalThis.fetch;
    this.attempts = Math.max(1, opts.retry?.attempts ?? 5);
    this.baseDelayMs = opts.retry?.baseDelayMs ?? 200;
    this.maxDelayMs = opts.retry?.maxDelayMs ?? 5000;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.remainingMs = opts.remainingMs ?? UNBOUNDED;
    this.marginMs = opts.marginMs ?? 30_000;
  }

  /** Milliseconds a request may still take before the margin; OutOfTime when there are none. */
  private allowance(what: string): number {
    const left = this.remainingMs() - this.marginMs;
    if (left <= 0) throw new OutOfTime(`no time left for ${what}`);
    return left;
  }

  /** Waits `ms` before trying again, unless the wait would end inside the margin (OutOfTime then). */
  async pause(ms: number, what: string): Promise<void> {
    if (this.remainingMs() - ms <= this.marginMs) throw new OutOfTime(`no time left to retry ${what}`);
    await sleep(ms);
  }

  async request<T = unknown>(
    endpoint: string,
    method: string,
    path: string,
    req: AossRequest = {},
  ): Promise<AossResponse<T>> {
    const what = `${method} ${path}`;
    for (let attempt = 1; ; attempt++) {
      const allowance = this.allowance(what);
      const timeoutMs = Math.min(this.timeoutMs, allowance);
      let res: Response;
      let text: string;
      try {
        res = await this.send(endpoint, method, path, req, timeoutMs);
        text = await res.text();
      } catch (e) {
        // cut short by the invocation's end rather than by the request's own timeout
        if (timeoutMs < this.timeoutMs && (e as Error).name === 'TimeoutError') {
          throw new OutOfTime(`${what} ran into the end of the invocation`);
        }
        throw e;
      }
      const body = parseBody(text);
      if (res.ok || req.accept?.includes(res.status)) return { status: res.status, body: body as T };
      if (RETRYABLE.has(res.status) && attempt < this.attempts) {
        await this.pause(this.backoff(attempt, res.headers.get('retry-after')), what);
        continue;
      }
      const { type, reason } = describeError(res.status, body);
      throw new AossError(res.status, type, reason, what);
    }
  }

  private async send(
    endpoint: string,
    method: string,
    path: string,
    req: AossRequest,
    timeoutMs: number,
  ): Promise<Response> {
    const url = new URL(endpoint);
    const payload =
      req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const headers: Record<string, string> = { host: url.host, 'x-amz-content-sha256': sha256Hex(payload ?? '') };
    if (payload !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
    const request = new HttpRequest({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path,
      query: req.query,
      headers,
      body: payload,
    });
    const signed = await this.signer.sign(request);
    // fetch derives Host from the URL (the same host that was signed) and refuses to take it as a header
    const { host: _host, ...sendHeaders } = signed.headers;
    const qs = req.query ? `?${new URLSearchParams(req.query).toString()}` : '';
    return this.fetch(`${url.origin}${path}${qs}`, {
      method,
      headers: sendHeaders,
      body: payload,
      signal: AbortSignal.timeout(timeoutMs),
    });
  }

  /** Exponential backoff with jitter before retry number `attempt`, at least what Retry-After asks. */
  backoff(attempt: number, retryAfter: string | null = null): number {
    const exponential = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    const jittered = exponential / 2 + Math.random() * (exponential / 2);
    const hinted = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : 0;
    return Math.min(this.maxDelayMs, Math.max(jittered, hinted));
  }
}

function parseBody(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
