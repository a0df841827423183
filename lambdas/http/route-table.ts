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
  /** also served without `/projects/:project_id`, acting on a project key's own project */
  short?: boolean;
  /** served by the local server only: on AWS an upload URL is a presigned S3 URL */
  localOnly?: boolean;
  /** the function that serves it on AWS */
  target: RouteTarget;
}

const P = '/v1/projects/:project_id';

/** One declaration: method, path and action, and what else the route needs. */
function route<A extends string>(
  method: RouteDeclaration['method'],
  path: string,
  action: A,
  more: Pick<RouteDeclaration, 'permission' | 'company' | 'public' | 'short' | 'localOnly'> = {},
) {
  return { method, path, action, ...more };
}

/** The routes of each API function. */
const BY_TARGET = {
  control: [
    route('GET', '/v1/company', 'company.get', { company: 'read' }),
    route('POST', '/v1/company/keys', 'company.keys.create', { company: 'write' }),
    route('GET', '/v1/company/keys', 'company.keys.list', { company: 'read' }),
    route('DELETE', '/v1/company/keys/:key_id', 'company.keys.revoke', { company: 'write' }),
    route('POST', '/v1/projects', 'projects.create', { company: 'write' }),
    route('GET', '/v1/projects', 'projects.list', { company: 'read' }),
    route('GET', P, 'projects.get', { permission: 'project.read' }),
    route('PATCH', P, 'projects.update', { permission: 'project.write' }),
    route('DELETE', P, 'projects.delete', { permission: 'project.write' }),
    route('GET', `${P}/usage`, 'projects.usage', { permission: 'project.read' }),
    route('GET', `${P}/export`, 'projects.export', { permission: 'project.export' }),
    route('POST', `${P}/keys`, 'keys.create', { permission: 'project.write' }),
    route('GET', `${P}/keys`, 'keys.list', { permission: 'project.read' }),
    route('DELETE', `${P}/keys/:key_id`, 'keys.revoke', { permission: 'project.write' }),
    route('GET', `${P}/audit`, 'audit.list', { permission: 'audit.read' }),
    route('POST', `${P}/golden-questions`, 'golden.create', { permission: 'golden.write' }),
    route('GET', `${P}/golden-questions`, 'golden.list', { permission: 'golden.read' }),
    route('POST', `${P}/golden-questions/run`, 'golden.run', { permission: 'golden.write' }),
    route('PATCH', `${P}/golden-questions/:golden_id`, 'golden.update', { permission: 'golden.write' }),
    route('DELETE', `${P}/golden-questions/:golden_id`, 'golden.delete', { permission: 'golden.write' }),
    route('GET', `${P}/golden-runs`, 'golden.runs', { permission: 'golden.read' }),
  ],
  documents: [
    route('POST', `${P}/documents`, 'documents.create', { permission: 'documents.write', short: true }),
    route('GET', `${P}/documents`, 'documents.list', { permission: 'documents.read', short: true }),
    route('GET', `${P}/documents/:document_id`, 'documents.get', { permission: 'documents.read', short: true }),
    route('GET', `${P}/documents/:document_id/content`, 'documents.content', {
      permission: 'documents.read',
      short: true,
    }),
    route('DELETE', `${P}/documents/:document_id`, 'documents.delete', { permission: 'documents.write', short: true }),
    route('POST', `${P}/uploads`, 'uploads.create', { permission: 'documents.write', short: true }),
    route('PUT', '/v1/uploads/:token', 'uploads.complete', { public: true, localOnly: true }),
  ],
  query: [
    route('POST', `${P}/retrieve`, 'retrieve', { permission: 'retrieve', short: true }),
    route('POST', `${P}/chat`, 'chat', { permission: 'chat', short: true }),
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

/** The short form of a project route (`/v1/projects/:project_id/chat` → `/v1/chat`); null for others. */
export function shortFormOf(path: string): string | null {
  return path.startsWith(`${P}/`) ? `/v1${path.slice(P.length)}` : null;
}
