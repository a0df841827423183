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

/** The routes of each API function. */
const BY_TARGET = {
  control: [
    { method: 'GET', path: '/v1/company', action: 'company.get', company: 'read' },
    { method: 'POST', path: '/v1/company/keys', action: 'company.keys.create', company: 'write' },
    { method: 'GET', path: '/v1/company/keys', action: 'company.keys.list', company: 'read' },
    { method: 'DELETE', path: '/v1/company/keys/:key_id', action: 'company.keys.revoke', company: 'write' },
    { method: 'POST', path: '/v1/projects', action: 'projects.create', company: 'write' },
    { method: 'GET', path: '/v1/projects', action: 'projects.list', company: 'read' },
    { method: 'GET', path: P, action: 'projects.get', permission: 'project.read' },
    { method: 'PATCH', path: P, action: 'projects.update', permission: 'project.write' },
    { method: 'DELETE', path: P, action: 'projects.delete', permission: 'project.write' },
    { method: 'GET', path: `${P}/usage`, action: 'projects.usage', permission: 'project.read' },
    { method: 'GET', path: `${P}/export`, action: 'projects.export', permission: 'project.export' },
    { method: 'POST', path: `${P}/keys`, action: 'keys.create', permission: 'project.write' },
    { method: 'GET', path: `${P}/keys`, action: 'keys.list', permission: 'project.read' },
    { method: 'DELETE', path: `${P}/keys/:key_id`, action: 'keys.revoke', permission: 'project.write' },
    { method: 'GET', path: `${P}/audit`, action: 'audit.list', permission: 'audit.read' },
    { method: 'POST', path: `${P}/golden-questions`, action: 'golden.create', permission: 'golden.write' },
    { method: 'GET', path: `${P}/golden-questions`, action: 'golden.list', permission: 'golden.read' },
    { method: 'POST', path: `${P}/golden-questions/run`, action: 'golden.run', permission: 'golden.write' },
    { method: 'PATCH', path: `${P}/golden-questions/:golden_id`, action: 'golden.update', permission: 'golden.write' },
    { method: 'DELETE', path: `${P}/golden-questions/:golden_id`, action: 'golden.delete', permission: 'golden.write' },
    { method: 'GET', path: `${P}/golden-runs`, action: 'golden.runs', permission: 'golden.read' },
  ],
  documents: [
    { method: 'POST', path: `${P}/documents`, action: 'documents.create', permission: 'documents.write', short: true },
    { method: 'GET', path: `${P}/documents`, action: 'documents.list', permission: 'documents.read', short: true },
    {
      method: 'GET',
      path: `${P}/documents/:document_id`,
      action: 'documents.get',
      permission: 'documents.read',
      short: true,
    },
    {
      method: 'GET',
      path: `${P}/documents/:document_id/content`,
      action: 'documents.content',
      permission: 'documents.read',
      short: true,
    },
    {
      method: 'DELETE',
      path: `${P}/documents/:document_id`,
      action: 'documents.delete',
      permission: 'documents.write',
      short: true,
    },
    { method: 'POST', path: `${P}/uploads`, action: 'uploads.create', permission: 'documents.write', short: true },
    { method: 'PUT', path: '/v1/uploads/:token', action: 'uploads.complete', public: true, localOnly: true },
  ],
  query: [
    { method: 'POST', path: `${P}/retrieve`, action: 'retrieve', permission: 'retrieve', short: true },
    { method: 'POST', path: `${P}/chat`, action: 'chat', permission: 'chat', short: true },
  ],
} as const satisfies Record<RouteTarget, readonly Omit<RouteDeclaration, 'target'>[]>;

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
