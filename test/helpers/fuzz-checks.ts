import type { ApiResponse } from '../../lambdas/client/api-client';
import type { Call } from './fuzz-calls';
import type { Owner, Principal, Proj, World } from './fuzz-model';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'invalid_request',
  429: 'rate_limited',
  500: 'internal',
};

/** Anything that looks like one of our ids or markers. */
const TOKEN = /\b(?:prj|doc|gq|key|cmp)_[0-9a-z]{26}\b|mk[0-9a-f]{10}\d/g;

/** A company key sees its whole company; a project key its project and its company's company-level ids. */
export function visible(pr: Principal, o: Owner): boolean {
  if (pr.kind === 'invalid' || o.company !== pr.co.id) return false;
  return pr.kind !== 'project' || o.project === null || o.project === pr.proj.id;
}

/** The tokens of `text` that belong to data the principal may not see. */
export function leaksIn(w: World, pr: Principal, text: string): string[] {
  const out = new Set<string>();
  for (const [token] of text.matchAll(TOKEN)) {
    const owner = w.owners.get(token);
    if (owner && !visible(pr, owner)) out.add(`${token} (of ${owner.company}/${owner.project})`);
  }
  return [...out];
}

const SHORT_FORM = /^\/v1\/(documents|uploads|retrieve|chat)\b/;
const parseLine = (line: string) => JSON.parse(line);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const within = (n: unknown, lo: number, hi: number) => typeof n === 'number' && n >= lo && n <= hi;

