import { bodyOf, queryOf } from './fuzz-bodies';
import {
  bogusId,
  type Co,
  type Doc,
  expectedStatus,
  type Item,
  int,
  own,
  type Principal,
  type Proj,
  pick,
  ROUTES,
  type RouteDef,
  type World,
} from './fuzz-model';

/** One generated request, with what the model expects of it. */
export interface Call {
  pr: Principal;
  route: RouteDef;
  method: string;
  path: string;
  body?: unknown;
  query: Record<string, string>;
  expected: number;
  /** the live project the path names (for a short form: the key's own) */
  proj: Proj | null;
  /** the base document the path names, if any */
  doc?: Doc;
  /** a marker the question names */
  asked?: string;
  /** a list asked for without a cursor, with a limit of `limit` */
  fullList: boolean;
  limit: number;
  held: Item[];
  claim?: { item: Item; pool: Item[]; gone: string[] };
}

/** Another project of the same company, and a project of another company. */
function sibling(w: World, p: Proj) {
  const same = p.co.projects.filter((q) => q !== p);
  return pick(w.rng, same);
}
function foreign(w: World, p: Proj) {
  const others = w.projects.filter((q) => q.co !== p.co);
  return pick(w.rng, others);
}
const otherCompanies = (w: World, co: Co) => w.cos.filter((c) => c !== co);
const goneProjects = (w: World) => w.cos.flatMap((c) => c.goneProjects);

function pickPrincipal(w: World): Principal {
  const r = w.rng();
  const kind = r < 0.12 ? 'invalid' : r < 0.34 ? 'admin' : r < 0.46 ? 'viewer' : 'project';
  const candidates = w.principals.filter((p) => p.kind === kind);
  return pick(w.rng, candidates);
}

function pickRoute(w: World): RouteDef {
  let r = w.rng() * ROUTES.reduce((n, x) => n + x.weight, 0);
  for (const route of ROUTES) {
    r -= route.weight;
    if (r < 0) return route;
  }
  return ROUTES[ROUTES.length - 1];
}

/** The project a principal acts for when it acts on "its own". */
function home(w: World, pr: Principal): Proj {
  if (pr.kind === 'project') return pr.proj;
  if (pr.kind === 'invalid' || pr.co.projects.length === 0)
    return (pr.kind === 'invalid' && pr.proj) || pick(w.rng, w.projects);
  return pick(w.rng, pr.co.projects);
}

function chooseProject(w: World, pr: Principal, route: RouteDef): { seg: string; proj: Proj | null; item?: Item } {
  const rng = w.rng;
  const r = rng();
  const h = home(w, pr);
  if (route.name === 'project.delete' && r < 0.4) {
    const co = pr.kind !== 'invalid' && rng() < 0.7 ? pr.co : pick(rng, w.cos);
    const item = co.pool.project.length ? pick(rng, co.pool.project) : undefined;
    if (item) return { seg: item.id, proj: item.proj ?? null, item };
  }
  if (r < 0.55) return { seg: h.id, proj: h };
  if (r < 0.7) {
    const sameCompany = pick(rng, h.co.projects);
    return { seg: sameCompany.id, proj: sameCompany };
  }
  if (r < 0.88) {
    const other = foreign(w, h);
    return { seg: other.id, proj: other };
  }
  return { seg: bogusId(w, 'prj', goneProjects(w)), proj: null };
}

interface SubPick {
  seg: string;
  /** the id is a live resource of the project the path names (company keys: of the caller's company) */
  ok: boolean;
  /** deleting it would break the rest of the storm */
  unsafe?: boolean;
  item?: Item;
  pool?: Item[];
  doc?: Doc;
}

function chooseSub(w: World, pr: Principal, kind: 'doc' | 'golden' | 'key' | 'ckey', proj: Proj | null): SubPick {
  const rng = w.rng;
  const r = rng();
  if (kind === 'ckey') {
    const co = pr.kind === 'invalid' ? pick(rng, w.cos) : pr.co;
    const item = co.pool.ckey.length ? pick(rng, co.pool.ckey) : undefined;
    if (r < 0.4 && item) return { seg: item.id, ok: true, item };
    if (r < 0.55) return { seg: pick(rng, co.keyIds), ok: true, unsafe: true };
    if (r < 0.75) return { seg: pick(rng, pick(rng, otherCompanies(w, co)).keyIds), ok: false };
    if (r < 0.85 && co.projects.length) return { seg: pick(rng, pick(rng, co.projects).activeKeyIds), ok: false };
    return { seg: bogusId(w, 'key'), ok: false };
  }
  const p = proj ?? pick(rng, w.projects);
  const mine = proj !== null;
  const idsOf = (q: Proj) => (kind === 'doc' ? q.docs.map((d) => d.id) : kind === 'golden' ? q.golden : q.activeKeyIds);
  if (r < 0.3) {
    const i = int(rng, idsOf(p).length);
    return { seg: idsOf(p)[i], ok: mine, unsafe: true, doc: kind === 'doc' ? p.docs[i] : undefined };
  }
  if (kind === 'key' && r < 0.4) return { seg: pick(rng, p.deadKeyIds), ok: mine };
  const pool = p.pool[kind];
  if (r < 0.55 && pool.length) {
    const item = pick(rng, pool);
    return { seg: item.id, ok: mine, item, pool };
  }
  if (r < 0.7) return { seg: pick(rng, idsOf(sibling(w, p))), ok: false };
  if (r < 0.85) return { seg: pick(rng, idsOf(foreign(w, p))), ok: false };
  const gone = kind === 'key' ? [] : p.gone[kind];
  return { seg: bogusId(w, kind === 'golden' ? 'gq' : kind, gone), ok: false };
}

