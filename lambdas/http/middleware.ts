import type middy from '@middy/core';
import type { Context as LambdaContext } from 'aws-lambda';
import { OpragError } from '../core/errors';
import { newId } from '../core/ids';
import type { Logger } from '../ports';
import type { Principal, Services } from '../service';
import type { CompanyAccess, ProjectAccess } from '../service/access';
import { toErrorResult } from './errors';
import type { Match } from './router';
import type { ApiEvent, ApiResult } from './types';

/**
 * The app's middlewares around every route (app.ts puts them in order): the request's id and its
 * log line, CORS, the error body and the audit event, and the state they share about a request.
 */

/** What the middlewares share about one request. */
export interface RequestState {
  /** API Gateway's request id (the local server sets one in the event too) */
  requestId: string;
  /** the app's logger, writing the request id on every line */
  log: Logger;
  started: number;
  match?: Match;
  principal?: Principal;
  projectId?: string | null;
  /** what the router authorized the call for: the path's project, or the caller's company */
  access?: ProjectAccess | CompanyAccess;
  body?: Buffer;
  auditDetail?: Record<string, unknown>;
  /** set for a streamed reply: writes the audit event once the stream has ended */
  auditAfterStream?: (status: number) => Promise<void>;
}

/** The Lambda context, carrying the request's state from the middlewares to the handler. */
export type AppContext = LambdaContext & { oprag: RequestState };
export type Request = middy.Request<ApiEvent, ApiResult, Error, AppContext>;
export type Middleware = middy.MiddlewareObj<ApiEvent, ApiResult, Error, AppContext>;

/** The request's one id: API Gateway's own; a new one only for an event that carries none. */
export function requestIdOf(event: ApiEvent): string {
  return event.requestContext?.requestId || newId('request');
}

/**
 * Takes the request's id before anything else runs, stamps it on every response, and logs one
 * line per request: the route (its pattern, never the path: upload paths hold a token), status
 * and duration.
 */
export const requestIdMiddleware = (logger: Logger): Middleware => {
  const done = (request: Request) => {
    const { log, match, started } = request.context.oprag;
    log.info('request', {
      method: request.event.httpMethod,
      route: match ? match.compiled.route.path : null,
      status: request.response?.statusCode ?? 500,
      duration_ms: Date.now() - started,
    });
  };
  return {
    before: (request: Request) => {
      const requestId = requestIdOf(request.event);
      request.context.oprag = { requestId, log: logger.with({ request_id: requestId }), started: Date.now() };
    },
    after: (request: Request) => {
      if (request.response)
        request.response.headers = { ...request.response.headers, 'x-request-id': request.context.oprag.requestId };
      done(request);
    },
    // runs last: the error middleware has answered by then
    onError: done,
  };
};

/** Lets the dashboard's origin read every answer, errors included (API Gateway answers preflights). */
export const corsMiddleware = (origin: string): Middleware => {
  const stamp = (request: Request) => {
    if (!request.response) return;
    request.response.headers = {
      ...request.response.headers,
      'access-control-allow-origin': origin,
      'access-control-expose-headers': 'x-request-id, retry-after',
      vary: 'Origin',
    };
  };
  return { after: stamp, onError: stamp };
};

/** Maps thrown errors to API.md's error body; a 500 carries no internals. */
export const errorMiddleware = (): Middleware => ({
  onError: (request: Request) => {
    const { requestId, log } = request.context.oprag;
    request.response = toErrorResult(request.error, requestId, log);
  },
});

/** Writes the audit event of every authenticated call, whatever its outcome. */
export const auditMiddleware = (services: Services): Middleware => {
  const record = async (request: Request, status: number) => {
    const { principal, match, requestId, log } = request.context.oprag;
    if (!principal || !match) return;
    const outcome = status < 400 ? 'success' : [401, 403, 404].includes(status) ? 'denied' : 'failed';
    try {
      await services.audit.record(principal, {
        projectId: request.context.oprag.projectId ?? null,
        action: match.compiled.route.action,
        resource: request.event.path,
        outcome,
        requestId,
        detail: request.context.oprag.auditDetail,
      });
    } catch (e) {
      log.error('audit write failed', { error: e });
    }
  };
  return {
    after: async (request: Request) => {
      if ((request.response as ApiResult | undefined)?.stream) {
        request.context.oprag.auditAfterStream = (status) => record(request, status);
        return;
      }
      await record(request, request.response?.statusCode ?? 200);
    },
    onError: async (request: Request) => {
      const status = request.error instanceof OpragError ? request.error.status : 500;
      await record(request, status);
    },
  };
};
