/**
 * Every route of the API, declared once: what the app routes and authorizes on, and which AWS
 * function serves it. Data only (no handler, no service code): the handlers in `routes/*.ts` take
 * their declarations from here by action name, and the CDK app (lib/api-routes.ts) derives the
 * API Gateway routes from the same list.
 */
import type { Permission } from '../service/access';

/** The API function that serves a route on AWS. */
export type RouteTarget = 'control' | 'documents' | 'query';

export interface RouteDeclaration {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** path with `:name` parameters */
  path: string;
  /** the audit action name; unique, it names the route */
  action: string;
  /**
   * What a route on `/projects/:project_id` needs of the caller. Checked before the body is read:
   * a foreign project is `404` and a missing permission `403` whatever the body holds.
   */
  permission?: Permission;
  /** What a company-level route needs (`write`: an admin key), checked before the body too. */
  company?: 'read' | 'write';
  /** routes that need no key (upload URLs carry their own one-time token) */
  public?: boolean;
  /**
   * `upload`: the path's `:token` is the caller's credential, checked (known, unused, unexpired)
   * before a byte of the body is read, and the body may carry a whole upload (`maxUploadBytes`)
   */
  token?: 'upload';
  /** routes any valid key may call, about the key itself (`GET /v1/me`): no project, no role */
  anyKey?: boolean;
  /** also served without `/projects/:project_id`, acting on a project key's own project */
  short?: boolean;
  /**
   * served only in the short form, for a project key (`/v1/chat/completions`: OpenAI's clients
   * append that path to their base URL, so the route has no project in its path)
   */
  shortOnly?: boolean;
  /** served by the local server only: on AWS an upload URL is a presigned S3 URL */
  localOnly?: boolean;
  /** the function that serves it on AWS */
  target: RouteTarget;
}

const P = '/v1/projects/:project_id';

/** A route on a project: method, path, action, the permission it needs of the caller, and what else. */
function route<A extends string>(
  method: RouteDeclaration['method'],
  path: string,
  action: A,
  permission?: Permission,
  more: Pick<RouteDeclaration, 'public' | 'token' | 'anyKey' | 'short' | 'shortOnly' | 'localOnly'> = {},
) {
  return { method, path, action, permission, ...more };
}

/** A company-level route: method, path, action, and what it needs of a company key. */
function companyRoute<A extends string>(
  method: RouteDeclaration['method'],
  path: string,
  action: A,
  company: 'read' | 'write',
) {
  return { method, path, action, company };
}

/** The routes of each API function. */
const BY_TARGET = {
  control: [
    // no key: the OpenAPI document of every route here
    route('GET', '/v1/openapi.json', 'openapi', undefined, { public: true }),
    // any valid key: what it is and what it may do
    route('GET', '/v1/me', 'me', undefined, { anyKey: true }),
    companyRoute('GET', '/v1/company', 'company.get', 'read'),
    companyRoute('POST', '/v1/company/keys', 'company.keys.create', 'write'),
    companyRoute('GET', '/v1/company/keys', 'company.keys.list', 'read'),
    companyRoute('GET', '/v1/company/audit', 'company.audit', 'read'),
    companyRoute('DELETE', '/v1/company/keys/:key_id', 'company.keys.revoke', 'write'),
    companyRoute('POST', '/v1/projects', 'projects.create', 'write'),
    companyRoute('GET', '/v1/projects', 'projects.list', 'read'),
    route('GET', P, 'projects.get', 'project.read'),
    route('PATCH', P, 'projects.update', 'project.write'),
    route('DELETE', P, 'projects.delete', 'project.write'),
    route('GET', `${P}/usage`, 'projects.usage', 'project.read'),
    route('GET', `${P}/export`, 'projects.export', 'project.export'),
    route('POST', `${P}/exports`, 'exports.create', 'project.export'),
    route('GET', `${P}/exports/:export_id`, 'exports.get', 'project.export'),
    // the local home's one-time download of a finished export; on AWS it is a presigned S3 URL
    route('GET', '/v1/exports/:token', 'exports.download', undefined, { public: true, localOnly: true }),
    route('POST', `${P}/keys`, 'keys.create', 'project.write'),
    route('GET', `${P}/keys`, 'keys.list', 'project.read'),
    route('DELETE', `${P}/keys/:key_id`, 'keys.revoke', 'project.write'),
    route('GET', `${P}/audit`, 'audit.list', 'audit.read'),
    route('POST', `${P}/golden-questions`, 'golden.create', 'golden.write'),
    route('GET', `${P}/golden-questions`, 'golden.list', 'golden.read'),
    route('POST', `${P}/golden-questions/run`, 'golden.run', 'golden.write'),
    route('PATCH', `${P}/golden-questions/:golden_id`, 'golden.update', 'golden.write'),
    route('DELETE', `${P}/golden-questions/:golden_id`, 'golden.delete', 'golden.write'),
    route('GET', `${P}/golden-runs`, 'golden.runs', 'golden.read'),
    route('GET', `${P}/golden-runs/:run_id`, 'golden.runs.get', 'golden.read'),
  ],
  documents: [
    route('POST', `${P}/documents`, 'documents.create', 'documents.write', { short: true }),
    route('POST', `${P}/documents/batch`, 'documents.create_batch', 'documents.write', { short: true }),
    route('GET', `${P}/documents`, 'documents.list', 'documents.read', { short: true }),
    route('GET', `${P}/documents/:document_id`, 'documents.get', 'documents.read', { short: true }),
    route('PATCH', `${P}/documents/:document_id`, 'documents.update', 'documents.write', { short: true }),
    route('GET', `${P}/documents/:document_id/content`, 'documents.content', 'documents.read', { short: true }),
    route('DELETE', `${P}/documents/:document_id`, 'documents.delete', 'documents.write', { short: true }),
    route('POST', `${P}/uploads`, 'uploads.create', 'documents.write', { short: true }),
    route('PUT', '/v1/uploads/:token', 'uploads.complete', undefined, {
      public: true,
      token: 'upload',
      localOnly: true,
    }),
  ],
  query: [
    route('POST', `${P}/retrieve`, 'retrieve', 'retrieve', { short: true }),
    route('POST', `${P}/chat`, 'chat', 'chat', { short: true }),
    route('POST', `${P}/chat/completions`, 'chat.completions', 'chat', { short: true, shortOnly: true }),
  ],
} as const;

/** The name of a route: its audit action. */
export type RouteAction = (typeof BY_TARGET)[RouteTarget][number]['action'];

export const ROUTE_TABLE: readonly RouteDeclaration[] = (Object.keys(BY_TARGET) as RouteTarget[]).flatMap((target) =>
  BY_TARGET[target].map((route) => ({ ...route, target })),
);

/** The declaration of a route, for its handler to spread. */
export function declared(action: RouteAction): RouteDeclaration {
  return ROUTE_TABLE.find((r) => r.action === action) as RouteDeclaration;
}

/** The paths a route is served on: its own, its short form, or only the short form. */
export function servedPaths(route: Pick<RouteDeclaration, 'path' | 'short' | 'shortOnly'>): string[] {
  const short = route.short || route.shortOnly ? shortFormOf(route.path) : null;
  if (route.shortOnly && short) return [short];
  return short ? [route.path, short] : [route.path];
}

/** The short form of a project route (`/v1/projects/:project_id/chat` → `/v1/chat`); null for others. */
export function shortFormOf(path: string): string | null {
  return path.startsWith(`${P}/`) ? `/v1${path.slice(P.length)}` : null;
}
