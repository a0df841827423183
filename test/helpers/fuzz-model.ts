/**
 * The model behind test/http/cross-tenant-fuzz.test.ts: who owns what, which status API.md
 * prescribes for a principal reaching for a target, and a seeded generator of requests over
 * every route. The model is written from API.md, not from lambdas/service/access.ts, so that a
 * drift between the two shows up as a mismatch.
 */
import { mulberry32 } from '../../scripts/seeded-random';

export type Rng = () => number;

export { mulberry32 };
export const int = (rng: Rng, n: number) => Math.floor(rng() * n);
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)];
export const draw = (rng: Rng, alphabet: string, n: number) =>
  Array.from({ length: n }, () => alphabet[int(rng, alphabet.length)]).join('');
export const newMarker = (rng: Rng) => `mk${draw(rng, '0123456789abcdef', 10)}${int(rng, 10)}`;
const B32 = '0123456789abcdefghjkmnpqrstvwxyz';

/** Who a token (id or marker) belongs to; project null: company-level (the company, its company keys). */
export interface Owner {
  company: string;
  project: string | null;
}
/** Something the storm created and may delete; `busy` counts requests in flight that name it. */
export interface Item {
  id: string;
  busy: number;
  proj?: Proj;
}
export interface Doc {
  id: string;
  topic: string;
  marker: string;
  text: string;
  hash: string;
  chunks: number;
  bytes: number;
}
export interface Proj {
  id: string;
  name: string;
  co: Co;
  docs: Doc[];
  golden: string[];
  /** active keys (deleting one would break the storm) and harmless ones (revoked, expired) */
  activeKeyIds: string[];
  deadKeyIds: string[];
  markers: Set<string>;
  pool: { doc: Item[]; golden: Item[]; key: Item[] };
  gone: { doc: string[]; golden: string[] };
  /** creations sent that the model expects to succeed: the upper bounds of the counts */
  started: { docs: number; bytes: number; golden: number; keys: number; runs: number };
}
export interface Co {
  id: string;
  keyIds: string[];
  projects: Proj[];
  pool: { ckey: Item[]; project: Item[] };
  goneProjects: string[];
  started: { projects: number; ckeys: number };
}
export type Principal =
  | { label: string; key: string; kind: 'admin' | 'viewer'; co: Co }
  | { label: string; key: string; kind: 'project'; co: Co; proj: Proj; scopes: string[] }
  | { label: string; key: string | undefined; kind: 'invalid'; proj?: Proj };

export interface World {
  rng: Rng;
  cos: Co[];
  projects: Proj[];
  owners: Map<string, Owner>;
  principals: Principal[];
}

export const NOWHERE: Owner = { company: '-', project: '-' };
export function own(w: World, id: string, co: Co, proj: Proj | null) {
  w.owners.set(id, { company: co.id, project: proj?.id ?? null });
}

type Need =
  | 'company'
  | 'company.write'
  | 'read'
  | 'write'
  | 'export'
  | 'audit'
  | 'docs.read'
  | 'docs.write'
  | 'chat'
  | 'retrieve'
  | 'golden.read'
  | 'golden.write';
export interface RouteDef {
  name: string;
  method: string;
  path: string;
  need: Need;
  weight: number;
  ok: number;
  short?: boolean;
  sub?: 'doc' | 'golden' | 'key' | 'ckey';
  destroys?: boolean;
}
const R = (name: string, method: string, path: string, need: Need, weight: number, more: Partial<RouteDef> = {}) => ({
  name,
  method,
  path,
  need,
  weight,
  ok: 200,
  ...more,
});
const P = '/v1/projects/{p}';
/** Every route of API.md except the public upload PUT; `{p}` is the project, `{s}` the sub-resource. */
export const ROUTES: RouteDef[] = [
  R('company.get', 'GET', '/v1/company', 'company', 2),
  R('ckeys.create', 'POST', '/v1/company/keys', 'company.write', 1, { ok: 201 }),
  R('ckeys.list', 'GET', '/v1/company/keys', 'company', 2),
  R('ckeys.delete', 'DELETE', '/v1/company/keys/{s}', 'company.write', 3, { sub: 'ckey', destroys: true }),
  R('projects.create', 'POST', '/v1/projects', 'company.write', 1, { ok: 201 }),
  R('projects.list', 'GET', '/v1/projects', 'company', 3),
  R('project.get', 'GET', P, 'read', 5),
  R('project.patch', 'PATCH', P, 'write', 2),
  R('project.delete', 'DELETE', P, 'write', 4, { destroys: true }),
  R('usage', 'GET', `${P}/usage`, 'read', 3),
  R('export', 'GET', `${P}/export`, 'export', 3),
  R('exports.create', 'POST', `${P}/exports`, 'export', 1, { ok: 202 }),
  R('keys.create', 'POST', `${P}/keys`, 'write', 2, { ok: 201 }),
  R('keys.list', 'GET', `${P}/keys`, 'read', 3),
  R('keys.delete', 'DELETE', `${P}/keys/{s}`, 'write', 4, { sub: 'key', destroys: true }),
  R('audit', 'GET', `${P}/audit`, 'audit', 4),
  R('golden.create', 'POST', `${P}/golden-questions`, 'golden.write', 2, { ok: 201 }),
  R('golden.list', 'GET', `${P}/golden-questions`, 'golden.read', 4),
  R('golden.patch', 'PATCH', `${P}/golden-questions/{s}`, 'golden.write', 3, { sub: 'golden' }),
  R('golden.delete', 'DELETE', `${P}/golden-questions/{s}`, 'golden.write', 4, { sub: 'golden', destroys: true }),
  R('golden.run', 'POST', `${P}/golden-questions/run`, 'golden.write', 1, { ok: 202 }),
  R('golden.runs', 'GET', `${P}/golden-runs`, 'golden.read', 2),
  R('docs.create', 'POST', `${P}/documents`, 'docs.write', 3, { short: true, ok: 201 }),
  R('docs.batch', 'POST', `${P}/documents/batch`, 'docs.write', 2, { short: true, ok: 202 }),
  R('docs.list', 'GET', `${P}/documents`, 'docs.read', 6, { short: true }),
  R('doc.get', 'GET', `${P}/documents/{s}`, 'docs.read', 8, { short: true, sub: 'doc' }),
  R('doc.content', 'GET', `${P}/documents/{s}/content`, 'docs.read', 5, { short: true, sub: 'doc' }),
  R('doc.delete', 'DELETE', `${P}/documents/{s}`, 'docs.write', 5, { short: true, sub: 'doc', destroys: true }),
  R('uploads', 'POST', `${P}/uploads`, 'docs.write', 3, { short: true, ok: 201 }),
  R('retrieve', 'POST', `${P}/retrieve`, 'retrieve', 8, { short: true }),
  R('chat', 'POST', `${P}/chat`, 'chat', 10, { short: true }),
];

