import { OpragError } from '../../lambdas/core/errors';
import type { Scope } from '../../lambdas/core/keys';
import type { ApiKeyRecord } from '../../lambdas/core/model';
import { ALL_ROUTES } from '../../lambdas/http/app';
import { allows, authorizeCompany, type Permission } from '../../lambdas/service/access';
import type { Principal } from '../../lambdas/service/context';

const ALL: Permission[] = [
  'project.read',
  'project.write',
  'project.export',
  'audit.read',
  'documents.read',
  'documents.write',
  'chat',
  'retrieve',
  'golden.read',
  'golden.write',
];

function keyRecord(fields: Partial<ApiKeyRecord>): ApiKeyRecord {
  return {
    id: 'key_1',
    company_id: 'cmp_1',
    project_id: null,
    kind: 'company',
    role: null,
    scopes: [],
    name: null,
    prefix: 'oprag_ak_abc',
    hash: 'h',
    environment: null,
    created_at: '2025-01-01T00:00:00.000Z',
    last_used_at: null,
    expires_at: null,
    revoked_at: null,
    ...fields,
  };
}

const companyKey = (role: 'admin' | 'viewer'): Principal => ({
  kind: 'company',
  role,
  companyId: 'cmp_1',
  key: keyRecord({ kind: 'company', role }),
});

const projectKey = (scopes: string[]): Principal => ({
  kind: 'project',
  companyId: 'cmp_1',
  projectId: 'prj_1',
  key: keyRecord({ kind: 'project', project_id: 'prj_1', scopes: scopes as Scope[], prefix: 'oprag_pk_abc' }),
});

/** The permissions a principal has, out of all of them. */
const granted = (p: Principal) => ALL.filter((perm) => allows(p, perm));

describe('allows', () => {
  it('lets a company admin do everything', () => {
    expect(granted(companyKey('admin'))).toEqual(ALL);
  });

  it('lets a company viewer read and chat, but not change or export anything', () => {
    const viewer = companyKey('viewer');
    expect(granted(viewer).sort()).toEqual([
      'audit.read',
      'chat',
      'documents.read',
      'golden.read',
      'project.read',
      'retrieve',
    ]);
    for (const perm of ['project.write', 'documents.write', 'golden.write', 'project.export'] as const) {
      expect(allows(viewer, perm)).toBe(false);
    }
  });

  it('lets a query-scoped project key only chat and retrieve', () => {
    expect(granted(projectKey(['query'])).sort()).toEqual(['chat', 'retrieve']);
  });

  it('lets an ingest-scoped project key only read and write documents', () => {
    expect(granted(projectKey(['ingest'])).sort()).toEqual(['documents.read', 'documents.write']);
  });

  it('lets a review-scoped project key work on golden questions, read documents and audit, and chat', () => {
    const review = projectKey(['review']);
    expect(granted(review).sort()).toEqual(['audit.read', 'chat', 'documents.read', 'golden.read', 'golden.write']);
    expect(allows(review, 'documents.write')).toBe(false);
    // API.md gives review chat, not retrieve
    expect(allows(review, 'retrieve')).toBe(false);
  });

  it('gives a key with several scopes the union of them', () => {
    expect(granted(projectKey(['query', 'ingest'])).sort()).toEqual([
      'chat',
      'documents.read',
      'documents.write',
      'retrieve',
    ]);
  });

  it('never lets a project key read, change or export the project itself', () => {
    const everything = projectKey(['query', 'ingest', 'review']);
    for (const perm of ['project.read', 'project.write', 'project.export'] as const) {
      expect(allows(everything, perm)).toBe(false);
    }
  });

  it('grants nothing for no scopes or an unknown scope', () => {
    expect(granted(projectKey([]))).toEqual([]);
    expect(granted(projectKey(['admin', 'write', 'QUERY']))).toEqual([]);
  });
});

describe('authorizeCompany', () => {
  it('returns the company of an admin key, for reads and writes', () => {
    expect(authorizeCompany(companyKey('admin'), true)).toBe('cmp_1');
    expect(authorizeCompany(companyKey('admin'), false)).toBe('cmp_1');
  });

  it('lets a viewer read but not write', () => {
    expect(authorizeCompany(companyKey('viewer'), false)).toBe('cmp_1');
    expect(() => authorizeCompany(companyKey('viewer'), true)).toThrow(
      expect.objectContaining({ type: 'forbidden', status: 403 }),
    );
    expect(() => authorizeCompany(companyKey('viewer'), true)).toThrow(OpragError);
  });

  it('refuses a project key with 403', () => {
    expect(() => authorizeCompany(projectKey(['query', 'ingest', 'review']), false)).toThrow(
      expect.objectContaining({ type: 'forbidden' }),
    );
  });
});

describe('the route table', () => {
  it('names what every project route needs, so the router checks it before the body is read', () => {
    const projectRoutes = ALL_ROUTES.filter((r) => !r.public && r.path.includes(':project_id'));
    expect(projectRoutes.length).toBeGreaterThan(20);
    expect(projectRoutes.filter((r) => !r.permission).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    const companyRoutes = ALL_ROUTES.filter((r) => !r.public && !r.path.includes(':project_id'));
    expect(companyRoutes.filter((r) => !r.company).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    // every write of a company route needs an admin key
    for (const r of companyRoutes)
      expect({ route: `${r.method} ${r.path}`, company: r.company }).toEqual({
        route: `${r.method} ${r.path}`,
        company: r.method === 'GET' ? 'read' : 'write',
      });
  });
});