/** The `done` event of a chat answered as Server-Sent Events. */
export function sseAnswer(text: string) {
  const done = /event: done\ndata: (.*)\n/.exec(text);
  return done ? JSON.parse(done[1]) : null;
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type Body = any;

/** What a successful answer must hold, from the model: own ids, counts within the caller's scope. */
function bodyProblems(call: Call, b: Body, text: string): string[] {
  const out: string[] = [];
  const need = (cond: unknown, what: string) => {
    if (!cond) out.push(what);
  };
  const p = call.proj as Proj;
  const ids = (xs: { id: string }[]) => xs.map((x) => x.id);
  /** a list holds all the base ids of its scope and no more than the scope can hold */
  const covers = (got: string[], base: string[], extra: number, what: string) => {
    if (!call.fullList || call.limit < base.length + extra) {
      need(got.length <= call.limit, `${what} over limit`);
      return;
    }
    const missing = base.filter((id) => !got.includes(id));
    need(missing.length === 0, `${what} misses ${missing.length} of its own`);
    need(within(got.length, base.length, base.length + extra), `${what}: ${got.length} not in its scope's count`);
  };
  const baseBytes = p ? sum(p.docs.map((d) => d.bytes)) : 0;
  const pr = call.pr as Principal & { kind: 'admin' };
  switch (call.route.name) {
    case 'company.get':
      need(b.company?.id === pr.co.id, 'another company');
      break;
    case 'ckeys.list':
      need(!/"key":/.test(text), 'a secret in a key list');
      covers(ids(b.keys), pr.co.keyIds, pr.co.started.ckeys, 'company keys');
      break;
    case 'projects.list':
      covers(ids(b.projects), ids(pr.co.projects), pr.co.started.projects, 'projects');
      break;
    case 'project.get': {
      const s = b.project?.stats ?? {};
      need(b.project?.id === p.id, 'another project');
      need(within(s.documents, p.docs.length, p.docs.length + p.started.docs), `stats.documents ${s.documents}`);
      need(within(s.bytes, baseBytes, baseBytes + p.started.bytes), `stats.bytes ${s.bytes}`);
      const chunks = sum(p.docs.map((d) => d.chunks));
      need(within(s.chunks, chunks, chunks + 4 * p.started.docs), `stats.chunks ${s.chunks}`);
      break;
    }
    case 'usage': {
      const docs = sum(b.usage.map((u: Body) => u.documents));
      const bytes = sum(b.usage.map((u: Body) => u.bytes));
      need(within(docs, p.docs.length, p.docs.length + p.started.docs), `usage documents ${docs}`);
      need(within(bytes, baseBytes, baseBytes + p.started.bytes), `usage bytes ${bytes}`);
      break;
    }
    case 'export': {
      const lines: Body[] = text.trim().split('\n').map(parseLine);
      need(lines[0]?.type === 'project' && lines[0].id === p.id, 'export of another project');
      const docs = lines.filter((l) => l.type === 'document');
      covers(ids(docs), ids(p.docs), p.started.docs, 'exported documents');
      covers(ids(lines.filter((l) => l.type === 'golden_question')), p.golden, p.started.golden, 'exported golden');
      for (const d of p.docs) need(docs.find((l) => l.id === d.id)?.text?.includes(d.marker), 'export lost a marker');
      break;
    }
    case 'keys.list':
      need(!/"key":/.test(text), 'a secret in a key list');
      covers(ids(b.keys), [...p.activeKeyIds, ...p.deadKeyIds], p.started.keys, 'project keys');
      break;
    case 'audit':
      need(b.events.length <= call.limit, 'audit over limit');
      for (const e of b.events) {
        const r = String(e.resource);
        const ownPath = r.startsWith(`/v1/projects/${p.id}`) || SHORT_FORM.test(r);
        need(ownPath, `audit of ${r}`);
      }
      break;
    case 'golden.list':
      covers(ids(b.golden_questions), p.golden, p.started.golden, 'golden questions');
      break;
    case 'golden.runs':
      need(b.runs.length <= p.started.runs, `${b.runs.length} golden runs`);
      break;
    case 'docs.list':
      if (call.query.status) {
        const other = b.documents.filter((d: Body) => d.status !== call.query.status);
        need(other.length === 0, 'status filter');
      } else covers(ids(b.documents), ids(p.docs), p.started.docs, 'documents');
      break;
    case 'doc.get':
      if (call.doc)
        need(b.document.status === 'ready' && b.document.content_hash === call.doc.hash, 'a base document changed');
      break;
    case 'doc.content':
      need(!call.doc || text === call.doc.text, 'content differs from what was ingested');
      break;
    case 'chat': {
      const a = (call.body as { stream?: boolean }).stream ? sseAnswer(text) : b;
      need(a && typeof a.answer === 'string', 'no answer');
      if (a && call.asked && !p.markers.has(call.asked))
        need(a.refusal !== null && a.grounded === false && a.citations.length === 0, 'answered a foreign marker');
      break;
    }
    case 'retrieve':
      need(Array.isArray(b.results), 'no results');
      break;
  }
  return out;
}

/** Every problem with one response: status, error body, leaked tokens, and the body's invariants. */
export function responseProblems(w: World, call: Call, res: ApiResponse<unknown>): string[] {
  const where = `${call.method} ${call.path} as ${call.pr.label}`;
  const problems: string[] = [];
  const b = res.body as Body;
  const text = typeof b === 'string' ? b : JSON.stringify(b);
  if (res.status !== call.expected)
    problems.push(`status: ${where}: expected ${call.expected}, got ${res.status} ${text.slice(0, 160)}`);
  const requestId = res.headers.get('x-request-id');
  if (!requestId) problems.push(`no x-request-id: ${where}`);
  if (res.status >= 400) {
    const e = b?.error;
    if (!e || e.type !== ERROR_TYPES[res.status] || typeof e.message !== 'string' || e.request_id !== requestId)
      problems.push(`error body: ${where}: ${text.slice(0, 160)}`);
  }
  // the audit log records the paths its own callers asked for, which the fuzzer fills with others' ids
  // (the export carries the same log, as its `audit` lines)
  const scanned =
    call.route.name === 'audit' && Array.isArray(b?.events)
      ? JSON.stringify(b.events.map((e: Body) => ({ ...e, resource: undefined })))
      : call.route.name === 'export' && res.status === 200
        ? text
            .split('\n')
            .filter(Boolean)
            .map((l) => {
              const line = JSON.parse(l);
              return JSON.stringify(line.type === 'audit' ? { ...line, resource: undefined } : line);
            })
            .join('\n')
        : text;
  const leaked = leaksIn(w, call.pr, scanned);
  if (leaked.length) problems.push(`leak: ${where}: ${leaked.join(', ')}`);
  if (res.status < 300 && call.expected < 300) {
    try {
      problems.push(...bodyProblems(call, b, text).map((p) => `body: ${where}: ${p}`));
    } catch (e) {
      problems.push(`body: ${where}: ${(e as Error).message} in ${text.slice(0, 160)}`);
    }
  }
  return problems;
}
