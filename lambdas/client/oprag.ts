/**
 * The typed client of Oprag's HTTP API (`import { Oprag } from 'oprag/client'`): one method per
 * route of the route table, request bodies typed by the zod schemas the server validates with and
 * answers by the wire types (lambdas/http/wire.ts). Any status other than the route's success
 * throws an `OpragApiError` carrying the API's error body; a request that never got an answer
 * throws an `OpragNetworkError` naming the URL it tried.
 */
import type { z } from 'zod';
import type { pageQuery, schemas } from '../http/schemas';
import type * as wire from '../http/wire';

type In<K extends keyof typeof schemas> = z.input<(typeof schemas)[K]>;
export type PageQuery = z.input<typeof pageQuery>;
export type AuditQuery = In<'auditQuery'>;
export type DocumentQuery = In<'documentQuery'>;
export type DocumentBody = In<'documentJson'>;
export type ChatBody = In<'chat'>;
export type RetrieveBody = In<'retrieve'>;
export type { wire };

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

export interface OpragOptions {
  /** the API, e.g. `http://127.0.0.1:8787` or the API Gateway stage URL */
  baseUrl: string;
  /** a company key (`oprag_ak_`) or a project key (`oprag_pk_`) */
  key?: string;
}

/** A raw answer: any status, the body parsed when it is JSON. */
export interface RawResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  /** the body as received */
  bytes: Buffer;
}

type Query = Record<string, string | number | boolean | undefined | null>;

