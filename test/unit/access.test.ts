import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Forbidden } from '../../lambdas/core/errors';
import { newId } from '../../lambdas/core/ids';
import type { Scope } from '../../lambdas/core/keys';
import type { ApiKeyRecord, ProjectRecord } from '../../lambdas/core/model';
import { ALL_ROUTES } from '../../lambdas/http/app';
import { composeLocal, type LocalHome } from '../../lambdas/local/compose';
import type { Services } from '../../lambdas/service';
import {
  allows,
  authorizeCompany,
  grantedCompany,
  grantedProject,
  type Permission,
} from '../../lambdas/service/access';
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
  it('grants an admin key its own company, for reads and writes', () => {
    expect(authorizeCompany(companyKey('admin'), true)).toMatchObject({ companyId: 'cmp_1', write: true });
    expect(authorizeCompany(companyKey('admin'), false)).toMatchObject({ companyId: 'cmp_1', write: false });
    expect(grantedCompany(authorizeCompany(companyKey('admin'), true), true).companyId).toBe('cmp_1');
  });

  it('lets a viewer read but not write', () => {
    expect(authorizeCompany(companyKey('viewer'), false)).toMatchObject({ companyId: 'cmp_1', write: false });
    expect(() => authorizeCompany(companyKey('viewer'), true)).toThrow(
      expect.objectContaining({ type: 'forbidden', status: 403 }),
    );
    expect(() => authorizeCompany(companyKey('viewer'), true)).toThrow(Forbidden);
  });

  it('refuses a project key with 403', () => {
    expect(() => authorizeCompany(projectKey(['query', 'ingest', 'review']), false)).toThrow(
      expect.objectContaining({ type: 'forbidden' }),
    );
  });
});

describe('access values', () => {
  it('cannot be made outside the authorization functions, nor changed', () => {
    const project = { id: 'prj_1', company_id: 'cmp_1' } as ProjectRecord;
    const lookalike = { principal: companyKey('admin'), project, permission: 'project.write' };
    expect(() => grantedProject(lookalike, 'project.write')).toThrow(/not authorized for project.write/);
    // even with a symbol of the same description
    expect(() => grantedProject({ ...lookalike, [Symbol('granted')]: true }, 'project.write')).toThrow();
    const company = { principal: companyKey('admin'), companyId: 'cmp_1', write: true };
    expect(() => grantedCompany(company, true)).toThrow(/not authorized to write/);
    const real = authorizeCompany(companyKey('viewer'), false);
    expect(Object.isFrozen(real)).toBe(true);
    expect(() => {
      (real as { write: boolean }).write = true;
    }).toThrow(TypeError);
    expect(() => grantedCompany(real, true)).toThrow();
  });

  it('are handed to a use case only for the permission they were granted for', () => {
    const read = authorizeCompany(companyKey('admin'), false);
    expect(grantedCompany(read, false)).toBe(read);
    expect(() => grantedCompany(read, true)).toThrow(/not authorized to write/);
    expect(() => grantedCompany({ companyId: 'cmp_1', write: true }, true)).toThrow();
    expect(() => grantedProject(read, 'project.read')).toThrow(/not authorized for project.read/);
    expect(() => grantedProject(undefined, 'chat')).toThrow();
  });
});

