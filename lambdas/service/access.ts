import { Forbidden, NotFound } from '../core/errors';
import { isId } from '../core/ids';
import type { ProjectRecord } from '../core/model';
import type { TenantStore } from '../ports';
import type { Principal } from './context';

/** What a call needs to be allowed on a project. */
export type Permission =
  | 'project.read'
  | 'project.write'
  | 'project.export'
  | 'audit.read'
  | 'documents.read'
  | 'documents.write'
  | 'chat'
  | 'retrieve'
  | 'golden.read'
  | 'golden.write';

const VIEWER: ReadonlySet<Permission> = new Set([
  'project.read',
  'audit.read',
  'documents.read',
  'chat',
  'retrieve',
  'golden.read',
]);

const BY_SCOPE = new Map<string, ReadonlySet<Permission>>([
  ['query', new Set(['chat', 'retrieve'])],
  ['ingest', new Set(['documents.read', 'documents.write'])],
  // API.md: review reads documents and the audit, works golden questions, and chats; no retrieve
  ['review', new Set(['golden.read', 'golden.write', 'documents.read', 'audit.read', 'chat'])],
]);

export function allows(principal: Principal, permission: Permission): boolean {
  if (principal.kind === 'company') return principal.role === 'admin' || VIEWER.has(permission);
  return principal.key.scopes.some((s) => BY_SCOPE.get(s)?.has(permission) ?? false);
}

/** Only this module holds it: an access value cannot be made anywhere else. */
const GRANTED: unique symbol = Symbol('granted');

/**
 * A caller's checked right to act on one project: the project as it was read when the call was
 * authorized, and the one permission it was authorized for. Made only by `authorizeProject`; a
 * use case that takes one acts on `project` and nothing else, and needs no check of its own.
 */
export interface ProjectAccess<P extends Permission = Permission> {
  readonly principal: Principal;
  readonly project: ProjectRecord;
  readonly permission: P;
  /** a key no other module can name: an object made elsewhere is not an access */
  readonly [GRANTED]: true;
}

/** A company key's checked right to company-level calls; `write` only for an admin key. */
export interface CompanyAccess<W extends boolean = boolean> {
  readonly principal: Principal;
  readonly companyId: string;
  readonly write: W;
  readonly [GRANTED]: true;
}

/** The caller's project, if it belongs to the caller at all; null otherwise (never a hint why). */
export async function ownedProject(store: Pick<TenantStore, 'getProject'>, principal: Principal, projectId: string) {
  if (!isId('project', projectId)) return null;
  if (principal.kind === 'project' && principal.projectId !== projectId) return null;
  const project = await store.getProject(projectId);
  // a project being purged answers as one that does not exist
  if (!project || project.company_id !== principal.companyId || project.deleting_at) return null;
  return project;
}

/**
 * Resolves the project a call acts on and checks the caller may do it. A project outside the
 * caller's reach is `404` exactly like one that does not exist; only then is the permission
 * checked (`403`), so a key cannot learn anything about other tenants.
 */
export async function authorizeProject<P extends Permission>(
  store: Pick<TenantStore, 'getProject'>,
  principal: Principal,
  projectId: string,
  permission: P,
): Promise<ProjectAccess<P>> {
  const project = await ownedProject(store, principal, projectId);
  if (!project) throw new NotFound('project');
  if (!allows(principal, permission)) {
    throw new Forbidden(
      principal.kind === 'company'
        ? 'a viewer key can only read'
        : `this key's scopes (${principal.key.scopes.join(', ')}) do not allow this`,
    );
  }
  return Object.freeze({ principal, project, permission, [GRANTED]: true as const });
}

/** Company-level calls: company keys only; `write` ones need the admin role. */
export function authorizeCompany<W extends boolean>(principal: Principal, write: W): CompanyAccess<W> {
  if (principal.kind !== 'company') throw new Forbidden('this needs a company key');
  if (write && principal.role !== 'admin') throw new Forbidden('a viewer key can only read');
  return Object.freeze({ principal, companyId: principal.companyId, write, [GRANTED]: true as const });
}

/**
 * The access a call was authorized with, as the one its use case takes. It only names what was
 * granted: asking for any other permission is a mistake in the route table, never a way around it.
 */
export function grantedProject<P extends Permission>(access: unknown, permission: P): ProjectAccess<P> {
  const a = access as ProjectAccess<P> | undefined;
  if (a?.[GRANTED] !== true || a.permission !== permission) throw new Error(`not authorized for ${permission}`);
  return a;
}

/** The company access a call was authorized with; `write` must be what was granted. */
export function grantedCompany<W extends boolean>(access: unknown, write: W): CompanyAccess<W> {
  const a = access as CompanyAccess<W> | undefined;
  if (a?.[GRANTED] !== true || a.write !== write) throw new Error(`not authorized to ${write ? 'write' : 'read'}`);
  return a;
}
