/**
 * Setting up the answer eval: the claims and corpus read from the BEIR folders, and the two
 * projects (the whole SciFact corpus, and the corpus minus the split's relevant abstracts)
 * ingested through the API.
 */
import { join } from 'node:path';
import type { GateOptions } from '../core/gate';
import { type ApiClient, expectStatus } from './api-client';
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
  /** where the throwaway server's data folder is made (the system's temporary folder by default) */
  tmpDir?: string;
}

export interface Doc {
  _id: string;
  title: string;
  text: string;
}
export interface Claim {
  _id: string;
  text: string;
  metadata?: Record<string, unknown>;
}

/** qrels/<split>.tsv as query id → relevant corpus ids (score > 0). */
export function readQrels(file: string): Map<string, Set<string>> {
  return new Map([...readQrelsFile(file)].map(([qid, judged]) => [qid, new Set(judged.keys())]));
}

async function pool<T>(items: T[], n: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, n) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

export interface Prepared {
  corpus: Doc[];
  sentences: Map<string, string[]>;
  claims: Claim[];
  qrels: Map<string, Set<string>>;
  offTopic: Claim[];
  removed: Set<string>;
}

export function prepare(o: AnswerEvalOptions): Prepared {
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
export interface ProjectRef {
  id: string;
  key: string;
}

export interface Projects {
  full: ProjectRef;
  minus: ProjectRef;
  /** document id → corpus id, for both projects */
  corpusIdOf: Map<string, string>;
  cleanup: () => Promise<void>;
}

export async function createProjects(admin: ApiClient, p: Prepared, o: AnswerEvalOptions): Promise<Projects> {
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
