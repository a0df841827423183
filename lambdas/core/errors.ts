/**
 * Typed errors thrown by the core and the use cases. The http layer maps each one to the
 * error body of API.md; anything else becomes a 500 whose message carries no internals.
 */
export type ErrorType =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal';

export const STATUS_BY_TYPE: Record<ErrorType, number> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
};

export class OpragError extends Error {
  constructor(
    readonly type: ErrorType,
    message: string,
    readonly extra: {
      retryAfterSeconds?: number;
      /** overrides the type's status: a failed `?wait=true` ingest is a 422 invalid_request */
      status?: number;
      /** extra top-level fields of the error body, such as the failed document */
      body?: Record<string, unknown>;
    } = {},
  ) {
    super(message);
    this.name = 'OpragError';
  }
  get status(): number {
    return this.extra.status ?? STATUS_BY_TYPE[this.type];
  }
}

export const Invalid = (message: string) => new OpragError('invalid_request', message);
export const Unauthorized = (message = 'a valid API key is required') => new OpragError('unauthorized', message);
export const Forbidden = (message = 'this key may not do that') => new OpragError('forbidden', message);
export const NotFound = (what = 'resource') => new OpragError('not_found', `${what} not found`);
export const Conflict = (message: string) => new OpragError('conflict', message);
export const TooLarge = (message: string) => new OpragError('payload_too_large', message);
export const UnsupportedMedia = (message: string) => new OpragError('unsupported_media_type', message);
export const RateLimited = (message: string, retryAfterSeconds: number) =>
  new OpragError('rate_limited', message, { retryAfterSeconds });

/** Thrown when content of a supported type cannot be read: the document becomes `failed`. */
export class ExtractionError extends Error {}
