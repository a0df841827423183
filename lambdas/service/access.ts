import { Forbidden, NotFound } from '../core/errors';
import { isId } from '../core/ids';
import type { ProjectRecord } from '../core/model';
import type { Context, Principal } from './context';

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

/** The caller's project, if it belongs to the caller at all; null otherwise (never a hint why). */
export async function ownedProject(ctx: Pick<Context, 'store'>, principal: Principal, projectId: string) {
  if (!isId('project', projectId)) return null;
  if (principal.kind === 'project' && principal.projectId !== projectId) return null;
  const project = await ctx.store.getProject(projectId);
  if (!project || project.company_id !== principal.companyId) return null;
  return project;
}

/**
 * The project each principal was last found to own. A principal is made anew for every request,
 * so this lives as long as one request: the router's check before the body is read and the use
 * case's own check then read the project once.
 */
const resolved = new WeakMap<Principal, ProjectRecord>();

/**
 * Resolves the project a call acts on and checks the caller may do it. A project outside the
 * caller's reach is `404` exactly like one that does not exist; only then is the permission
 * checked (`403`), so a key cannot learn anything about other tenants.
 */
export async function authorizeProject(
  ctx: Pick<Context, 'store'>,
  principal: Principal,
  projectId: string,
  permission: Permission,
): Promise<ProjectRecord> {
  const known = resolved.get(principal);
  const project = known?.id === projectId ? known : await ownedProject(ctx, principal, projectId);
  if (!project) throw NotFound('project');
  resolved.set(principal, project);
  if (!allows(principal, permission)) {
    throw Forbidden(
      principal.kind === 'company'
        ? 'a viewer key can only read'
        : `this key's scopes (${principal.key.scopes.join(', ')}) do not allow this`,
    );
  }
  return project;
}

/** Company-level calls: company keys only; `write` ones need the admin role. */
export function authorizeCompany(principal: Principal, write: boolean): string {
  if (principal.kind !== 'company') throw Forbidden('this needs a company key');
  if (write && principal.role !== 'admin') throw Forbidden('a viewer key can only read');
  return principal.companyId;
}
