import { type ErrorType, OpragError } from '../core/errors';
import type { Logger } from '../ports';
import { withSecurityHeaders } from './security';
import type { ApiResult } from './types';

export function errorResult(
  type: ErrorType,
  status: number,
  message: string,
  requestId: string,
  extra: { retryAfterSeconds?: number; body?: Record<string, unknown> } = {},
): ApiResult {
  const headers = withSecurityHeaders({ 'content-type': 'application/json', 'x-request-id': requestId });
  if (extra.retryAfterSeconds !== undefined) headers['retry-after'] = String(extra.retryAfterSeconds);
  return {
    statusCode: status,
    headers,
    body: JSON.stringify({ error: { type, message, request_id: requestId }, ...extra.body }),
  };
}

/** Maps anything thrown to API.md's error body. Unknown errors become a 500 that says nothing inside. */
export function toErrorResult(err: unknown, requestId: string, logger: Pick<Logger, 'error' | 'warn'>): ApiResult {
  if (err instanceof OpragError) {
    // the caller hears the typed error; what caused it is for the logs only
    if (err.cause !== undefined) logger.warn('request refused', { error: err.cause, type: err.type });
    return errorResult(err.type, err.status, err.message, requestId, {
      retryAfterSeconds: err.retryAfterSeconds,
      body: err.body,
    });
  }
  logger.error('unexpected error', { error: err });
  return errorResult(
    'internal',
    500,
    'something went wrong on our side; quote the request id if it persists',
    requestId,
  );
}