/** The next request of the storm: resampled until it destroys nothing the storm relies on. */
export function nextCall(w: World): Call {
  for (;;) {
    const call = attempt(w);
    if (call) return call;
  }
}

function attempt(w: World): Call | null {
  const rng = w.rng;
  const pr = pickPrincipal(w);
  const route = pickRoute(w);
  const short = !!route.short && rng() < 0.35;
  let target: { seg: string; proj: Proj | null; item?: Item } = { seg: '', proj: null };
  if (route.path.includes('{p}')) {
    target = short ? { seg: '', proj: pr.kind === 'project' ? pr.proj : null } : chooseProject(w, pr, route);
  }
  const sub = route.sub ? chooseSub(w, pr, route.sub, target.proj) : undefined;
  const { query, bad400 } = queryOf(w, route, short);
  const okStatus = route.name === 'docs.create' && !query.wait ? 202 : route.ok;
  const expected = expectedStatus(pr, route, short, target.proj, sub?.ok ?? true, bad400, okStatus);
  const success = expected < 300;
  let claim: Call['claim'];
  if (route.destroys && success) {
    const item = route.name === 'project.delete' ? target.item : sub?.item;
    if (route.name === 'project.delete' ? !item : sub?.unsafe) return null;
    if (item && route.sub !== 'key' && route.sub !== 'ckey') {
      if (item.busy > 0) return null;
      const pool = route.name === 'project.delete' ? (item.proj as Proj).co.pool.project : (sub?.pool as Item[]);
      const gone =
        route.name === 'project.delete'
          ? (item.proj as Proj).co.goneProjects
          : (target.proj as Proj).gone[route.sub as 'doc' | 'golden'];
      pool.splice(pool.indexOf(item), 1);
      claim = { item, pool, gone };
    }
  }
  let path = short ? route.path.replace('/v1/projects/{p}', '/v1') : route.path.replace('{p}', target.seg);
  if (sub) path = path.replace('{s}', sub.seg);
  if (rng() < 0.05) path += '/';
  const listy = ['docs.list', 'projects.list', 'audit'].includes(route.name);
  const limit = listy ? Number(query.limit ?? 50) : Number.POSITIVE_INFINITY;
  const call: Call = {
    pr,
    route,
    method: route.method,
    path,
    query,
    expected,
    proj: target.proj,
    doc: sub?.doc,
    fullList: !query.cursor,
    limit,
    held: [target.item, sub?.item].filter((i): i is Item => !!i && i !== claim?.item),
    claim,
  };
  call.body = bodyOf(w, call, success);
  const qs = new URLSearchParams(query).toString();
  if (qs) call.path += `?${qs}`;
  for (const item of call.held) item.busy++;
  if (success && call.proj) {
    if (route.name === 'golden.create') call.proj.started.golden++;
    if (route.name === 'keys.create') call.proj.started.keys++;
    if (route.name === 'golden.run') call.proj.started.runs++;
  }
  if (success && pr.kind === 'admin') {
    if (route.name === 'projects.create') pr.co.started.projects++;
    if (route.name === 'ckeys.create') pr.co.started.ckeys++;
  }
  return call;
}

/** Bookkeeping once the answer is in: release what the call held, record what it created. */
export function settle(w: World, call: Call, status: number, body: unknown) {
  for (const item of call.held) item.busy--;
  const ok = status < 300 && call.expected < 300;
  if (call.claim && ok) call.claim.gone.push(call.claim.item.id);
  else if (call.claim) call.claim.pool.push(call.claim.item);
  if (!ok) return;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
  const b = body as any;
  const proj = call.proj as Proj;
  const pr = call.pr as Principal & { kind: 'admin' };
  switch (call.route.name) {
    case 'docs.create':
    case 'golden.create':
    case 'keys.create': {
      const kind = call.route.name === 'docs.create' ? 'doc' : call.route.name === 'golden.create' ? 'golden' : 'key';
      const id = kind === 'doc' ? b.document.id : kind === 'golden' ? b.golden_question.id : b.api_key.id;
      proj.pool[kind].push({ id, busy: 0 });
      own(w, id, proj.co, proj);
      break;
    }
    case 'docs.batch':
      for (const item of b.documents) {
        if (!item.document) continue; // an item refused on its own (a repeated external_id)
        proj.pool.doc.push({ id: item.document.id, busy: 0 });
        own(w, item.document.id, proj.co, proj);
      }
      break;
    case 'ckeys.create':
      pr.co.pool.ckey.push({ id: b.api_key.id, busy: 0 });
      own(w, b.api_key.id, pr.co, null);
      break;
    case 'projects.create': {
      const np = blankProject(b.project.id, b.project.name, pr.co);
      pr.co.pool.project.push({ id: np.id, busy: 0, proj: np });
      own(w, np.id, pr.co, np);
      own(w, b.api_key.id, pr.co, np);
      break;
    }
  }
}

export function blankProject(id: string, name: string, co: Proj['co']): Proj {
  return {
    id,
    name,
    co,
    docs: [],
    golden: [],
    activeKeyIds: [],
    deadKeyIds: [],
    markers: new Set(),
    pool: { doc: [], golden: [], key: [] },
    gone: { doc: [], golden: [] },
    started: { docs: 0, bytes: 0, golden: 0, keys: 0, runs: 0 },
  };
}
