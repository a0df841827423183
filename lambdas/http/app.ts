import middy from '@middy/core';
import { Forbidden, MethodNotServed, NotFound, OpragError, Unauthorized } from '../core/errors';
import type { Logger } from '../ports';
import type { Principal, Services } from '../service';
import { grantedCompany, grantedProject } from '../service/access';
import { type BodyLimits, readBody } from './body';
import {
  type AppContext,
  auditMiddleware,
  corsMiddleware,
  errorMiddleware,
  type Middleware,
  type Request,
  type RequestState,
  requestIdMiddleware,
} from './middleware';
import { compileRoutes, type Match, matchRoute } from './router';
import { answerRoutes } from './routes/answers';
import { compatRoutes } from './routes/compat';
import { controlRoutes } from './routes/control';
import { discoveryRoutes } from './routes/discovery';
import { documentRoutes } from './routes/documents';
import { goldenRoutes } from './routes/golden';
import { withSecurityHeaders } from './security';

import type { ApiEvent, ApiResult, Reply, Route } from './types';

export type { AppContext } from './middleware';

export const ALL_ROUTES: Route[] = [
  ...discoveryRoutes,
  ...controlRoutes,
  ...documentRoutes,
  ...answerRoutes,
  ...compatRoutes,
  ...goldenRoutes,
];

export interface AppOptions extends BodyLimits {
  /** the public base URL of this API, for upload URLs; derived from the request when absent */
  publicUrl?: string;
  /** where each request and every unexpected error is reported (the home's logger) */
  logger: Logger;
  /** the dashboard's origin, allowed to call the API from a browser (CORS) */
  corsOrigin?: string;
  /**
   * whether the home sends a streamed body as it comes (the local server, and the query function
   * behind a response-streaming integration); otherwise the app collects it into one body (a
   * function behind a buffered proxy integration)
   * @default false
   */
  streaming?: boolean;
}

function headersOf(event: ApiEvent): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) out[k.toLowerCase()] = v ?? undefined;
  return out;
}

function baseUrlOf(event: ApiEvent, headers: Record<string, string | undefined>, configured?: string): string {
  if (configured) return configured.replace(/\/$/, '');
  const proto = headers['x-forwarded-proto'] ?? 'http';
  const host = headers.host ?? event.requestContext?.domainName ?? 'localhost';
  const stage =
    event.requestContext?.stage &&
    event.requestContext.stage !== '$default' &&
    event.requestContext.domainName?.includes('.execute-api.')
      ? `/${event.requestContext.stage}`
      : '';
  return `${proto}://${host}${stage}`;
}

function toResult(reply: Reply, requestId: string): ApiResult {
  const headers = withSecurityHeaders({ 'x-request-id': requestId, ...reply.headers });
  if (reply.stream) {
    headers['content-type'] = reply.stream.contentType;
    return { statusCode: reply.status, headers, body: '', stream: reply.stream.chunks };
  }
  if (reply.raw) {
    headers['content-type'] = reply.raw.contentType;
    const binary = Buffer.isBuffer(reply.raw.body);
    return {
      statusCode: reply.status,
      headers,
      body: binary ? (reply.raw.body as Buffer).toString('base64') : (reply.raw.body as string),
      isBase64Encoded: binary,
    };
  }
  headers['content-type'] = 'application/json';
  return { statusCode: reply.status, headers, body: JSON.stringify(reply.json ?? {}) };
}

/**
 * Finds the route, resolves the caller's key (or the upload URL's token) and authorizes the call
 * from the headers alone; only then is the body read, so no one without a key buffers a byte.
 */
const routingMiddleware = (
  services: Services,
  routes: ReturnType<typeof compileRoutes>,
  opts: AppOptions,
): Middleware => ({
  before: async (request: Request) => {
    const event = request.event;
    const match = matchRoute(routes, event.httpMethod.toUpperCase(), event.path);
    if (match === null) throw new NotFound('route');
    if (match === 'method') throw new MethodNotServed(event.httpMethod);
    request.context.oprag.match = match;
    const route = match.compiled.route;
    const bound = route.token === 'upload' ? await services.documents.checkUploadToken(match.params.token) : null;
    if (!route.public) await authorize(services, request, match);
    request.context.oprag.body = await readBody(event, route.token === 'upload', opts, bound?.size ?? null);
  },
});

