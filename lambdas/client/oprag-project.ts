import type * as wire from '../http/wire';
import {
  type AuditQuery,
  type ChatBody,
  type ChatCompletionsBody,
  type DocumentBody,
  type DocumentQuery,
  enc,
  type In,
  OpragApiError,
  queryString,
  type RetrieveBody,
  type Transport,
} from './oprag-common';

/** The file name of a `content-disposition` header: `filename*=UTF-8''…` first, then `filename="…"`. */
function filenameOf(disposition: string | null): string | null {
  if (!disposition) return null;
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (encoded) {
    try {
      return decodeURIComponent(encoded[1]);
    } catch {
      return null;
    }
  }
  return /filename="([^"]*)"/i.exec(disposition)?.[1] ?? null;
}

/** One project's routes: by id with a company key, or the key's own project (the short forms). */
export class ProjectClient {
  constructor(
    private readonly api: Transport,
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
    /** Starts a run in the background (`202`): its id, time, `running` status and total; `getRun` follows it. */
    run: (body: In<'goldenRun'> = {}): Promise<{ run: wire.GoldenRunStarted }> =>
      this.api.call('POST', `${this.full}/golden-questions/run`, [200, 202], body),
    runs: (): Promise<{ runs: wire.GoldenRun[] }> => this.api.call('GET', `${this.full}/golden-runs`, [200]),
    /** One run, with the results of the questions answered so far. */
    getRun: (runId: string): Promise<{ run: wire.GoldenRun }> =>
      this.api.call('GET', `${this.full}/golden-runs/${enc(runId)}`, [200]),
  };

  /** Exports written in the background, then offered once as a short-lived download `url`. */
  readonly exports = {
    /** Starts one (`202`); `originals` puts each document's original bytes in the file, base64. */
    create: (opts: { originals?: boolean } = {}): Promise<{ export: wire.ExportJob }> =>
      this.api.call('POST', `${this.full}/exports${opts.originals ? '?originals=true' : ''}`, [202]),
    get: (exportId: string): Promise<{ export: wire.ExportJob }> =>
      this.api.call('GET', `${this.full}/exports/${enc(exportId)}`, [200]),
  };

  readonly documents = {
    /** JSON ingest; `wait` answers once the document is ready (an `OpragApiError` 422 if it failed). */
    create: (body: DocumentBody, opts: { wait?: boolean } = {}): Promise<wire.DocumentAccepted> =>
      this.api.call('POST', `${this.base}/documents${opts.wait ? '?wait=true' : ''}`, [200, 201, 202], body),
    /**
     * Up to 1000 JSON documents in one request, queued (an addition beyond the 1.1 contract): the
     * answer holds each item's document or its own error, in the order sent; a refused item
     * (invalid, unsupported, past a quota or the rate limit) fails alone and throws nothing.
     * `wait` answers once the documents taken in are processed, each `ready` or `failed`.
     */
    createBatch: (documents: DocumentBody[], opts: { wait?: boolean } = {}): Promise<wire.DocumentBatchAccepted> =>
      this.api.call('POST', `${this.base}/documents/batch${opts.wait ? '?wait=true' : ''}`, [200, 202], { documents }),
    /** Multipart ingest of a file's bytes with the same fields. */
    upload: (
      file: Uint8Array,
      fields: In<'documentFields'> & { filename: string },
      opts: { wait?: boolean } = {},
    ): Promise<wire.DocumentAccepted> => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) {
        if (v !== undefined) form.set(k, typeof v === 'string' ? v : JSON.stringify(v));
      }
      // a copy: a Blob takes only bytes over a plain ArrayBuffer
      form.set('file', new Blob([new Uint8Array(file)]), fields.filename);
      return this.api.call('POST', `${this.base}/documents${opts.wait ? '?wait=true' : ''}`, [200, 201, 202], form);
    },
    list: (query: DocumentQuery = {}): Promise<wire.DocumentPage> =>
      this.api.call('GET', `${this.base}/documents${queryString(query)}`, [200]),
    get: (id: string): Promise<{ document: wire.DocumentView }> =>
      this.api.call('GET', `${this.base}/documents/${enc(id)}`, [200]),
    /** Changes what citations show (title, url, tags, metadata) without ingesting again. */
    update: (id: string, body: In<'documentPatch'>): Promise<{ document: wire.DocumentView }> =>
      this.api.call('PATCH', `${this.base}/documents/${enc(id)}`, [200], body),
    /**
     * The original bytes (a redirect to a short-lived URL is followed), their content type, and the
     * file name the answer gives (`content-disposition`), if any.
     */
    content: async (
      id: string,
    ): Promise<{ bytes: Uint8Array<ArrayBuffer>; contentType: string; filename: string | null }> => {
      const path = `${this.base}/documents/${enc(id)}/content`;
      const res = await this.api.raw<string>('GET', path);
      if (res.status !== 200) throw new OpragApiError(res.status, res.body, 'GET', `${this.api.baseUrl}${path}`);
      return {
        bytes: res.bytes,
        contentType: res.headers.get('content-type') ?? '',
        filename: filenameOf(res.headers.get('content-disposition')),
      };
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

  /**
   * The same answer streamed (`stream: true`): each `delta`'s text as the answer is written, then
   * the whole answer once (`done`). An error after the stream began throws `OpragApiError` with
   * the error body the server sent.
   */
  async *chatStream(body: ChatBody): AsyncGenerator<{ delta: string } | { done: wire.ChatAnswer }> {
    const path = `${this.base}/chat`;
    for await (const e of this.api.events('POST', path, { ...body, stream: true })) {
      const data = JSON.parse(e.data);
      if (e.event === 'delta') yield { delta: (data as { text: string }).text };
      else if (e.event === 'done') yield { done: data as wire.ChatAnswer };
      else if (e.event === 'error') throw new OpragApiError(200, data, 'POST', `${this.api.baseUrl}${path}`);
    }
  }

  /**
   * `POST /v1/chat/completions` with a project key (the short form only): the answer in OpenAI's
   * Chat Completions shape, with the `oprag` object beside `choices`.
   */
  chatCompletions(body: ChatCompletionsBody & { stream?: false | null }): Promise<wire.ChatCompletion> {
    return this.api.call('POST', '/v1/chat/completions', [200], body);
  }
}
