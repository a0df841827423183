/**
 * Measures answers and refusals through the HTTP API, on claim sets with known relevant
 * documents (SciFact, Climate-FEVER in the BEIR layout):
 * - answerable: each claim of the split asked of a project holding the whole SciFact corpus,
 *   which should answer it citing a relevant abstract;
 * - removed: the same claims asked of a project holding the corpus minus the split's relevant
 *   abstracts, which should refuse;
 * - off-topic: the split's Climate-FEVER claims asked of the SciFact project, which should refuse.
 * With SciFact's evidence sentences it also measures whether the quoted sentences are the ones
 * that carry the evidence. Without `baseUrl`, it runs on a throwaway local server and data
 * directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GateOptions } from '../core/gate';
import { percentile } from '../core/ir-metrics';
import { splitSentences, tokenize } from '../core/text';
import { startServer } from '../local/server';
import { ApiClient, expectStatus } from './api-client';
import { readJsonl, readQrelsFile } from './beir';

export interface AnswerEvalOptions {
  /** a SciFact folder: corpus.jsonl, corpus_sentences.jsonl, queries.jsonl, qrels/<split>.tsv */
  scifactDir: string;
  /** a Climate-FEVER folder: queries.jsonl, qrels/<split>.tsv */
  climateDir: string;
  split: string;
  /** a running deployment; without it, a throwaway local server is started */
  baseUrl?: string;
  /** the company admin key of `baseUrl` (required with it) */
  adminKey?: string;
  /** gate settings of the throwaway server (not possible with `baseUrl`) */
  gate?: Partial<GateOptions>;
  /** at most this many claims of each kind (quick runs) */
  limit?: number;
  /** requests in flight while ingesting */
  concurrency?: number;
  /** every abstract is ingested twice, the second time under another title (help centres repeat articles) */
  copies?: boolean;
  /** progress lines */
  log?: (line: string) => void;
}

export interface AnswerEvalReport {
  split: string;
  gate: Partial<GateOptions> | null;
  corpus: { documents: number; removed_for_unanswerable: number };
  answerable: {
    claims: number;
    answered: number;
    answered_with_relevant_citation: number;
    /** answered_with_relevant_citation / claims */
    rate: number;
  };
  unanswerable: {
    removed: { claims: number; refused: number; rate: number };
    off_topic: { claims: number; refused: number; rate: number };
    /** both kinds together */
    rate: number;
  };
  citation_sentences: {
    /** answer sentences that cite an abstract holding gold evidence for the claim */
    cited_from_evidence_documents: number;
    /** of those, the sentences that quote a gold evidence sentence */
    gold: number;
    /** gold / cited_from_evidence_documents */
    precision: number;
    /** answers citing an evidence abstract, and of them the ones quoting at least one gold sentence */
    answers_citing_evidence: number;
    answers_quoting_gold: number;
  };
  chat_ms: { p50: number; p99: number; requests: number };
}

interface Doc {
  _id: string;
  title: string;
  text: string;
}
interface Claim {
  _id: string;
  text: string;
  metadata?: Record<string, unknown>;
}
interface ChatBody {
  answer: string;
  grounded: boolean;
  citations: { index: number; document_id: string }[];
}

/** qrels/<split>.tsv as query id → relevant corpus ids (score > 0). */
export function readQrels(file: string): Map<string, Set<string>> {
  return new Map([...readQrelsFile(file)].map(([qid, judged]) => [qid, new Set(judged.keys())]));
}

export { percentile };

/**
 * The sentences of an abstract that a quoted sentence reproduces: those with at least 80% of
 * their words in the quote (a quote may span two of the data set's sentences), or else the one
 * it overlaps most. Indices into `sentences`.
 */