/** Resolves the key into the principal, and who may do what, before anything reads the body. */
async function authorize(services: Services, request: Request, match: Match) {
  const event = request.event;
  const state = request.context.oprag;
  const auth = headersOf(event).authorization;
  const token = auth?.match(/^Bearer\s+(\S+)\s*$/i)?.[1] ?? null;
  let principal: Principal;
  try {
    principal = await services.authenticate(token);
  } catch (e) {
    if (e instanceof Unauthorized) {
      const call = { action: match.compiled.route.action, resource: event.path, requestId: state.requestId };
      await services.audit
        .recordFailedAuthentication(token, call)
        .catch((err) => state.log.error('audit write failed', { error: err }));
    }
    throw e;
  }
  state.principal = principal;
  if (match.compiled.shortForm) {
    if (principal.kind !== 'project')
      throw new Forbidden("the short forms act on a project key's own project; use /v1/projects/{project_id}/...");
    match.params.project_id = principal.projectId;
  }
  state.projectId = match.params.project_id ?? null;
  const { permission, company } = match.compiled.route;
  if (permission && match.params.project_id) {
    state.access = await services.authorize.project(principal, match.params.project_id, permission);
  }
  if (company) state.access = services.authorize.company(principal, company === 'write');
}

/**
 * The one request path of both homes: API Gateway invokes it directly, the local server turns
 * each Node request into the same proxy event first.
 */
export function makeApp(services: Services, opts: AppOptions) {
  const routes = compileRoutes(ALL_ROUTES);
  const app = middy<ApiEvent, ApiResult, Error, AppContext>().use(requestIdMiddleware(opts.logger));
  if (opts.corsOrigin) app.use(corsMiddleware(opts.corsOrigin));
  return app
    .use(errorMiddleware())
    .use(auditMiddleware(services))
    .use(routingMiddleware(services, routes, opts))
    .handler(async (event, context) => {
      const state = context.oprag;
      const match = state.match as Match;
      const headers = headersOf(event);
      const reply = await match.compiled.route.handle({
        method: event.httpMethod.toUpperCase(),
        path: event.path,
        params: match.params,
        query: { ...(event.queryStringParameters ?? {}) },
        headers,
        body: state.body ?? Buffer.alloc(0),
        requestId: state.requestId,
        principal: state.principal as Principal,
        project: (permission) => grantedProject(state.access, permission),
        company: (write) => grantedCompany(state.access, write),
        baseUrl: baseUrlOf(event, headers, opts.publicUrl),
        services,
        remainingMs:
          typeof context.getRemainingTimeInMillis === 'function' ? () => context.getRemainingTimeInMillis() : undefined,
      });
      state.auditDetail = reply.audit;
      if (reply.stream) reply.stream = { ...reply.stream, chunks: guardedStream(reply.stream, state) };
      const result = toResult(reply, state.requestId);
      return result.stream && !opts.streaming ? collect(result) : result;
    });
}

/**
 * A streamed body that never throws: a failure after the first piece is logged and sent as the
 * route's error piece (the status has gone out by then), and the audit event is written at the end.
 */
async function* guardedStream(stream: NonNullable<Reply['stream']>, state: RequestState): AsyncGenerator<string> {
  let status = 200;
  try {
    yield* stream.chunks;
  } catch (e) {
    status = e instanceof OpragError ? e.status : 500;
    state.log.error('stream failed', { error: e });
    const message = e instanceof OpragError && status < 500 ? e.message : 'something went wrong on our side';
    const type = e instanceof OpragError && status < 500 ? e.type : 'internal';
    yield stream.onError({ type, message, request_id: state.requestId });
  } finally {
    await state.auditAfterStream?.(status);
  }
}

/** A streamed result as one body, for a home that cannot stream. */
async function collect(result: ApiResult): Promise<ApiResult> {
  let body = '';
  for await (const piece of result.stream as AsyncIterable<string>) body += piece;
  return { statusCode: result.statusCode, headers: result.headers, body };
}

export type App = ReturnType<typeof makeApp>;
