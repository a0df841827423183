/** What the typed client's parts share: request and answer types, errors, and the transport a part calls through. */
import type { z } from 'zod';
import type { chatCompletions, pageQuery, schemas } from '../http/schemas';
import type * as wire from '../http/wire';

export type In<K extends keyof typeof schemas> = z.input<(typeof schemas)[K]>;
export type PageQuery = z.input<typeof pageQuery>;
export type AuditQuery = In<'auditQuery'>;
export type DocumentQuery = In<'documentQuery'>;
export type DocumentBody = In<'documentJson'>;
export type ChatBody = In<'chat'>;
export type RetrieveBody = In<'retrieve'>;
export type ChatCompletionsBody = z.input<typeof chatCompletions>;

/** An answer that is not the route's success: the API's error body, its status and request id. */
export class OpragApiError extends Error {
  readonly type: string;
  readonly requestId: string | null;
  constructor(
    readonly status: number,
    readonly body: wire.ErrorBody | unknown,
    readonly method: string,
    readonly url: string,
  ) {
    const error = (body as Partial<wire.ErrorBody> | null)?.error;
    super(`${method} ${url}: ${status} ${error?.message ?? (typeof body === 'string' ? body : JSON.stringify(body))}`);
    this.name = 'OpragApiError';
    this.type = error?.type ?? 'unknown';
    this.requestId = error?.request_id ?? null;
  }
}

/** A request that got no answer at all (refused, unresolvable, reset). */
export class OpragNetworkError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    cause: unknown,
  ) {
    const why = (cause as { cause?: { message?: string }; message?: string })?.cause?.message;
    super(`could not reach ${url} (${method}): ${why ?? (cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'OpragNetworkError';
  }
}

/** A raw answer: any status, the body parsed when it is JSON. */
export interface RawResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  /** the body as received (a plain Uint8Array: the client runs in browsers too; `Buffer.from(bytes)` where a Buffer is needed) */
  bytes: Uint8Array<ArrayBuffer>;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function queryString(q: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;

/** How a part of the client reaches the API (the `Oprag` instance it was made from). */
export interface Transport {
  readonly baseUrl: string;
  raw<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<RawResponse<T>>;
  call<T>(method: string, path: string, ok: number[], body?: unknown): Promise<T>;
  /** A request whose `200` answer is a stream of Server-Sent Events, read as they arrive. */
  events(method: string, path: string, body?: unknown): AsyncGenerator<ServerEvent>;
}

/** One Server-Sent Event: its name (`message` when it has none) and its data lines joined. */
export interface ServerEvent {
  event: string;
  data: string;
}

/**
 * The events of a `text/event-stream` body, each yielded once its blank line arrives: `event:`
 * names it, `data:` lines are joined with a newline, comments (`:`) and other fields are skipped.
 */
export async function* serverEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const lines = buffer.split(/\r?\n/);
      buffer = done ? '' : (lines.pop() ?? '');
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
        } else if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      }
      if (done) {
        if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
        return;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