/** API.md's principals table: a viewer reads; each project scope opens the routes it lists. */
const VIEWER_CAN = new Set<Need>(['company', 'read', 'audit', 'docs.read', 'chat', 'retrieve', 'golden.read']);
const SCOPE_CAN: Record<string, Need[]> = {
  query: ['chat', 'retrieve'],
  ingest: ['docs.read', 'docs.write'],
  review: ['golden.read', 'golden.write', 'docs.read', 'audit', 'chat'],
};
function allowed(pr: Principal, need: Need): boolean {
  if (pr.kind === 'admin') return true;
  if (pr.kind === 'viewer') return VIEWER_CAN.has(need);
  return pr.kind === 'project' && pr.scopes.some((s) => SCOPE_CAN[s]?.includes(need));
}

/** The status API.md prescribes. `proj`: the live project the path names (null: none of ours). */
export function expectedStatus(
  pr: Principal,
  route: RouteDef,
  short: boolean,
  proj: Proj | null,
  subOk: boolean,
  bad400: boolean,
  okStatus = route.ok,
): number {
  if (pr.kind === 'invalid') return 401;
  if (route.need === 'company' || route.need === 'company.write') {
    if (pr.kind === 'project') return 403;
    if (route.need === 'company.write' && pr.kind !== 'admin') return 403;
  } else {
    if (short && pr.kind !== 'project') return 403;
    const reach = proj !== null && (pr.kind === 'project' ? proj === pr.proj : proj.co === pr.co);
    if (!reach) return 404;
    if (!allowed(pr, route.need)) return 403;
  }
  if (route.sub && !subOk) return 404;
  return bad400 ? 400 : okStatus;
}

/** Ids that name nothing of ours: malformed, near misses of real ids, other kinds, deleted ones. */
export function bogusId(w: World, kind: 'prj' | 'doc' | 'gq' | 'key', gone: string[] = []): string {
  const rng = w.rng;
  const realIds: Record<string, () => string[]> = {
    prj: () => w.projects.map((p) => p.id),
    doc: () => w.projects.flatMap((p) => p.docs.map((d) => d.id)),
    gq: () => w.projects.flatMap((p) => p.golden),
    key: () => w.projects.flatMap((p) => p.activeKeyIds),
  };
  const realOf = (k: string) => pick(rng, realIds[k]());
  const real = realOf(kind);
  const otherKinds = Object.keys(realIds).filter((k) => k !== kind);
  if (gone.length > 0 && rng() < 0.3) return pick(rng, gone);
  const variants = [
    () => `${kind}_${draw(rng, B32, 26)}`,
    () => real.toUpperCase(),
    () => `${real}0`,
    () => real.slice(0, -1),
    () => `${kind}_`,
    () => pick(rng, ['null', 'undefined', '-1', '%2A', '%20', 'x'.repeat(300)]),
    () => encodeURIComponent(`${real}' OR '1'='1`),
    () => encodeURIComponent(`${real}\u0000`),
    () => encodeURIComponent(`${real}/../${realOf(pick(rng, ['prj', 'doc']))}`),
    () => realOf(pick(rng, otherKinds)),
  ];
  return pick(rng, variants)();
}
