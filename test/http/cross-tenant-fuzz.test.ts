import { type ApiClient, expectStatus } from '../../lambdas/client/api-client';
import { blankProject, nextCall, settle } from '../helpers/fuzz-calls';
import { responseProblems, sseAnswer } from '../helpers/fuzz-checks';
import {
  type Co,
  draw,
  int,
  mulberry32,
  newMarker,
  own,
  type Principal,
  type Proj,
  pick,
  type Rng,
  ROUTES,
  type World,
} from '../helpers/fuzz-model';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * A seeded storm of requests from every kind of principal (company admin and viewer, project
 * keys of every scope, revoked, expired, garbage and missing keys) at every route, aimed at its
 * own ids, at other tenants' real ids and at malformed ones. Each answer must carry the status
 * API.md prescribes and nothing of data the caller may not see. Replay a run with OPRAG_FUZZ_SEED:
 * the seed fixes every random choice; which throwaway resource a choice lands on can still vary
 * with the timing of the 8 requests in flight.
 */
const SEED = Number(process.env.OPRAG_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));
const REQUESTS = 10_000;
const IN_FLIGHT = 8;
const TOPICS = ['launch', 'vault', 'harbor', 'orchid', 'falcon'];
const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

type Created<K extends string> = { [k in K]: { id: string; key: string; name: string; limits: object } };
type ProjectCreated = Created<'project' | 'api_key'>;

const newCo = (id: string, keyIds: string[]): Co => ({
  id,
  keyIds,
  projects: [],
  pool: { ckey: [], project: [] },
  goneProjects: [],
  started: { projects: 0, ckeys: 0 },
});

/** Three companies of three projects, each with documents, golden questions and keys of every kind. */
async function buildWorld(t: TestServer, rng: Rng): Promise<World> {
  const w: World = { rng, cos: [], projects: [], owners: new Map(), principals: [] };
  const demo = expectStatus(await t.admin.get<{ company: { id: string } }>('/v1/company'), 200, 'demo company');
  const demoKeys = expectStatus(await t.admin.get<{ keys: { id: string }[] }>('/v1/company/keys'), 200, 'demo keys');
  const demoKeyIds = demoKeys.keys.map((k) => k.id);
  const outsider = newCo(demo.company.id, demoKeyIds); // the demo company: a company of its own, with no projects
  w.cos.push(outsider);
  for (const id of [outsider.id, ...outsider.keyIds]) own(w, id, outsider, null);
  w.principals.push({ label: 'outsider admin', key: t.adminKey, kind: 'admin', co: outsider });
  const admins = new Map<Co, ApiClient>();
  for (let c = 0; c < 3; c++) {
    const made = await t.server.services.keys.createCompany(`Fuzz company ${c}`);
    const admin = t.client(made.api_key.key);
    const viewer = expectStatus(
      await admin.post<Created<'api_key'>>('/v1/company/keys', { name: 'viewer', role: 'viewer' }),
      201,
      'viewer key',
    ).api_key;
    const co = newCo(made.company.id, [made.api_key.id, viewer.id]);
    w.cos.push(co);
    admins.set(co, admin);
    for (const id of [co.id, ...co.keyIds]) own(w, id, co, null);
    w.principals.push({ label: `c${c} admin`, key: made.api_key.key, kind: 'admin', co });
    w.principals.push({ label: `c${c} viewer`, key: viewer.key, kind: 'viewer', co });
    for (let j = 0; j < 3; j++) {
      const made = expectStatus(
        await admin.post<ProjectCreated>('/v1/projects', { name: `c${c}p${j}` }),
        201,
        'project',
      );
      const p = blankProject(made.project.id, made.project.name, co);
      co.projects.push(p);
      w.projects.push(p);
      own(w, p.id, co, p);
      // default per-minute limits would turn part of the storm into 429s: lift them for these projects
      if (Object.values(made.project.limits).some((v) => v !== null)) {
        if (c + j === 0)
          console.log(`new projects start with limits ${JSON.stringify(made.project.limits)}: lifting them`);
        const limits = { chat_per_minute: null, ingest_per_minute: null, max_documents: null, max_bytes: null };
        expectStatus(await admin.request('PATCH', `/v1/projects/${p.id}`, { limits }), 200, 'limits');
      }
      await seedProject(t, w, p, admin, made.api_key, `c${c}p${j}`);
    }
  }
  const expiresAt = t.clock.now().getTime() + 1500;
  await Promise.all(
    w.projects.map(async (p) => {
      const body = { name: 'expiring', expires_at: new Date(expiresAt).toISOString() };
      const key = expectStatus(
        await admins.get(p.co)!.post<Created<'api_key'>>(`/v1/projects/${p.id}/keys`, body),
        201,
        'key',
      );
      own(w, key.api_key.id, p.co, p);
      p.deadKeyIds.push(key.api_key.id);
      w.principals.push({ label: `${p.name} expired`, key: key.api_key.key, kind: 'invalid', proj: p });
    }),
  );
  const real = pick(rng, w.principals).key as string;
  for (const [label, key] of [
    ['garbage', 'nope'],
    ['unknown project key', `oprag_pk_${draw(rng, ALNUM, 40)}`],
    ['unknown company key', `oprag_ak_${draw(rng, ALNUM, 40)}`],
    ['near miss', `${real.slice(0, -1)}${real.endsWith('A') ? 'B' : 'A'}`],
    ['missing key', undefined],
  ] as const)
    w.principals.push({ label, key, kind: 'invalid' });
  // the expiring keys are past their time from here on: the server's clock moves, nobody waits
  t.clock.advance(expiresAt + 250 - t.clock.now().getTime());
  return w;
}