export function quotedSentences(quote: string, sentences: string[]): number[] {
  const words = new Set(tokenize(quote));
  const containment = sentences.map((s) => {
    const tokens = tokenize(s);
    if (tokens.length === 0) return 0;
    return tokens.filter((t) => words.has(t)).length / tokens.length;
  });
  const strong = containment.flatMap((c, i) => (c >= 0.8 ? [i] : []));
  if (strong.length > 0) return strong;
  const best = Math.max(0, ...containment);
  return best > 0 ? [containment.indexOf(best)] : [];
}

/** The sentences of an answer with the citation numbers each carries, markers removed. */
export function citedSentences(answer: string): { text: string; cites: number[] }[] {
  return splitSentences(answer).map((s) => ({
    text: s.replace(/\s*\[\d+\]/g, '').trim(),
    cites: [...s.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])),
  }));
}

/** SciFact metadata: corpus id → the indices of its gold evidence sentences. */
function evidenceOf(claim: Claim): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const [doc, entries] of Object.entries(claim.metadata ?? {})) {
    if (!Array.isArray(entries)) continue;
    const set = new Set<number>();
    for (const e of entries as { sentences?: number[] }[]) for (const i of e.sentences ?? []) set.add(i);
    if (set.size > 0) out.set(doc, set);
  }
  return out;
}

async function pool<T>(items: T[], n: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, n) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 1000) / 1000);

interface Prepared {
  corpus: Doc[];
  sentences: Map<string, string[]>;
  claims: Claim[];
  qrels: Map<string, Set<string>>;
  offTopic: Claim[];
  removed: Set<string>;
}

function prepare(o: AnswerEvalOptions): Prepared {
  const corpus = readJsonl<Doc>(join(o.scifactDir, 'corpus.jsonl'));
  const sentences = new Map(
    readJsonl<{ _id: string; sentences: string[] }>(join(o.scifactDir, 'corpus_sentences.jsonl')).map((d) => [
      d._id,
      d.sentences,
    ]),
  );
  const qrels = readQrels(join(o.scifactDir, 'qrels', `${o.split}.tsv`));
  const byId = new Map(readJsonl<Claim>(join(o.scifactDir, 'queries.jsonl')).map((q) => [q._id, q]));
  const claims = [...qrels.keys()].flatMap((id) => byId.get(id) ?? []).slice(0, o.limit ?? Number.POSITIVE_INFINITY);
  const climateQrels = readQrels(join(o.climateDir, 'qrels', `${o.split}.tsv`));
  const climate = new Map(readJsonl<Claim>(join(o.climateDir, 'queries.jsonl')).map((q) => [q._id, q]));
  const offTopic = [...climateQrels.keys()]
    .flatMap((id) => climate.get(id) ?? [])
    .slice(0, o.limit ?? Number.POSITIVE_INFINITY);
  // every relevant abstract of the split leaves the second project, not only those of the claims asked
  const removed = new Set([...qrels.values()].flatMap((s) => [...s]));
  return { corpus, sentences, claims, qrels, offTopic, removed };
}

/** A project to ask: its key and id; the server's address may change between runs. */
interface ProjectRef {
  id: string;
  key: string;
}

interface Projects {
  full: ProjectRef;
  minus: ProjectRef;
  /** document id → corpus id, for both projects */
  corpusIdOf: Map<string, string>;
  cleanup: () => Promise<void>;
}

