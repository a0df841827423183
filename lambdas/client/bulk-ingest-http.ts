/**
 * How `oprag ingest` talks to the API: requests over kept-alive node:http(s) connections, retried
 * where another try can succeed, and the statuses that stop the whole run.
 */
import { randomBytes } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { IngestAbort } from './bulk-ingest-files';

const REQUEST_TIMEOUT_MS = 120_000;
const RETRIES = 5;

/** A document as the API lists it: the fields a bulk run reads. */
export interface Doc {
  id: string;
  external_id: string | null;
  status: 'queued' | 'processing' | 'ready' | 'failed';
  content_hash: string;
  error?: string | null;
}
export interface Reply {
  status: number;
  body: { error?: { message?: string }; [k: string]: unknown };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const message = (r: Reply) => r.body?.error?.message ?? `HTTP ${r.status}`;

type Body = string | Buffer | undefined;
interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * One request over node:http(s) with kept-alive connections: for the many small calls of a bulk
 * run it costs the client a fraction of what fetch does.
 */
export function requester(concurrency: number) {
  const agents = {
    'http:': new HttpAgent({ keepAlive: true, maxSockets: concurrency }),
    'https:': new HttpsAgent({ keepAlive: true, maxSockets: concurrency }),
  };
  const send = (method: string, url: string, headers: Record<string, string>, body: Body) =>
    new Promise<RawReply>((resolve, reject) => {
      const target = new URL(url);
      const protocol = target.protocol === 'https:' ? 'https:' : 'http:';
      const req = (protocol === 'https:' ? httpsRequest : httpRequest)(
        target,
        {
          method,
          agent: agents[protocol],
          headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(parts).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end(body);
    });
  const close = () => {
    for (const a of Object.values(agents)) a.destroy();
  };
  return { send, close };
}

/** A file and its external id as multipart/form-data, as a browser's FormData would send them. */
export function multipartBody(
  bytes: Buffer,
  filename: string,
  externalId: string,
  extra: { title?: string; url?: string; tags?: string[] } = {},
) {
  const boundary = `----oprag${randomBytes(12).toString('hex')}`;
  const quoted = (v: string) => v.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoted(filename)}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    bytes,
    Buffer.from(
      [
        ['external_id', externalId],
        ['title', extra.title],
        ['url', extra.url],
        ['tags', extra.tags ? JSON.stringify(extra.tags) : undefined],
      ]
        .filter(([, v]) => v !== undefined)
        .map(([name, v]) => `\r\n--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${v}`)
        .join('') + `\r\n--${boundary}--\r\n`,
    ),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

export function makeApi(baseUrl: string, key: string, send: ReturnType<typeof requester>['send']) {
  const root = baseUrl.replace(/\/$/, '');
  /** One call, retried on 429 (after Retry-After), 5xx and network errors; PUTs to upload URLs are never retried. */
  return async function call(
    method: string,
    pathOrUrl: string,
    body?: Body,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    const external = /^https?:\/\//.test(pathOrUrl);
    const url = external ? pathOrUrl : `${root}${pathOrUrl}`;
    const retries = external ? 0 : RETRIES;
    for (let attempt = 0; ; attempt++) {
      let res: RawReply;
      try {
        res = await send(method, url, external ? headers : { authorization: `Bearer ${key}`, ...headers }, body);
      } catch (e) {
        if (attempt >= retries) throw new IngestAbort(`${method} ${url}: ${(e as Error).message}`);
        await sleep(250 * 2 ** attempt);
        continue;
      }
      if ((res.status === 429 || res.status >= 500) && attempt < retries) {
        const after = Number(res.headers['retry-after']);
        await sleep(after > 0 ? after * 1000 : 250 * 2 ** attempt);
        continue;
      }
      const text = res.text;
      try {
        return { status: res.status, body: JSON.parse(text) };
      } catch {
        return { status: res.status, body: { error: { message: text.slice(0, 200) || `HTTP ${res.status}` } } };
      }
    }
  };
}

/** Statuses that no other file will fare better with: stop the run with the API's own words. */
export function abortOn(res: Reply, project: string, what: string) {
  if (res.status === 401) throw new IngestAbort(`${what}: 401, the key is unknown, revoked or expired`);
  if (res.status === 403) {
    throw new IngestAbort(
      `${what}: 403, ${message(res)} (ingesting needs a project key with the ingest scope, or a company admin key)`,
    );
  }
  if (res.status === 404) throw new IngestAbort(`${what}: 404, project ${project} not found for this key`);
}

/** One API call of a bulk run (see makeApi). */
export type Api = ReturnType<typeof makeApi>;

/** Every document of the project (with that status, when one is given), by id, page by page. */
export async function listDocuments(
  call: Api,
  base: string,
  project: string,
  status?: string,
): Promise<Map<string, Doc>> {
  const found = new Map<string, Doc>();
  for (let cursor: string | null = null, first = true; first || cursor; first = false) {
    const query = `limit=200${status ? `&status=${status}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await call('GET', `${base}/documents?${query}`);
    abortOn(res, project, 'listing the documents');
    if (res.status !== 200) throw new IngestAbort(`listing the documents: ${res.status}, ${message(res)}`);
    for (const d of res.body.documents as Doc[]) found.set(d.id, d);
    cursor = (res.body.next_cursor as string | null) ?? null;
  }
  return found;
}