async function seedProject(
  t: TestServer,
  w: World,
  p: Proj,
  admin: ApiClient,
  first: { id: string; key: string },
  label: string,
) {
  const rng = w.rng;
  own(w, first.id, p.co, p);
  p.activeKeyIds.push(first.id);
  const firstKey = t.client(first.key);
  const topics = [...TOPICS].sort(() => rng() - 0.5).slice(0, 2 + int(rng, 2));
  for (const topic of topics) {
    const marker = newMarker(rng);
    const text = `# The ${topic} code\n\nThe ${topic} code of this tenant is ${marker}. Keep the ${topic} code private.`;
    const extra = rng() < 0.5 ? { tags: [topic, 'fuzz'], url: `/docs/${topic}` } : {};
    const made = expectStatus(
      await firstKey.post<{ document: { id: string; content_hash: string; chunks: number; bytes: number } }>(
        '/v1/documents?wait=true',
        { title: `The ${topic} code`, text, ...extra },
      ),
      201,
      'document',
    ).document;
    p.docs.push({ id: made.id, topic, marker, text, hash: made.content_hash, chunks: made.chunks, bytes: made.bytes });
    p.markers.add(marker);
    own(w, made.id, p.co, p);
    own(w, marker, p.co, p);
  }
  for (const d of p.docs.slice(0, 1 + int(rng, 2))) {
    const body = { question: `What is the ${d.topic} code?`, expected_answer: d.marker, expected_document_ids: [d.id] };
    const q = expectStatus(
      await admin.post<Created<'golden_question'>>(`/v1/projects/${p.id}/golden-questions`, body),
      201,
      'golden',
    );
    p.golden.push(q.golden_question.id);
    own(w, q.golden_question.id, p.co, p);
  }
  w.principals.push({
    label: `${label} first key`,
    key: first.key,
    kind: 'project',
    co: p.co,
    proj: p,
    scopes: ['query', 'ingest'],
  });
  for (const scope of ['query', 'ingest', 'review', 'revoked']) {
    const scopes = scope === 'revoked' ? ['query', 'ingest'] : [scope];
    const key = expectStatus(
      await admin.post<Created<'api_key'>>(`/v1/projects/${p.id}/keys`, { name: scope, scopes }),
      201,
      'key',
    );
    own(w, key.api_key.id, p.co, p);
    if (scope === 'revoked') {
      expectStatus(await admin.delete(`/v1/projects/${p.id}/keys/${key.api_key.id}`), 200, 'revoke');
      p.deadKeyIds.push(key.api_key.id);
      w.principals.push({ label: `${label} revoked`, key: key.api_key.key, kind: 'invalid', proj: p });
    } else {
      p.activeKeyIds.push(key.api_key.id);
      w.principals.push({
        label: `${label} ${scope}`,
        key: key.api_key.key,
        kind: 'project',
        co: p.co,
        proj: p,
        scopes,
      });
    }
  }
}