describe('authorizeProject and the use cases, on a real home', () => {
  let dir: string;
  let home: LocalHome;
  let services: Services;
  let admin: Principal;
  let a: ProjectRecord;
  let b: ProjectRecord;
  let bKey: { id: string; key: string };
  let bDoc: string;
  let bGolden: string;
  const B_MARKER = 'The vault code of project B is zebra-4471.';

  const grant = <P extends Permission>(principal: Principal, project: ProjectRecord, permission: P) =>
    services.authorize.project(principal, project.id, permission);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oprag-access-'));
    home = composeLocal(dir);
    services = home.services;
    const company = await services.keys.createCompany('Access Co');
    admin = await services.authenticate(company.api_key.key);
    const write = services.authorize.company(admin, true);
    const made = async (name: string) => {
      const out = await services.projects.createProject(write, { name });
      return { project: (await home.store.getProject(out.project.id)) as ProjectRecord, key: out.api_key };
    };
    a = (await made('A')).project;
    const madeB = await made('B');
    b = madeB.project;
    bKey = madeB.key;
    const doc = await services.documents.createDocument(
      await grant(admin, b, 'documents.write'),
      { bytes: Buffer.from(B_MARKER), filename: 'vault.txt' },
      true,
    );
    bDoc = doc.document.id;
    const golden = await services.golden.create(await grant(admin, b, 'golden.write'), {
      question: 'What is the vault code?',
    });
    bGolden = golden.golden_question.id;
  });

  afterAll(async () => {
    await home.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("grants a company's admin its own project, carrying the project and the permission", async () => {
    const access = await grant(admin, a, 'documents.read');
    expect(grantedProject(access, 'documents.read')).toBe(access);
    expect(access.project.id).toBe(a.id);
    expect(access.permission).toBe('documents.read');
    expect(Object.isFrozen(access)).toBe(true);
  });

  it("answers 404 for another company's project, an unknown one and a malformed id", async () => {
    const other = await services.keys.createCompany('Other Co');
    const otherAdmin = await services.authenticate(other.api_key.key);
    for (const id of [a.id, b.id, newId('project'), '../control', 'prj_']) {
      await expect(services.authorize.project(otherAdmin, id, 'project.read')).rejects.toMatchObject({
        status: 404,
        message: expect.stringContaining('project'),
      });
    }
  });

  it('gives a project key 404 on its sibling project before any 403 about its scopes', async () => {
    const bOnly = await services.authenticate(bKey.key);
    // a permission it lacks on its own project is 403 ...
    await expect(grant(bOnly, b, 'project.read')).rejects.toMatchObject({ status: 403 });
    // ... but on a sibling project it is 404, whether the scope would allow it or not
    await expect(grant(bOnly, a, 'project.read')).rejects.toMatchObject({ status: 404 });
    await expect(grant(bOnly, a, 'chat')).rejects.toMatchObject({ status: 404 });
    expect((await grant(bOnly, b, 'chat')).project.id).toBe(b.id);
  });

  it("lets a use case given access to project A touch none of project B's records", async () => {
    const readA = await grant(admin, a, 'documents.read');
    const writeA = await grant(admin, a, 'documents.write');
    await expect(services.documents.getDocument(readA, bDoc)).rejects.toMatchObject({ status: 404 });
    await expect(services.documents.getContent(readA, bDoc)).rejects.toMatchObject({ status: 404 });
    await expect(services.documents.deleteDocument(writeA, bDoc)).rejects.toMatchObject({ status: 404 });
    expect((await services.documents.listDocuments(readA, {})).documents).toEqual([]);

    const goldenA = await grant(admin, a, 'golden.write');
    await expect(services.golden.update(goldenA, bGolden, { question: 'hijacked?' })).rejects.toMatchObject({
      status: 404,
    });
    await expect(services.golden.remove(goldenA, bGolden)).rejects.toMatchObject({ status: 404 });
    expect((await services.golden.list(await grant(admin, a, 'golden.read'))).golden_questions).toEqual([]);

    await expect(services.keys.revokeProjectKey(await grant(admin, a, 'project.write'), bKey.id)).rejects.toMatchObject(
      { status: 404 },
    );

    const chat = await services.answers.chat(
      await grant(admin, a, 'chat'),
      { question: 'What is the vault code?' },
      '',
    );
    expect(chat.answer).not.toContain('zebra');
    const exported = await services.exports.exportProject(await grant(admin, a, 'project.export'));
    expect(exported).not.toContain('zebra');
    expect(exported).not.toContain(b.id);

    // and B's records are all still there, its key still works
    const readB = await grant(admin, b, 'documents.read');
    expect((await services.documents.getDocument(readB, bDoc)).document.id).toBe(bDoc);
    expect((await services.golden.list(await grant(admin, b, 'golden.read'))).golden_questions).toMatchObject([
      { id: bGolden, question: 'What is the vault code?' },
    ]);
    expect((await services.authenticate(bKey.key)).kind).toBe('project');
    const chatB = await services.answers.chat(
      await grant(admin, b, 'chat'),
      { question: 'What is the vault code?' },
      '',
    );
    expect(chatB.answer).toContain('zebra-4471');
  });
});

describe('the route table', () => {
  it('hands each use case the access its route was authorized for, and no other', () => {
    for (const r of ALL_ROUTES.filter((route) => !route.public && !route.anyKey)) {
      const source = r.handle.toString();
      // a handler with two paths (a streamed and a whole answer) may ask in each: the same access
      const asked = [...new Set([...source.matchAll(/\.project\((['"])([\w.]+)\1\)/g)].map((m) => m[2]))];
      const company = [...source.matchAll(/\.company\((true|false)\)/g)].map((m) => m[1] === 'true');
      const route = `${r.method} ${r.path}`;
      if (r.permission) expect({ route, asked, company }).toEqual({ route, asked: [r.permission], company: [] });
      else expect({ route, asked, company }).toEqual({ route, asked: [], company: [r.company === 'write'] });
    }
  });

  it('names what every project route needs, so the router checks it before the body is read', () => {
    const projectRoutes = ALL_ROUTES.filter((r) => !r.public && r.path.includes(':project_id'));
    expect(projectRoutes.length).toBeGreaterThan(20);
    expect(projectRoutes.filter((r) => !r.permission).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    // only GET /v1/me is open to any valid key, and it reads the key's own principal
    expect(ALL_ROUTES.filter((r) => r.anyKey).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/me']);
    const companyRoutes = ALL_ROUTES.filter((r) => !r.public && !r.anyKey && !r.path.includes(':project_id'));
    expect(companyRoutes.filter((r) => !r.company).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    // every write of a company route needs an admin key
    for (const r of companyRoutes)
      expect({ route: `${r.method} ${r.path}`, company: r.company }).toEqual({
        route: `${r.method} ${r.path}`,
        company: r.method === 'GET' ? 'read' : 'write',
      });
  });
});
