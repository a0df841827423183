/**
 * The typed client of Oprag's HTTP API (`import { Oprag } from 'oprag/client'`): one method per
 * route of the route table, request bodies typed by the zod schemas the server validates with and
 * answers by the wire types (lambdas/http/wire.ts). Any status other than the route's success
 * throws an `OpragApiError` carrying the API's error body; a request that never got an answer
 * throws an `OpragNetworkError` naming the URL it tried. It uses nothing of Node's (no `Buffer`), so
 * the dashboard calls the API through it in the browser as the CLI does in Node.
 */
import type * as wire from '../http/wire';
import {
  type AuditQuery,
  enc,
  type In,
  OpragApiError,
  OpragNetworkError,
  type PageQuery,
  queryString,
  type RawResponse,
  type ServerEvent,
  serverEvents,
} from './oprag-common';
import { ProjectClient } from './oprag-project';

export {
  type AuditQuery,
  type ChatBody,
  type ChatCompletionsBody,
  type DocumentBody,
  type DocumentQuery,
  OpragApiError,
  OpragNetworkError,
  type PageQuery,
  type RawResponse,
  type RetrieveBody,
  type ServerEvent,
  serverEvents,
} from './oprag-common';
export { ProjectClient } from './oprag-project';
export type { wire };

export interface OpragOptions {
  /** the API, e.g. `http://127.0.0.1:8787` or the API Gateway stage URL */
  baseUrl: string;
  /** a company key (`oprag_ak_`) or a project key (`oprag_pk_`) */
  key?: string;
  /** the fetch to send requests with (the global one unless given), e.g. one that watches for a 401 */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

/** Reads the body as UTF-8 text, keeping a byte-order mark as a character, as it came. */
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

export class Oprag {
  readonly baseUrl: string;
  private readonly key?: string;
  private readonly fetchFn?: OpragOptions['fetch'];

  constructor(opts: OpragOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/$/, '');
    this.key = opts.key;
    this.fetchFn = opts.fetch;
  }

  /** The same API with another key (and the same fetch). */
  withKey(key: string): Oprag {
    return new Oprag({ baseUrl: this.baseUrl, key, fetch: this.fetchFn });
  }

  /** Any request, answered whatever its status; only a network failure throws. */
  async raw<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<RawResponse<T>> {
    return this.read<T>(await this.send(method, path, body, headers));
  }

  /** Sends a request and answers its response unread; only a network failure throws. */
  private async send(method: string, path: string, body: unknown, headers: Record<string, string>) {
    const url = /^https?:\/\//.test(path) ? path : `${this.baseUrl}${path}`;
    const h: Record<string, string> = { ...headers };
    if (this.key && !/^https?:\/\//.test(path)) h.authorization = `Bearer ${this.key}`;
    let payload: RequestInit['body'];
    if (body instanceof Uint8Array || typeof body === 'string' || body instanceof FormData)
      payload = body as RequestInit['body'];
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    // the global fetch is looked up at each request, and neither is called as a method of this client
    const fetchWith = this.fetchFn ?? ((input: string, init: RequestInit) => fetch(input, init));
    try {
      return await fetchWith(url, { method, headers: h, body: payload });
    } catch (e) {
      throw new OpragNetworkError(method, url, e);
    }
  }

  /** A response's body, parsed when it is JSON. */
  private async read<T>(res: Response): Promise<RawResponse<T>> {
    const bytes = new Uint8Array(await res.arrayBuffer());
    const text = UTF8.decode(bytes);
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('application/json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        // keep the text
      }
    }
    return { status: res.status, body: parsed as T, headers: res.headers, bytes };
  }

  /** A request whose answer must have one of `ok`'s statuses; anything else throws `OpragApiError`. */
  async call<T>(method: string, path: string, ok: number[], body?: unknown): Promise<T> {
    const res = await this.raw<T>(method, path, body);
    if (!ok.includes(res.status)) throw new OpragApiError(res.status, res.body, method, `${this.baseUrl}${path}`);
    return res.body;
  }

  /**
   * A request answered with Server-Sent Events, each yielded as it arrives; any status but `200`
   * throws `OpragApiError` with the error body, before the first event.
   */
  async *events(method: string, path: string, body?: unknown): AsyncGenerator<ServerEvent> {
    const res = await this.send(method, path, body, { accept: 'text/event-stream' });
    if (res.status !== 200 || !res.body) {
      const answer = await this.read(res);
      throw new OpragApiError(answer.status, answer.body, method, `${this.baseUrl}${path}`);
    }
    yield* serverEvents(res.body);
  }

  /** `GET /v1/openapi.json`: the OpenAPI document (no key needed). */
  openapi(): Promise<Record<string, unknown>> {
    return this.call('GET', '/v1/openapi.json', [200]);
  }

  /** What the key is and may do. */
  me(): Promise<wire.Me> {
    return this.call('GET', '/v1/me', [200]);
  }

  /** The company's own routes (a company key). */
  readonly company = {
    get: (): Promise<{ company: wire.Company }> => this.call('GET', '/v1/company', [200]),
    createKey: (body: In<'companyKey'>): Promise<{ api_key: wire.NewApiKey }> =>
      this.call('POST', '/v1/company/keys', [201], body),
    listKeys: (): Promise<{ keys: wire.ApiKey[] }> => this.call('GET', '/v1/company/keys', [200]),
    revokeKey: (keyId: string): Promise<{ api_key: wire.ApiKey }> =>
      this.call('DELETE', `/v1/company/keys/${enc(keyId)}`, [200]),
    audit: (query: AuditQuery = {}): Promise<wire.AuditPage> =>
      this.call('GET', `/v1/company/audit${queryString(query)}`, [200]),
  };

  /** Creating and listing projects (a company key). */
  readonly projects = {
    create: (body: In<'createProject'>): Promise<wire.ProjectCreated> => this.call('POST', '/v1/projects', [201], body),
    list: (query: PageQuery = {}): Promise<wire.ProjectPage> =>
      this.call('GET', `/v1/projects${queryString(query)}`, [200]),
  };

  /**
   * One project's routes. Without an id, a project key's own project through the short forms
   * (`/v1/documents`, `/v1/uploads`, `/v1/retrieve`, `/v1/chat`); the other routes need the id.
   */
  project(projectId?: string): ProjectClient {
    return new ProjectClient(this, projectId);
  }
}