async function createProjects(admin: ApiClient, p: Prepared, o: AnswerEvalOptions): Promise<Projects> {
  const corpusIdOf = new Map<string, string>();
  const stamp = Date.now().toString(36);
  const made: string[] = [];
  const one = async (name: string, docs: Doc[]) => {
    const created = expectStatus(
      await admin.post<{ project: { id: string }; api_key: { key: string } }>('/v1/projects', {
        name: `${name} ${stamp}`,
      }),
      201,
      'create project',
    );
    made.push(created.project.id);
    // measure answers, not the per-minute limiter
    await admin.request('PATCH', `/v1/projects/${created.project.id}`, {
      limits: { chat_per_minute: null, ingest_per_minute: null },
    });
    const client = admin.withKey(created.api_key.key);
    const all = o.copies
      ? docs.flatMap((d) => [
          { ...d, copy: false },
          { ...d, title: `${d.title} (copy)`, copy: true },
        ])
      : docs.map((d) => ({ ...d, copy: false }));
    await pool(all, o.concurrency ?? 6, async (d) => {
      const res = await client.post<{ document: { id: string } }>(`/v1/projects/${created.project.id}/documents`, {
        title: d.title,
        text: d.text,
        external_id: d.copy ? `${d._id}#copy` : d._id,
      });
      if (res.status !== 202 && res.status !== 201 && res.status !== 200)
        throw new Error(`ingest ${d._id}: ${res.status} ${JSON.stringify(res.body)}`);
      corpusIdOf.set(res.body.document.id, d._id);
    });
    return { id: created.project.id, key: created.api_key.key, client };
  };
  o.log?.(`ingesting ${p.corpus.length} abstracts, then ${p.corpus.length - p.removed.size} without the relevant ones`);
  const full = await one('answers eval: scifact', p.corpus);
  const minus = await one(
    'answers eval: scifact minus relevant',
    p.corpus.filter((d) => !p.removed.has(d._id)),
  );
  for (const project of [full, minus]) await waitReady(project.client, project.id);
  return {
    full: { id: full.id, key: full.key },
    minus: { id: minus.id, key: minus.key },
    corpusIdOf,
    cleanup: async () => {
      for (const id of made) await admin.delete(`/v1/projects/${id}`);
    },
  };
}

