import { ROUTE_TABLE, type RouteDeclaration, type RouteTarget, servedPaths } from '../lambdas/http/route-table';

/** The function that serves a route. */
export type ApiTarget = RouteTarget;

export interface ApiRoute {
  readonly method: RouteDeclaration['method'];
  /** API Gateway resource path; `{name}` is a path parameter. */
  readonly path: string;
  readonly target: ApiTarget;
  /** served without a key (the OpenAPI document): the gateway does not require `Authorization` */
  readonly public?: boolean;
}

/** An app path (`:name` parameters) as an API Gateway resource path (`{name}`). */
export function gatewayPath(path: string): string {
  return path.replace(/:([a-z_]+)/g, '{$1}');
}

/**
 * Every route of the app's route table (lambdas/http/route-table.ts), short forms included, each
 * on the function the table names. The middy app in each function routes on the request path
 * again, so a function receives only its own routes here and answers them exactly as the local
 * server does. Routes marked `localOnly` are left out: on AWS the upload URL is an S3 presigned
 * URL, so the bytes never pass through the API.
 */
export const API_ROUTES: readonly ApiRoute[] = ROUTE_TABLE.filter((r) => !r.localOnly).flatMap((r) =>
  servedPaths(r).map((path) => ({
    method: r.method,
    path: gatewayPath(path),
    target: r.target,
    ...(r.public ? { public: true } : {}),
  })),
);

/** The path parameters of a resource path, e.g. `project_id` and `document_id`. */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]);
}
