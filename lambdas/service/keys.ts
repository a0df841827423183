import { Conflict, Invalid, NotFound, Unauthorized } from '../core/errors';
import { isId, newId } from '../core/ids';
import { DEFAULT_PROJECT_SCOPES, generateKey, hashKey, keyKind, keyMatches, type Role, type Scope } from '../core/keys';
import type { ApiKeyRecord, Company, Environment } from '../core/model';
import type { CompanyAccess, ProjectAccess } from './access';
import type { Context, Principal } from './context';

/** What the API shows of a key: never its hash, and its secret only in the response that creates it. */
export function publicKey(k: ApiKeyRecord) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    ...(k.kind === 'company' ? { role: k.role } : {}),
    environment: k.environment,
    created_at: k.created_at,
    last_used_at: k.last_used_at,
    expires_at: k.expires_at,
    revoked_at: k.revoked_at,
  };
}

/** How stale a key's last_used_at may get before a call writes it again. */
export const TOUCH_INTERVAL_MS = 60_000;

/** Whether an ISO time lies after `now`, compared as instants: an offset other than Z still counts. */
function isFuture(time: string, now: string): boolean {
  return Date.parse(time) > Date.parse(now);
}

/** Resolves a bearer token to the principal it stands for, or fails with 401. */
export async function authenticate(ctx: KeyContext, token: string | null): Promise<Principal> {
  if (!token) throw new Unauthorized('send an API key as "Authorization: Bearer <key>"');
  if (!keyKind(token)) throw new Unauthorized('the API key is not valid');
  const key = await ctx.store.findKeyByHash(hashKey(token));
  // the store found it by hash; the constant-time check keeps that true whatever the store's lookup
  if (!key || !keyMatches(token, key.hash)) throw new Unauthorized('the API key is not valid');
  const now = ctx.iso();
  if (key.revoked_at) throw new Unauthorized('the API key has been revoked');
  if (key.expires_at && !isFuture(key.expires_at, now)) throw new Unauthorized('the API key has expired');
  // last_used_at to the minute: a busy key is written once a minute, not on every call
  if (!key.last_used_at || Date.parse(now) - Date.parse(key.last_used_at) >= TOUCH_INTERVAL_MS) {
    try {
      await ctx.store.touchKey(key.id, now);
    } catch {
      // last_used_at is bookkeeping: a failed write must not fail the call it describes
    }
  }
  if (key.kind === 'company') {
    return { kind: 'company', key, companyId: key.company_id, role: key.role ?? 'viewer' };
  }
  if (!key.project_id) throw new Unauthorized('the API key is not valid');
  return { kind: 'project', key, companyId: key.company_id, projectId: key.project_id };
}

export async function issueCompanyKey(ctx: KeyContext, companyId: string, name: string | null, role: Role) {
  const secret = generateKey('company');
  const record: ApiKeyRecord = {
    id: newId('key'),
    company_id: companyId,
    project_id: null,
    kind: 'company',
    role,
    scopes: [],
    name,
    prefix: secret.prefix,
    hash: secret.hash,
    environment: null,
    created_at: ctx.iso(),
    last_used_at: null,
    expires_at: null,
    revoked_at: null,
  };
  await ctx.store.putKey(record);
  return { record, key: secret.key };
}

export async function issueProjectKey(
  ctx: KeyContext,
  project: { id: string; company_id: string; environment: Environment },
  opts: { name?: string | null; scopes?: Scope[]; environment?: Environment; expires_at?: string | null },
) {
  const secret = generateKey('project');
  const record: ApiKeyRecord = {
    id: newId('key'),
    company_id: project.company_id,
    project_id: project.id,
    kind: 'project',
    role: null,
    scopes: [...new Set(opts.scopes ?? DEFAULT_PROJECT_SCOPES)],
    name: opts.name ?? null,
    prefix: secret.prefix,
    hash: secret.hash,
    environment: opts.environment ?? project.environment,
    created_at: ctx.iso(),
    last_used_at: null,
    expires_at: opts.expires_at ?? null,
    revoked_at: null,
  };
  await ctx.store.putKey(record);
  return { record, key: secret.key };
}

/** What key management needs of the context: the store and the time (the operator CLI builds just this). */
export type KeyContext = Pick<Context, 'store' | 'iso'>;

