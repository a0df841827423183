import type { Call } from './fuzz-calls';
import { bogusId, draw, int, NOWHERE, newMarker, own, type Proj, pick, type RouteDef, type World } from './fuzz-model';

/** Request bodies and query strings of the storm: own, foreign and malformed ids, smuggled project ids. */
const STORM_TOPICS = ['zebra', 'quartz', 'lantern', 'walnut', 'comet', 'meadow'];
const BAD_CURSORS = ['bm90LWpzb24', 'eyJhIjo0Mn0', 'not a cursor'];

/** A question naming a marker of the target, of another project, or none. */
function question(w: World, proj: Proj | null): { text: string; asked?: string } {
  const r = w.rng();
  const mine = proj?.docs.map((d) => d.marker) ?? [];
  if (r < 0.4 && mine.length) {
    const m = pick(w.rng, mine);
    return { text: `Is ${m} the code we keep private?`, asked: m };
  }
  if (r < 0.75) {
    const theirs = w.projects.filter((p) => p !== proj).flatMap((p) => p.docs.map((d) => d.marker));
    const m = pick(w.rng, theirs);
    return { text: pick(w.rng, [`Is ${m} the launch code?`, `What is ${m}?`]), asked: m };
  }
  return { text: `What is the ${pick(w.rng, ['launch', 'vault', 'harbor', 'orchid', 'falcon'])} code?` };
}

function filterOf(w: World, proj: Proj | null) {
  const rng = w.rng;
  if (rng() < 0.5) return { tags: [pick(rng, ['launch', 'vault', 'storm', 'fuzz'])] };
  const ids = [pick(rng, pick(rng, w.projects).docs).id, bogusId(w, 'doc')];
  if (proj) ids.push(pick(rng, proj.docs).id);
  return { document_ids: ids };
}

/** A document of the storm: a marker of its own, registered to the project it may land in (or to nowhere). */
function stormDocument(w: World, proj: Proj | null, success: boolean) {
  const rng = w.rng;
  const m = newMarker(rng);
  const topic = pick(rng, STORM_TOPICS);
  const text = `Storm note. The ${topic} ledger reference is ${m}. It changes every ${topic} season.`;
  if (success && proj) {
    own(w, m, proj.co, proj);
    proj.markers.add(m);
    proj.started.docs++;
    proj.started.bytes += Buffer.byteLength(text);
  } else w.owners.set(m, NOWHERE); // it must never show up anywhere
  const content =
    rng() < 0.2 ? { content_base64: Buffer.from(text).toString('base64'), filename: 'note.txt' } : { text };
  const extra = rng() < 0.5 ? { title: `Storm ${topic}`, url: `/storm/${m}`, tags: ['storm', topic] } : {};
  const ext = rng() < 0.3 ? { external_id: `storm-${draw(rng, 'abcdef0123', 12)}`, metadata: { source: 'fuzz' } } : {};
  return { ...content, ...extra, ...ext };
}

/** The body of a request; the data it plants is registered to where it may legitimately land. */
export function bodyOf(w: World, call: Call, success: boolean): unknown {
  const rng = w.rng;
  const proj = call.proj;
  const smuggle = rng() < 0.15 ? { project_id: pick(rng, w.projects).id } : {};
  switch (call.route.name) {
    case 'ckeys.create':
      return { name: 'fuzz key', role: pick(rng, ['admin', 'viewer']) };
    case 'projects.create':
      return { name: 'fuzz throwaway', ...(rng() < 0.5 ? { environment: 'staging' } : {}) };
    case 'project.patch':
      return pick(rng, [
        { external_ref: `ref-${int(rng, 1e6)}` },
        { limits: { chat_per_minute: null, ingest_per_minute: null } },
        { webhook_url: null },
      ]);
    case 'keys.create':
      return { name: 'fuzz', scopes: pick(rng, [['query'], ['ingest'], ['review'], ['query', 'review']]) };
    case 'golden.create': {
      const doc = proj ? pick(rng, proj.docs) : null;
      return doc && rng() < 0.7
        ? { question: `Which code is ${doc.marker}?`, expected_answer: doc.marker, expected_document_ids: [doc.id] }
        : { question: 'Do you ship to Antarctica?', must_refuse: true };
    }
    case 'golden.patch':
      return { approved: rng() < 0.5 };
    case 'docs.create':
      return { ...stormDocument(w, proj, success), ...smuggle };
    case 'docs.batch': {
      // one to three documents, each planted where it may land, as a single POST plants one
      const n = 1 + int(rng, 3);
      return { documents: Array.from({ length: n }, () => stormDocument(w, proj, success)), ...smuggle };
    }
    case 'uploads':
      return { filename: 'manual.pdf', content_type: 'application/pdf', title: 'Manual', tags: ['storm'], ...smuggle };
    case 'retrieve': {
      const q = question(w, proj);
      call.asked = q.asked;
      return {
        query: q.text,
        ...(rng() < 0.3 ? { top_k: 1 + int(rng, 50) } : {}),
        ...(rng() < 0.3 ? { filter: filterOf(w, proj) } : {}),
        ...smuggle,
      };
    }
    case 'chat': {
      const q = question(w, proj);
      call.asked = q.asked;
      const ask =
        rng() < 0.25
          ? {
              messages: [
                { role: 'user', content: 'hello' },
                { role: 'assistant', content: 'hi' },
                { role: 'user', content: q.text },
              ],
            }
          : { question: q.text };
      const more = {
        ...(rng() < 0.25 ? { stream: true } : {}),
        ...(rng() < 0.25 ? { filter: filterOf(w, proj) } : {}),
      };
      return { ...ask, ...more, ...smuggle };
    }
    default:
      return undefined;
  }
}

export function queryOf(w: World, route: RouteDef, short: boolean): { query: Record<string, string>; bad400: boolean } {
  const rng = w.rng;
  const query: Record<string, string> = {};
  let bad400 = false;
  if (['docs.list', 'projects.list', 'audit'].includes(route.name)) {
    if (rng() < 0.3) query.limit = String(pick(rng, [1, 2, 5, 200]));
    const c = rng();
    if (c < 0.08) {
      query.cursor = pick(rng, BAD_CURSORS);
      bad400 = true;
    } else if (c < 0.16)
      query.cursor = Buffer.from(JSON.stringify({ a: pick(rng, w.projects).docs[0].id })).toString('base64url');
    if (route.name === 'docs.list' && rng() < 0.2) query.status = pick(rng, ['ready', 'queued', 'failed']);
  }
  if (route.name === 'usage' && rng() < 0.4) {
    const [from, to, bad] = pick(rng, [
      ['2000-01-01', '2100-01-01', false],
      ['yesterday', '2100-01-01', true],
      ['2030-01-02', '2030-01-01', true],
    ] as const);
    Object.assign(query, { from, to });
    bad400 = bad;
  }
  if (route.name === 'docs.create' && rng() < 0.6) query.wait = 'true';
  if (short && rng() < 0.3) query.project_id = pick(rng, w.projects).id;
  return { query, bad400 };
}
