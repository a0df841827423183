import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Invalid, TooLarge } from '../core/errors';
import type { Principal, Services } from '../service';
import type { CompanyAccess, Permission, ProjectAccess } from '../service/access';
import type { RouteDeclaration } from './route-table';

export type ApiEvent = APIGatewayProxyEvent & {
  /** the body as bytes, set by the local server for upload PUTs instead of a base64 copy in `body` */
  rawBody?: Buffer;
  /**
   * Set by the local server instead of a body: reads the request's body from the socket, at most
   * `limit` bytes (413 past it), called only once the caller's key or upload token holds. `upload`
   * says the body is an upload's file (the server caps how many are read at once); `tooLarge`,
   * when given, is the refusal past `limit` (an upload URL bound to a size says so).
   */
  readBody?: (limit: number, upload: boolean, tooLarge?: () => TooLarge | Invalid) => Promise<Buffer>;
};
export type ApiResult = APIGatewayProxyResult & {
  /**
   * A streamed body (Server-Sent Events), for a home that can send it as it comes (the local
   * server, a response-streaming function); `body` is empty then. A home without streaming gets the whole body instead.
   */
  stream?: AsyncIterable<string>;
};

/** What a route handler sees of a request. */
export interface RouteRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  /** lower-cased names */
  headers: Record<string, string | undefined>;
  body: Buffer;
  requestId: string;
  /** the caller; set on every route that needs a key */
  principal: Principal;
  /**
   * The access the router granted on the path's project, for the route's `permission`, as the use
   * case takes it; naming any other permission fails (a route table mistake, never a way around it).
   */
  project<P extends Permission>(permission: P): ProjectAccess<P>;
  /** The access the router granted for a company route (`write` as the route's `company` says). */
  company<W extends boolean>(write: W): CompanyAccess<W>;
  /** scheme://host of this API, for URLs it hands out */
  baseUrl: string;
  services: Services;
  /** what the invocation has left, in ms, where the home knows (a Lambda function's remaining time) */
  remainingMs?: () => number;
}

/** What a route handler answers: a JSON object, or raw bytes with their content type. */
export interface Reply {
  status: number;
  json?: unknown;
  raw?: { body: Buffer | string; contentType: string };
  headers?: Record<string, string>;
  /**
   * A body sent as it is produced. The audit event is written when it ends, so `audit` may be
   * filled in by then; `onError` formats a failure after the first piece, when the status is sent.
   */
  stream?: {
    contentType: string;
    chunks: AsyncIterable<string>;
    onError(error: { type: string; message: string; request_id: string }): string;
  };
  /** what the call's audit event records beyond who, what and the outcome (never secrets or text) */
  audit?: Record<string, unknown>;
}

/** A declared route (route-table.ts) with its handler. */
export interface Route extends RouteDeclaration {
  handle(req: RouteRequest): Promise<Reply>;
}