describe('cross-tenant fuzz: random requests from every principal at every id', () => {
  let t: TestServer;
  let w: World;
  const principal = (test: (p: Principal) => boolean) => w.principals.find(test) as Principal & { key: string };

  beforeAll(async () => {
    console.log(`cross-tenant fuzz seed ${SEED} (replay with OPRAG_FUZZ_SEED=${SEED})`);
    t = await startTestServer();
    w = await buildWorld(t, mulberry32(SEED));
  }, 120_000);
  afterAll(async () => t.close());

  it(`answers ${REQUESTS} random requests exactly as API.md prescribes, and leaks nothing`, async () => {
    const clients = new Map<string, ApiClient>();
    const clientOf = (key?: string) => clients.get(key ?? '') ?? clients.set(key ?? '', t.client(key)).get(key ?? '')!;
    const problems: string[] = [];
    const seen = new Set<string>();
    // every route as a success and as each refusal that route can give
    const wanted = ROUTES.flatMap((r) =>
      ['ok', '401', '403', ...(r.path.includes('{') ? ['404'] : [])].map((s) => `${r.name} ${s}`),
    );
    const missing = () => wanted.filter((s) => !seen.has(s));
    let sent = 0;
    const started = Date.now();
    const worker = async () => {
      // past REQUESTS the storm goes on, up to twice as long, only while some outcome is still unseen
      while (sent < REQUESTS || (sent < 2 * REQUESTS && missing().length > 0)) {
        sent++;
        const call = nextCall(w);
        const res = await clientOf(call.pr.key).request(call.method, call.path, call.body);
        problems.push(...responseProblems(w, call, res));
        settle(w, call, res.status, res.body);
        if (res.status === call.expected) seen.add(`${call.route.name} ${res.status < 300 ? 'ok' : res.status}`);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`cross-tenant fuzz: ${sent} requests in ${seconds} s (seed ${SEED}); ${problems.length} problems`);
    expect(problems.slice(0, 20)).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(REQUESTS);
    expect(missing()).toEqual([]);
  }, 300_000);

  it('leaves every document ready and unchanged, and each project answers only its own markers', async () => {
    for (const p of w.projects) {
      const admin = t.client(principal((x) => x.kind === 'admin' && x.co === p.co).key);
      const first = t.client(
        principal((x) => x.kind === 'project' && x.proj === p && x.label.endsWith('first key')).key,
      );
      for (const d of p.docs) {
        const doc = await first.get<{ document: { status: string; content_hash: string } }>(`/v1/documents/${d.id}`);
        expect({ id: d.id, ...doc.body.document }).toMatchObject({ id: d.id, status: 'ready', content_hash: d.hash });
      }
      const docs = await first.get<{ documents: unknown[] }>('/v1/documents?limit=200');
      expect(docs.body.documents).toHaveLength(p.docs.length + p.pool.doc.length);
      const golden = await admin.get<{ golden_questions: unknown[] }>(`/v1/projects/${p.id}/golden-questions`);
      expect(golden.body.golden_questions).toHaveLength(p.golden.length + p.pool.golden.length);
      const keys = await admin.get<{ keys: { id: string; revoked_at: string | null }[] }>(`/v1/projects/${p.id}/keys`);
      expect(keys.body.keys).toHaveLength(p.activeKeyIds.length + p.deadKeyIds.length + p.pool.key.length);
      const active = keys.body.keys.filter((k) => p.activeKeyIds.includes(k.id));
      expect(active.map((k) => k.revoked_at)).toEqual(p.activeKeyIds.map(() => null));
      expect((await admin.get<{ project: { name: string } }>(`/v1/projects/${p.id}`)).body.project.name).toBe(p.name);
      for (const d of p.docs) {
        const own = await first.post<Record<string, unknown>>('/v1/chat', {
          question: `Is ${d.marker} the ${d.topic} code?`,
        });
        expect(own.body).toMatchObject({ grounded: true, answer: expect.stringContaining(d.marker) });
      }
      for (const q of w.projects.filter((x) => x !== p)) {
        const d = pick(w.rng, q.docs);
        const res = await first.post('/v1/chat', { question: `Is ${d.marker} the ${d.topic} code?`, stream: true });
        const refusal = { grounded: false, citations: [], refusal: { reason: 'no_relevant_documents' } };
        expect(sseAnswer(String(res.body))).toMatchObject(refusal);
        expect(String(res.body)).not.toContain(d.marker);
      }
    }
    for (const co of w.cos.slice(1)) {
      const admin = t.client(principal((x) => x.kind === 'admin' && x.co === co).key);
      const projects = await admin.get<{ projects: unknown[] }>('/v1/projects?limit=200');
      expect(projects.body.projects).toHaveLength(co.projects.length + co.pool.project.length);
      const keys = await admin.get<{ keys: { id: string; revoked_at: string | null }[] }>('/v1/company/keys');
      expect(keys.body.keys).toHaveLength(co.keyIds.length + co.pool.ckey.length);
      const base = keys.body.keys.filter((k) => co.keyIds.includes(k.id));
      expect(base.map((k) => k.revoked_at)).toEqual(co.keyIds.map(() => null));
    }
  }, 120_000);
});