function queryString(q: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

export class Oprag {
  readonly baseUrl: string;
  private readonly key?: string;

  constructor(opts: OpragOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/$/, '');
    this.key = opts.key;
  }

  /** The same API with another key. */
  withKey(key: string): Oprag {
    return new Oprag({ baseUrl: this.baseUrl, key });
  }

  /** Any request, answered whatever its status; only a network failure throws. */
  async raw<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<RawResponse<T>> {
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
    let res: Response;
    try {
      res = await fetch(url, { method, headers: h, body: payload });
    } catch (e) {
      throw new OpragNetworkError(method, url, e);
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString('utf8');
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

export class ProjectClient {
  constructor(
    private readonly api: Oprag,
    readonly id?: string,
  ) {}

  private get base(): string {
    return this.id === undefined ? '/v1' : `/v1/projects/${enc(this.id)}`;
  }

  /** The base of a route that has no short form. */
  private get full(): string {
    if (this.id === undefined) throw new Error('this route needs a project id: use oprag.project(id)');
    return `/v1/projects/${enc(this.id)}`;
  }

  get(): Promise<{ project: wire.Project }> {
    return this.api.call('GET', this.full, [200]);
  }
  update(body: In<'patchProject'>): Promise<{ project: wire.Project & { webhook_secret?: string } }> {
    return this.api.call('PATCH', this.full, [200], body);
  }
  delete(): Promise<wire.ProjectDeleted> {
    return this.api.call('DELETE', this.full, [200]);
  }
  usage(query: In<'usageQuery'> = {}): Promise<{ usage: wire.UsageDay[] }> {
    return this.api.call('GET', `${this.full}/usage${queryString(query)}`, [200]);
  }
  /** The project as NDJSON text. */
  export(): Promise<string> {
    return this.api.call('GET', `${this.full}/export`, [200]);
  }
  audit(query: AuditQuery = {}): Promise<wire.AuditPage> {
    return this.api.call('GET', `${this.full}/audit${queryString(query)}`, [200]);
  }

  readonly keys = {
    create: (body: In<'projectKey'> = {}): Promise<{ api_key: wire.NewApiKey }> =>
      this.api.call('POST', `${this.full}/keys`, [201], body),
    list: (): Promise<{ keys: wire.ApiKey[] }> => this.api.call('GET', `${this.full}/keys`, [200]),
    revoke: (keyId: string): Promise<{ api_key: wire.ApiKey }> =>
      this.api.call('DELETE', `${this.full}/keys/${enc(keyId)}`, [200]),
  };

  readonly golden = {
    create: (body: In<'goldenCreate'>): Promise<{ golden_question: wire.GoldenQuestion }> =>
      this.api.call('POST', `${this.full}/golden-questions`, [201], body),
    list: (): Promise<{ golden_questions: wire.GoldenQuestion[] }> =>
      this.api.call('GET', `${this.full}/golden-questions`, [200]),
    update: (id: string, body: In<'goldenPatch'>): Promise<{ golden_question: wire.GoldenQuestion }> =>
      this.api.call('PATCH', `${this.full}/golden-questions/${enc(id)}`, [200], body),
    delete: (id: string): Promise<wire.GoldenDeleted> =>
      this.api.call('DELETE', `${this.full}/golden-questions/${enc(id)}`, [200]),
    run: (body: In<'goldenRun'> = {}): Promise<{ run: wire.GoldenRun }> =>
      this.api.call('POST', `${this.full}/golden-questions/run`, [200, 202], body),
    runs: (): Promise<{ runs: wire.GoldenRun[] }> => this.api.call('GET', `${this.full}/golden-runs`, [200]),
  };

  readonly documents = {
    /** JSON ingest; `wait` answers once the document is ready (an `OpragApiError` 422 if it failed). */
    create: (body: DocumentBody, opts: { wait?: boolean } = {}): Promise<wire.DocumentAccepted> =>
      this.api.call('POST', `${this.base}/documents${opts.wait ? '?wait=true' : ''}`, [200, 201, 202], body),
    /**
     * Up to 1000 JSON documents in one request, queued (an addition beyond the 1.1 contract): the
     * answer holds each item's document or its own error, in the order sent; a refused item
     * (invalid, unsupported, past a quota or the rate limit) fails alone and throws nothing.
     */
    createBatch: (documents: DocumentBody[]): Promise<wire.DocumentBatchAccepted> =>
      this.api.call('POST', `${this.base}/documents/batch`, [202], { documents }),
    /** Multipart ingest of a file's bytes with the same fields. */
    upload: (
      file: Uint8Array,
      fields: z.input<(typeof schemas)['documentFields']> & { filename: string },
      opts: { wait?: boolean } = {},
    ): Promise<wire.DocumentAccepted> => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) {
        if (v !== undefined) form.set(k, typeof v === 'string' ? v : JSON.stringify(v));
      }
      form.set('file', new Blob([file]), fields.filename);
      return this.api.call('POST', `${this.base}/documents${opts.wait ? '?wait=true' : ''}`, [200, 201, 202], form);
    },
    list: (query: DocumentQuery = {}): Promise<wire.DocumentPage> =>
      this.api.call('GET', `${this.base}/documents${queryString(query)}`, [200]),
    get: (id: string): Promise<{ document: wire.DocumentView }> =>
      this.api.call('GET', `${this.base}/documents/${enc(id)}`, [200]),
    /** The original bytes (a redirect to a short-lived URL is followed). */
    content: async (id: string): Promise<{ bytes: Buffer; contentType: string }> => {
      const path = `${this.base}/documents/${enc(id)}/content`;
      const res = await this.api.raw<string>('GET', path);
      if (res.status !== 200) throw new OpragApiError(res.status, res.body, 'GET', `${this.api.baseUrl}${path}`);
      return { bytes: res.bytes, contentType: res.headers.get('content-type') ?? '' };
    },
    delete: (id: string): Promise<wire.DocumentDeleted> =>
      this.api.call('DELETE', `${this.base}/documents/${enc(id)}`, [200]),
  };

  readonly uploads = {
    /** A one-time URL for a file too big for a request body. */
    create: (body: In<'upload'>): Promise<wire.UploadCreated> =>
      this.api.call('POST', `${this.base}/uploads`, [201], body),
    /** PUTs the bytes to an upload URL (the local server's, or S3's on AWS). */
    put: async (upload: wire.UploadCreated['upload'], bytes: Uint8Array): Promise<{ document?: wire.DocumentView }> => {
      const res = await this.api.raw<{ document?: wire.DocumentView }>(
        upload.method,
        upload.url,
        bytes,
        upload.headers,
      );
      if (res.status >= 300) throw new OpragApiError(res.status, res.body, upload.method, upload.url);
      return typeof res.body === 'object' && res.body ? res.body : {};
    },
    /**
     * A file through an upload URL in one call: the URL is created bound to the file's length
     * (`size`), then the bytes are PUT to it. Answers the URL and, where the home names it, the document.
     */
    send: async (
      bytes: Uint8Array,
      fields: Omit<In<'upload'>, 'size'>,
    ): Promise<{ upload: wire.UploadCreated['upload']; document?: wire.DocumentView }> => {
      const { upload } = await this.uploads.create({ ...fields, size: bytes.length });
      return { upload, ...(await this.uploads.put(upload, bytes)) };
    },
  };

  retrieve(body: RetrieveBody): Promise<wire.RetrieveAnswer> {
    return this.api.call('POST', `${this.base}/retrieve`, [200], body);
  }

  chat(body: ChatBody & { stream?: false }): Promise<wire.ChatAnswer> {
    return this.api.call('POST', `${this.base}/chat`, [200], body);
  }
}
