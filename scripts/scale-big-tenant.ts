/**
 * The big tenant of the scale bench (bench-scale.ts): its documents made from SciFact and
 * Climate-FEVER (abstracts, passages, single and adjacent sentences), the test claims it is asked,
 * and the run itself — a throwaway server with ONE project, the documents sent through the batch
 * route and timed until ready, then retrieve and chat measured at 1 and 8 in flight and chat from
 * many autocannon connections, with the server's CPU and memory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCorpus, readJsonl, readQrels, readQueries } from '../lambdas/client/beir';
import { everyOnce, type Latency, loops, type Saturation, saturate } from './latency';
import { quiet, serverResources } from './process-probes';
import { type IngestFigures, ingestThroughCli, ingestThroughPosts } from './scale-big-ingest';
import { call, startServerProcess, stopServerProcess } from './server-process';

export interface BigDoc {
  external_id: string;
  title: string;
  text: string;
}

/**
 * The big tenant's documents, `count` of them: the SciFact abstracts, the Climate-FEVER passages,
 * then each SciFact sentence on its own, then each pair of adjacent sentences (and, only when the
 * count asks for more than these, each run of three). Each is at least one chunk.
 */
export function bigCorpus(evalData: string, count: number, log: (line: string) => void): BigDoc[] {
  const docs: BigDoc[] = [];
  for (const name of ['scifact', 'climate-fever']) {
    for (const d of readCorpus(join(evalData, name))) {
      if (d.text.trim()) docs.push({ external_id: `${name}:${d._id}`, title: d.title ?? '', text: d.text });
    }
  }
  const abstracts = readJsonl<{ _id: string; title?: string; sentences: string[] }>(
    join(evalData, 'scifact/corpus_sentences.jsonl'),
  ).map((a) => ({ ...a, sentences: a.sentences.filter((s) => s.trim()) }));
  for (let width = 1; docs.length < count && width <= 3; width++) {
    for (const a of abstracts) {
      for (let i = 0; i + width <= a.sentences.length; i++) {
        const text = a.sentences.slice(i, i + width).join(' ');
        // a section label on its own ("AIMS", "METHODS") is not a passage anyone searches for
        if (!/\p{Ll}/u.test(text)) continue;
        docs.push({ external_id: `scifact:${a._id}:${width}:${i}`, title: a.title ?? '', text });
      }
    }
  }
  if (docs.length < count) log(`only ${docs.length} documents to make; asked for ${count}`);
  return docs.slice(0, count);
}

/** SciFact test claims and Climate-FEVER test claims, interleaved so each stretch of a run sees both. */
export function testQuestions(evalData: string) {
  const of = (name: string) => {
    const texts = readQueries(join(evalData, name));
    return [...readQrels(join(evalData, name), 'test').keys()]
      .map((id) => texts.get(id))
      .filter((q): q is string => Boolean(q));
  };
  const [a, b] = [of('scifact'), of('climate-fever')];
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]);
    if (i < b.length) out.push(b[i]);
  }
  return out;
}

export interface BigFigures {
  documents: number;
  /** documents that ended `failed` (none expected) */
  failed: number;
  chunks: number;
  /** through the CLI's bulk path, until every document is ready */
  ingestSeconds: number;
  ingestDocsPerSecond: number;
  /** single POSTs of an even sample of the documents, into a second project, until ready */
  posts: IngestFigures | null;
  questions: number;
  /** every question once, 8 in flight: the first use of the candidate lists */
  firstUse: Latency;
  retrieve1: Latency;
  retrieve8: Latency;
  chat1: Latency;
  chat8: Latency;
  saturation: Saturation;
  rssMb: number;
  peakRssMb: number;
}

export interface BigRun {
  warmup: number;
  duration: number;
  /** autocannon connections, and the seconds they are measured */
  connections: number;
  connectionsDuration: number;
  /** documents sent again as single POSTs at the end (0: none), and how many in flight */
  posts: number;
  postsInFlight: number;
  /** how the single POSTs are sent (scale-big-ingest.ts) */
  postsClient: 'http' | 'raw';
  /** keep the data directory */
  keep: boolean;
  log: (line: string) => void;
}

