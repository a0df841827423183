/** The public API of Oprag (API.md), called with fetch relative to the configured base URL. */
import type { DocumentView as Doc, UploadCreated } from '../../lambdas/http/wire';
import { session } from './session';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly type: string,
    readonly requestId: string | null = null,
  ) {
    super(message);
  }
}

let apiBase = '';

/** Reads config.json next to index.html; without one, the API is on the same origin. */
export async function loadConfig(): Promise<void> {
  try {
    const res = await fetch('config.json', { cache: 'no-store' });
    if (!res.ok) return;
    const config = (await res.json()) as { apiBaseUrl?: unknown };
    if (typeof config.apiBaseUrl === 'string') apiBase = config.apiBaseUrl.replace(/\/+$/, '');
  } catch {
    // no config: same origin
  }
}

export function apiUrl(path: string): string {
  return `${apiBase}${path}`;
}

const PLAIN: Record<number, string> = {
  401: 'This key is not valid any more (unknown, revoked or expired). Sign in again.',
  403: 'This key is not allowed to do that.',
  404: 'Not found — it may have been deleted, or it belongs to someone else.',
  413: 'That is too large.',
  415: 'That file type is not supported.',
  429: 'Too many requests right now; wait a moment and try again.',
};

/** Turns an error response into plain words, preferring the API's own message. */
export function errorFrom(status: number, text: string): ApiError {
  try {
    const body = JSON.parse(text) as { error?: { type?: string; message?: string; request_id?: string } };
    if (body.error?.message) {
      return new ApiError(body.error.message, status, body.error.type ?? 'error', body.error.request_id ?? null);
    }
  } catch {
    // not JSON
  }
  return new ApiError(PLAIN[status] ?? `The server answered ${status}.`, status, 'error');
}

async function send(method: string, path: string, body?: unknown, key = session.key()): Promise<Response> {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(apiUrl(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('Could not reach the Oprag API. Check your connection and try again.', 0, 'network');
  }
  if (!res.ok) {
    const error = errorFrom(res.status, await res.text());
    // the signed-in key stopped working (revoked, expired): the app signs out
    if (res.status === 401 && key && key === session.key()) window.dispatchEvent(new CustomEvent('oprag:unauthorized'));
    throw error;
  }
  return res;
}

export async function api<T>(method: string, path: string, body?: unknown, key?: string): Promise<T> {
  const res = await send(method, path, body, key);
  return (await res.json()) as T;
}

export async function apiBlob(path: string): Promise<{ blob: Blob; type: string; filename: string | null }> {
  const res = await send('GET', path);
  const disposition = res.headers.get('content-disposition') ?? '';
  const m = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  return {
    blob: await res.blob(),
    type: res.headers.get('content-type') ?? 'application/octet-stream',
    filename: m ? decodeURIComponent(m[1]) : null,
  };
}

/**
 * Files above this go through the uploads flow (a one-time PUT URL). API.md allows 10 MB of body,
 * but on AWS a Lambda takes at most 6 MB of request, base64-encoded: 4 MB of file is safe in both homes.
 */
export const DIRECT_UPLOAD_LIMIT = 4 * 1024 * 1024;

function xhrSend(
  method: string,
  url: string,
  headers: Record<string, string>,
  body: Blob | FormData,
  onProgress: (fraction: number) => void,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        try {
          resolve(xhr.responseText ? JSON.parse(xhr.responseText) : {});
        } catch {
          resolve({});
        }
      } else reject(errorFrom(xhr.status, xhr.responseText));
    };
    xhr.onerror = () => reject(new ApiError('The upload could not reach its destination.', 0, 'network'));
    xhr.send(body);
  });
}

/**
 * Sends one file with progress (XMLHttpRequest: fetch reports no upload progress): a multipart
 * POST up to 4 MB, the uploads flow above that. Resolves with the document, when the API names it.
 */
export async function uploadFile(
  projectId: string,
  file: File,
  fields: Record<string, string>,
  onProgress: (fraction: number) => void,
): Promise<{ document: Doc | null }> {
  const auth = { authorization: `Bearer ${session.key()}` };
  if (file.size <= DIRECT_UPLOAD_LIMIT) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) if (v) form.append(k, v);
    form.append('file', file, file.name);
    const res = (await xhrSend('POST', apiUrl(`${pid(projectId)}/documents`), auth, form, onProgress)) as {
      document: Doc;
    };
    return { document: res.document };
  }
  const meta: Record<string, string | number> = {
    filename: file.name,
    content_type: file.type || 'application/octet-stream',
    // the URL is bound to the file's length: S3 (or the local server) takes no other
    size: file.size,
  };
  for (const [k, v] of Object.entries(fields)) if (v) meta[k] = v;
  const { upload } = await api<UploadCreated>('POST', `${pid(projectId)}/uploads`, meta);
  // the browser sets content-length from the file itself and refuses to have it set by hand
  const headers = Object.fromEntries(
    Object.entries(upload.headers ?? {}).filter(([k]) => k.toLowerCase() !== 'content-length'),
  );
  const res = (await xhrSend('PUT', upload.url, headers, file, onProgress)) as { document?: Doc };
  if (res.document) return { document: res.document };
  try {
    return await api<{ document: Doc }>('GET', `${pid(projectId)}/documents/${encodeURIComponent(upload.document_id)}`);
  } catch {
    return { document: null };
  }
}

/** The API's answers, as the server declares them (type-only: nothing of the server is bundled). */
export type {
  ApiKey,
  AuditEvent,
  AuditPage,
  ChatAnswer,
  Citation,
  Company,
  DocumentPage,
  DocumentView as Doc,
  ExportJob,
  GoldenQuestion,
  GoldenResult,
  GoldenRun,
  GoldenRunStarted,
  NewApiKey,
  Project,
  ProjectCreated,
  ProjectDeleted,
  ProjectPage,
  Role,
  UploadCreated,
} from '../../lambdas/http/wire';

export const pid = (id: string) => `/v1/projects/${encodeURIComponent(id)}`;