async function waitReady(client: ApiClient, projectId: string) {
  for (;;) {
    const res = await client.get<{ documents: unknown[] }>(`/v1/projects/${projectId}/documents?status=queued&limit=1`);
    const busy = await client.get<{ documents: unknown[] }>(
      `/v1/projects/${projectId}/documents?status=processing&limit=1`,
    );
    if (res.status !== 200) throw new Error(`list documents: ${res.status}`);
    if (res.body.documents.length === 0 && busy.body.documents.length === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function askAll(
  baseUrl: string,
  p: Prepared,
  projects: Projects,
  o: AnswerEvalOptions,
): Promise<AnswerEvalReport> {
  const latencies: number[] = [];
  const chat = async (project: ProjectRef, question: string): Promise<ChatBody> => {
    const t = performance.now();
    const res = await new ApiClient(baseUrl, project.key).post<ChatBody>(`/v1/projects/${project.id}/chat`, {
      question,
    });
    latencies.push(performance.now() - t);
    return expectStatus(res, 200, 'chat');
  };
  const ans = { answered: 0, relevant: 0 };
  const cite = { fromEvidence: 0, gold: 0, answersCiting: 0, answersGold: 0 };
  o.log?.(`asking ${p.claims.length} claims of each SciFact project, ${p.offTopic.length} off-topic claims`);
  for (const claim of p.claims) {
    const relevant = p.qrels.get(claim._id) ?? new Set();
    const body = await chat(projects.full, claim.text);
    if (!body.grounded) continue;
    ans.answered++;
    const corpusIdOfCitation = new Map(
      body.citations.map((c) => [c.index, projects.corpusIdOf.get(c.document_id) ?? '']),
    );
    if ([...corpusIdOfCitation.values()].some((id) => relevant.has(id))) ans.relevant++;
    const evidence = evidenceOf(claim);
    let citing = false;
    let quotingGold = false;
    for (const s of citedSentences(body.answer)) {
      const docs = s.cites.map((n) => corpusIdOfCitation.get(n) ?? '').filter((id) => evidence.has(id));
      if (docs.length === 0) continue;
      citing = true;
      cite.fromEvidence++;
      const gold = docs.some((id) =>
        quotedSentences(s.text, p.sentences.get(id) ?? []).some((i) => evidence.get(id)?.has(i)),
      );
      if (gold) {
        cite.gold++;
        quotingGold = true;
      }
    }
    if (citing) cite.answersCiting++;
    if (quotingGold) cite.answersGold++;
  }
  let removedRefused = 0;
  for (const claim of p.claims) if (!(await chat(projects.minus, claim.text)).grounded) removedRefused++;
  let offTopicRefused = 0;
  for (const claim of p.offTopic) if (!(await chat(projects.full, claim.text)).grounded) offTopicRefused++;
  const n = p.claims.length;
  return {
    split: o.split,
    gate: o.gate ?? null,
    corpus: { documents: p.corpus.length, removed_for_unanswerable: p.removed.size },
    answerable: {
      claims: n,
      answered: ans.answered,
      answered_with_relevant_citation: ans.relevant,
      rate: ratio(ans.relevant, n),
    },
    unanswerable: {
      removed: { claims: n, refused: removedRefused, rate: ratio(removedRefused, n) },
      off_topic: {
        claims: p.offTopic.length,
        refused: offTopicRefused,
        rate: ratio(offTopicRefused, p.offTopic.length),
      },
      rate: ratio(removedRefused + offTopicRefused, n + p.offTopic.length),
    },
    citation_sentences: {
      cited_from_evidence_documents: cite.fromEvidence,
      gold: cite.gold,
      precision: ratio(cite.gold, cite.fromEvidence),
      answers_citing_evidence: cite.answersCiting,
      answers_quoting_gold: cite.answersGold,
    },
    chat_ms: {
      p50: Math.round(percentile(latencies, 50) * 10) / 10,
      p99: Math.round(percentile(latencies, 99) * 10) / 10,
      requests: latencies.length,
    },
  };
}

/**
 * One evaluation: ingests the two projects, asks every claim, reports the figures. On a
 * throwaway server the data directory is removed afterwards; on `baseUrl` the two projects are.
 */
export async function runAnswerEval(o: AnswerEvalOptions): Promise<AnswerEvalReport> {
  const [report] = await runAnswerEvalCurve(o, [o.gate ?? {}]);
  return report;
}

/**
 * The same evaluation for several gate settings of a throwaway server: the projects are ingested
 * once, then the server is restarted on the same data directory with each setting in turn.
 */
export async function runAnswerEvalCurve(
  o: Omit<AnswerEvalOptions, 'gate'>,
  gates: Partial<GateOptions>[],
): Promise<AnswerEvalReport[]> {
  const p = prepare(o);
  if (o.baseUrl) {
    if (!o.adminKey) throw new Error('an admin key is needed with baseUrl');
    if (gates.length > 1 || Object.keys(gates[0] ?? {}).length > 0)
      throw new Error('gate settings apply to a throwaway server only');
    const projects = await createProjects(new ApiClient(o.baseUrl, o.adminKey), p, o);
    try {
      return [await askAll(o.baseUrl, p, projects, o)];
    } finally {
      await projects.cleanup();
    }
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'oprag-answers-'));
  let adminKey = '';
  const start = (gate: Partial<GateOptions>) =>
    startServer({
      dataDir,
      port: 0,
      dropIntervalSeconds: 0,
      settings: { gate },
      print: (line) => {
        adminKey = line.match(/oprag_ak_\w+/)?.[0] ?? adminKey;
      },
    });
  try {
    let server = await start(gates[0] ?? {});
    let projects: Projects;
    try {
      projects = await createProjects(new ApiClient(server.url, adminKey), p, o);
    } catch (e) {
      await server.close();
      throw e;
    }
    const reports: AnswerEvalReport[] = [];
    for (let i = 0; i < gates.length; i++) {
      if (i > 0) server = await start(gates[i]);
      try {
        reports.push(await askAll(server.url, p, projects, { ...o, gate: gates[i] }));
      } finally {
        await server.close();
      }
    }
    return reports;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