/** A throwaway server with one project of `docs`, ingested through the CLI's bulk path, then measured. */
export async function runBig(docs: BigDoc[], questions: string[], run: BigRun): Promise<BigFigures> {
  const { keep, log } = run;
  const dataDir = mkdtempSync(join(tmpdir(), 'oprag-scale-big-'));
  const server = await startServerProcess(dataDir, join(dataDir, 'server.log'));
  const pid = server.child.pid as number;
  try {
    const created = await call(server.url, server.adminKey, 'POST', '/v1/projects', { name: 'big tenant' }, 201);
    const project = created.project as { id: string };
    const key = (created.api_key as { key: string }).key;
    // one project holds every document: lift its per-minute limits and its quotas
    await call(server.url, server.adminKey, 'PATCH', `/v1/projects/${project.id}`, {
      limits: { chat_per_minute: null, ingest_per_minute: null, max_documents: null, max_bytes: null },
    });

    log(`big tenant: ${docs.length} documents through the CLI's bulk path`);
    const ingest = await ingestThroughCli(server, { id: project.id, key }, docs, join(dataDir, 'folder'));
    const { failed, seconds: ingestSeconds } = ingest;
    const read = await call(server.url, server.adminKey, 'GET', `/v1/projects/${project.id}`);
    const stats = (read.project as { stats: { documents: number; chunks: number } }).stats;
    if (stats.documents !== docs.length) throw new Error(`big tenant: the project holds ${stats.documents} documents`);
    log(`big tenant: ${stats.documents} documents, ${stats.chunks} chunks ready in ${ingestSeconds.toFixed(1)} s`);
    await quiet(pid);

    const q = (i: number) => questions[i % questions.length];
    const retrieve = (i: number) =>
      call(server.url, key, 'POST', '/v1/retrieve', { query: q(i), top_k: 10 }).then(() => undefined);
    const chat = (i: number) => call(server.url, key, 'POST', '/v1/chat', { question: q(i) }).then(() => undefined);
    // each question once, 8 in flight: the first use of each word's candidate lists (made by the
    // read thread that first needs them and handed to the others), reported on its own
    log('big tenant: retrieve, every question once (first use)');
    const firstUse = await everyOnce(pid, 8, retrieve, questions.length);
    log('big tenant: retrieve, 1 in flight');
    const retrieve1 = await loops(pid, 1, retrieve, run);
    log('big tenant: retrieve, 8 in flight');
    const retrieve8 = await loops(pid, 8, retrieve, run);
    log('big tenant: chat, 1 in flight');
    const chat1 = await loops(pid, 1, chat, run);
    log('big tenant: chat, 8 in flight');
    const chat8 = await loops(pid, 8, chat, run);
    log(`big tenant: chat, ${run.connections} connections for ${run.connectionsDuration} s`);
    const saturation = await saturate(
      { url: server.url, pid },
      key,
      questions,
      run.connections,
      run.connectionsDuration,
    );
    const resources = serverResources(pid);
    // then single POSTs of an even sample of the same documents, into a project of their own
    let posts: IngestFigures | null = null;
    if (run.posts > 0) {
      const sample = docs
        .filter((_, i) => i % Math.max(1, Math.floor(docs.length / run.posts)) === 0)
        .slice(0, run.posts);
      const second = await call(server.url, server.adminKey, 'POST', '/v1/projects', { name: 'posts' }, 201);
      const target = { id: (second.project as { id: string }).id, key: (second.api_key as { key: string }).key };
      await call(server.url, server.adminKey, 'PATCH', `/v1/projects/${target.id}`, {
        limits: { ingest_per_minute: null, max_documents: null, max_bytes: null },
      });
      log(
        `big tenant: ${sample.length} of its documents as single POSTs, ${run.postsInFlight} in flight (${run.postsClient} client)`,
      );
      posts = await ingestThroughPosts(server, target, sample, run.postsInFlight, run.postsClient);
    }
    return {
      documents: docs.length,
      failed,
      chunks: stats.chunks,
      ingestSeconds,
      ingestDocsPerSecond: docs.length / ingestSeconds,
      posts,
      questions: questions.length,
      firstUse,
      retrieve1,
      retrieve8,
      chat1,
      chat8,
      saturation,
      rssMb: resources.rssMb,
      peakRssMb: resources.peakRssMb,
    };
  } finally {
    await stopServerProcess(server.child);
    if (keep) log(`kept ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}
