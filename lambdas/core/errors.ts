/**
 * Typed errors thrown by the core and the use cases: one class per error type of API.md, each
 * carrying its status and, where there is one, the error that caused it. The http layer maps
 * every one to the error body in one place (`http/errors.ts`); anything else becomes a 500 whose
 * message carries no internals.
 */
export type ErrorType =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unprocessable'
  | 'rate_limited'
  | 'internal';

export interface ErrorOptions {
  /** the error this one stands for (kept for logs, never sent to the caller) */
  cause?: unknown;
}

/** An error the caller can act on. Subclasses fix the type and the status. */
export abstract class OpragError extends Error {
  abstract readonly type: ErrorType;
  abstract readonly status: number;
  /** seconds the caller should wait before trying again (`Retry-After`) */
  readonly retryAfterSeconds?: number;
  /** extra top-level fields of the error body, such as the failed document */
  readonly body?: Record<string, unknown>;

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** 400: the request is malformed or breaks a rule of the API. */
export class Invalid extends OpragError {
  readonly type = 'invalid_request';
  readonly status = 400;
}

/** 401: no key, or one that is unknown, revoked or expired. */
export class Unauthorized extends OpragError {
  readonly type = 'unauthorized';
  readonly status = 401;
  constructor(message = 'a valid API key is required', options?: ErrorOptions) {
    super(message, options);
  }
}

/** 403: the key is valid but may not do this. */
export class Forbidden extends OpragError {
  readonly type = 'forbidden';
  readonly status = 403;
  constructor(message = 'this key may not do that', options?: ErrorOptions) {
    super(message, options);
  }
}

/** 404: no such thing within the caller's reach (never a hint that it exists elsewhere). */
export class NotFound extends OpragError {
  readonly type = 'not_found';
  readonly status = 404;
  /** `what` names the thing: "project" gives "project not found" */
  constructor(what = 'resource', options?: ErrorOptions) {
    super(`${what} not found`, options);
  }
}

/** 404 for a path that exists with another method. */
export class MethodNotServed extends OpragError {
  readonly type = 'not_found';
  readonly status = 404;
  constructor(method: string) {
    super(`${method} is not served on this path`);
  }
}

/** 409: the request conflicts with the state of a resource. */
export class Conflict extends OpragError {
  readonly type = 'conflict';
  readonly status = 409;
}

/** 413: the body or the file is larger than allowed. */
export class TooLarge extends OpragError {
  readonly type = 'payload_too_large';
  readonly status = 413;
}

/**
 * The refusal of an upload body of another length than its URL is bound to: 413 when longer
 * (`got` is `'more'` when the body was cut off past the size), 400 when shorter.
 */
export function uploadLengthError(size: number, got: number | 'more'): TooLarge | Invalid {
  const has = got === 'more' ? 'more' : String(got);
  const message = `this upload URL takes exactly ${size} bytes (the size given when it was created); the body has ${has}`;
  return got === 'more' || got > size ? new TooLarge(message) : new Invalid(message);
}

/** 415: a content type Oprag does not read. */
export class UnsupportedMedia extends OpragError {
  readonly type = 'unsupported_media_type';
  readonly status = 415;
}

/** 422: a document sent with `?wait=true` that could not be processed; the body carries it. */
export class DocumentFailed extends OpragError {
  readonly type = 'unprocessable';
  readonly status = 422;
  constructor(message: string, document: unknown, options?: ErrorOptions) {
    super(message, options);
    (this as { body?: Record<string, unknown> }).body = { document };
  }
}

/** 429: a limit of the project was reached; try again after `retryAfterSeconds`. */
export class RateLimited extends OpragError {
  readonly type = 'rate_limited';
  readonly status = 429;
  constructor(message: string, retryAfterSeconds: number, options?: ErrorOptions) {
    super(message, options);
    (this as { retryAfterSeconds?: number }).retryAfterSeconds = retryAfterSeconds;
  }
}

/** Thrown when content of a supported type cannot be read: the document becomes `failed`. */
export class ExtractionError extends Error {
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ExtractionError';
  }
}