export function makeKeyServices(ctx: KeyContext) {
  /** The operator's way in: a company and its first admin key (CLI, demo company). */
  async function createCompany(name: string, opts: { maxProjects?: number } = {}) {
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 200) throw new Invalid('name must be 1 to 200 characters');
    const { maxProjects } = opts;
    if (maxProjects !== undefined && (!Number.isInteger(maxProjects) || maxProjects < 1 || maxProjects > 100_000)) {
      throw new Invalid('max projects must be a whole number from 1 to 100000');
    }
    const company: Company = {
      id: newId('company'),
      name: trimmed,
      created_at: ctx.iso(),
      ...(maxProjects !== undefined ? { max_projects: maxProjects } : {}),
    };
    await ctx.store.createCompany(company);
    const { record, key } = await issueCompanyKey(ctx, company.id, 'first admin key', 'admin');
    return { company, api_key: { ...publicKey(record), key } };
  }

  return {
    createCompany,

    /**
     * What the calling key is and what it may do (`GET /v1/me`): any valid key may ask, and it
     * learns only its own company and, for a project key, its own project.
     */
    async me(principal: Principal) {
      const k = principal.key;
      const company = await ctx.store.getCompany(principal.companyId);
      const project = principal.kind === 'project' ? await ctx.store.getProject(principal.projectId) : null;
      // a key whose company or project is gone is no key at all
      if (!company || (principal.kind === 'project' && project?.company_id !== company.id)) {
        throw new Unauthorized('the API key is not valid');
      }
      const key =
        principal.kind === 'company'
          ? { id: k.id, kind: k.kind, prefix: k.prefix, role: principal.role, expires_at: k.expires_at }
          : {
              id: k.id,
              kind: k.kind,
              prefix: k.prefix,
              scopes: k.scopes,
              environment: k.environment,
              expires_at: k.expires_at,
            };
      return {
        key,
        company: { id: company.id, name: company.name },
        ...(project ? { project: { id: project.id, name: project.name } } : {}),
      };
    },

    async getCompany({ companyId }: CompanyAccess) {
      const company = await ctx.store.getCompany(companyId);
      if (!company) throw new NotFound('company');
      return { company };
    },

    async createCompanyKey({ companyId }: CompanyAccess<true>, body: { name: string; role: Role }) {
      const { record, key } = await issueCompanyKey(ctx, companyId, body.name, body.role);
      return { api_key: { ...publicKey(record), key } };
    },

    async listCompanyKeys({ companyId }: CompanyAccess) {
      return { keys: (await ctx.store.listCompanyKeys(companyId)).map(publicKey) };
    },

    async revokeCompanyKey({ companyId }: CompanyAccess<true>, keyId: string) {
      const key = isId('key', keyId) ? await ctx.store.getKey(keyId) : null;
      if (!key || key.company_id !== companyId || key.kind !== 'company') throw new NotFound('key');
      if (!key.revoked_at && key.role === 'admin') {
        const admins = (await ctx.store.listCompanyKeys(companyId)).filter(
          (k) => k.role === 'admin' && !k.revoked_at && !(k.expires_at && !isFuture(k.expires_at, ctx.iso())),
        );
        if (admins.length <= 1) throw new Conflict("the company's last admin key cannot be revoked");
      }
      const revoked = await ctx.store.revokeKey(key.id, ctx.iso());
      return { api_key: publicKey(revoked ?? key) };
    },

    async createProjectKey(
      { project }: ProjectAccess<'project.write'>,
      body: { name?: string; scopes?: Scope[]; environment?: Environment; expires_at?: string },
    ) {
      if (body.expires_at && !isFuture(body.expires_at, ctx.iso()))
        throw new Invalid('expires_at must be in the future');
      const { record, key } = await issueProjectKey(ctx, project, body);
      return { api_key: { ...publicKey(record), key } };
    },

    async listProjectKeys({ project }: ProjectAccess<'project.read'>) {
      return { keys: (await ctx.store.listProjectKeys(project.id)).map(publicKey) };
    },

    async revokeProjectKey({ project }: ProjectAccess<'project.write'>, keyId: string) {
      const key = isId('key', keyId) ? await ctx.store.getKey(keyId) : null;
      if (!key || key.project_id !== project.id) throw new NotFound('key');
      const revoked = await ctx.store.revokeKey(key.id, ctx.iso());
      return { api_key: publicKey(revoked ?? key) };
    },
  };
}
