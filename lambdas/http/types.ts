import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Principal, Services } from '../service';
import type { RouteDeclaration } from './route-table';

export type ApiEvent = APIGatewayProxyEvent & {
  /** the body as bytes, set by the local server for upload PUTs instead of a base64 copy in `body` */
  rawBody?: Buffer;
};
export type ApiResult = APIGatewayProxyResult;

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
  /** scheme://host of this API, for URLs it hands out */
  baseUrl: string;
  services: Services;
}

/** What a route handler answers: a JSON object, or raw bytes with their content type. */
export interface Reply {
  status: number;
  json?: unknown;
  raw?: { body: Buffer | string; contentType: string };
  headers?: Record<string, string>;
  /** what the call's audit event records beyond who, what and the outcome (never secrets or text) */
  audit?: Record<string, unknown>;
}

/** A declared route (route-table.ts) with its handler. */
export interface Route extends RouteDeclaration {
  handle(req: RouteRequest): Promise<Reply>;
}
