import { TooLarge, uploadLengthError } from '../core/errors';
import type { ApiEvent } from './types';

/** How large a request body may be, by route kind. */
export interface BodyLimits {
  /** the largest document accepted in a request body (the home's `maxBodyBytes` setting) */
  maxBodyBytes: number;
  /** the largest file an upload URL takes (the home's `maxUploadBytes`; 100 MB when absent) */
  maxUploadBytes?: number;
  /** multipart framing allowed on top of the document size limit */
  bodySlackBytes?: number;
}

/** The request's declared `content-length`, or null when it has none (a chunked body). */
function declaredLength(event: ApiEvent): number | null {
  const entry = Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-length');
  const value = entry?.[1];
  return value != null && /^\d+$/.test(value.trim()) ? Number(value) : null;
}

/**
 * The request's body, at most what the route may carry: a document of `maxBodyBytes` in JSON or
 * multipart, or a whole upload. The local server reads it from the socket only now; API Gateway
 * has delivered it with the event. An upload URL bound to a `size` takes exactly that many
 * bytes: another declared length is refused unread, and a body is read no further than `size`.
 */
export async function readBody(
  event: ApiEvent,
  upload: boolean,
  opts: BodyLimits,
  size: number | null = null,
): Promise<Buffer> {
  const maxUpload = opts.maxUploadBytes ?? 100 * 2 ** 20;
  const bound = upload && size !== null;
  if (bound) {
    const declared = declaredLength(event);
    if (declared !== null && declared !== size) throw uploadLengthError(size, declared);
  }
  const limit = bound ? size : upload ? maxUpload : requestBodyLimit(opts.maxBodyBytes, opts.bodySlackBytes);
  const refuse = () => (bound ? uploadLengthError(size, 'more') : tooLarge(upload, opts));
  const body = event.readBody
    ? await event.readBody(limit, upload, bound ? refuse : undefined)
    : (event.rawBody ??
      (event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0)));
  if (body.length > limit) throw refuse();
  if (bound && body.length !== size) throw uploadLengthError(size, body.length);
  return body;
}

/** The 413 of a body past its route's limit. */
export function tooLarge(upload: boolean, opts: Pick<BodyLimits, 'maxBodyBytes' | 'maxUploadBytes'>): TooLarge {
  const maxUpload = opts.maxUploadBytes ?? 100 * 2 ** 20;
  return new TooLarge(
    upload
      ? `the file may be at most ${maxUpload / 2 ** 20} MB`
      : `the body may hold a document of at most ${opts.maxBodyBytes / 2 ** 20} MB; send larger files through uploads`,
  );
}

/**
 * The largest request body read for a document of `maxBodyBytes`: the document base64-encoded in
 * JSON, plus the fields and multipart framing around it. The document's own size is checked after.
 */
export function requestBodyLimit(maxBodyBytes: number, slackBytes = 256 * 1024): number {
  return Math.ceil((maxBodyBytes * 4) / 3) + slackBytes;
}
