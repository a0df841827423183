/**
 * The public API of Oprag (API.md), called through the typed client (`oprag/client`,
 * lambdas/client/oprag.ts) relative to the configured base URL; its errors become plain words.
 */
import { Oprag, OpragApiError, OpragNetworkError } from '../../lambdas/client/oprag';
import type { DocumentView as Doc } from '../../lambdas/http/wire';
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

const PLAIN: Record<number, string> = {
  401: 'This key is not valid any more (unknown, revoked or expired). Sign in again.',
  403: 'This key is not allowed to do that.',
  404: 'Not found — it may have been deleted, or it belongs to someone else.',
  413: 'That is too large.',
  415: 'That file type is not supported.',
  429: 'Too many requests right now; wait a moment and try again.',
};

type ErrorBody = { error?: { type?: string; message?: string; request_id?: string } };

/** An error answer in plain words: the API's own message where its body has one, else PLAIN's. */
function errorOf(status: number, body: unknown): ApiError {
  const error = (body as ErrorBody | null)?.error;
  if (typeof error?.message === 'string' && error.message) {
    return new ApiError(error.message, status, error.type ?? 'error', error.request_id ?? null);
  }
  return new ApiError(PLAIN[status] ?? `The server answered ${status}.`, status, 'error');
}

/** Turns an error response's text into plain words (the upload requests, which bypass the client). */
function errorFrom(status: number, text: string): ApiError {
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return errorOf(status, body);
}

const UNREACHABLE = 'Could not reach the Oprag API. Check your connection and try again.';

/** The typed client's errors in the plain words the views show: the API's own message, or PLAIN. */
export function plainError(e: unknown): unknown {
  if (e instanceof OpragApiError)
    return typeof e.body === 'string' ? errorFrom(e.status, e.body) : errorOf(e.status, e.body);
  if (e instanceof OpragNetworkError) return new ApiError(UNREACHABLE, 0, 'network');
  return e;
}

/**
 * The typed client for the signed-in key, or for a given one (sign-in checks a key before keeping
 * it). When the signed-in key gets a 401 (revoked, expired), the app signs out.
 */
export function client(key: string | null = session.key()): Oprag {
  return new Oprag({
    baseUrl: apiBase,
    key: key ?? undefined,
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      if (res.status === 401 && key && key === session.key())
        window.dispatchEvent(new CustomEvent('oprag:unauthorized'));
      return res;
    },
  });
}

/**
 * One call of the typed client, e.g. `api((o) => o.project(id).documents.list({ limit: 100 }))`;
 * it throws an `ApiError` in plain words, the same a view shows for any error of the API.
 */
export async function api<T>(call: (oprag: Oprag) => Promise<T>, key?: string): Promise<T> {
  try {
    return await call(client(key ?? session.key()));
  } catch (e) {
    throw plainError(e);
  }
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
 * Sends one file with progress: a multipart POST up to 4 MB, the uploads flow above that. Resolves
 * with the document, when the API names it. The bytes go by XMLHttpRequest, the one browser API that
 * reports upload progress (the typed client sends with fetch, which does not); the upload URL and
 * the document are asked for through the client.
 */
export async function uploadFile(
  projectId: string,
  file: File,
  fields: { title?: string; url?: string },
  onProgress: (fraction: number) => void,
): Promise<{ document: Doc | null }> {
  const given = Object.fromEntries(Object.entries(fields).filter(([, v]) => v)) as typeof fields;
  if (file.size <= DIRECT_UPLOAD_LIMIT) {
    const form = new FormData();
    for (const [k, v] of Object.entries(given)) form.append(k, v);
    form.append('file', file, file.name);
    const auth = { authorization: `Bearer ${session.key()}` };
    const url = `${apiBase}/v1/projects/${encodeURIComponent(projectId)}/documents`;
    const res = (await xhrSend('POST', url, auth, form, onProgress)) as { document: Doc };
    return { document: res.document };
  }
  const { upload } = await api((o) =>
    o.project(projectId).uploads.create({
      ...given,
      filename: file.name,
      content_type: file.type || 'application/octet-stream',
      // the URL is bound to the file's length: S3 (or the local server) takes no other
      size: file.size,
    }),
  );
  // the browser sets content-length from the file itself and refuses to have it set by hand
  const headers = Object.fromEntries(
    Object.entries(upload.headers ?? {}).filter(([k]) => k.toLowerCase() !== 'content-length'),
  );
  const res = (await xhrSend('PUT', upload.url, headers, file, onProgress)) as { document?: Doc };
  if (res.document) return { document: res.document };
  try {
    return await api((o) => o.project(projectId).documents.get(upload.document_id));
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
  Scope,
  UploadCreated,
} from '../../lambdas/http/wire';
