/**
 * Retrieval on one very large project, in-process (no HTTP), the index called directly as
 * tune-retrieval.ts calls it. Builds a project of about 100,000 chunks from ../shared/eval-data
 * (SciFact abstracts, Climate-FEVER passages, every SciFact sentence as a document of its own and
 * every pair of adjacent sentences as another, and every SciFact title alone), kept in the temporary folder between runs
 * (`OPRAG_BENCH_DIR`, `--fresh` to rebuild), then times the retrieval (search with feedback,
 * top 10) of the SciFact and Climate-FEVER test questions three ways: candidates from
 * impact-ordered lists (the default on a project this large; first run, lists made on the way,
 * and again with them kept), candidates from FTS5's bm25 (the path of smaller projects), and bare
 * FTS5 bm25 (`ORDER BY bm25(chunks_fts) LIMIT 200`, nothing else). Prints p50/p95/p99, the
 * overlap of the top 10 documents of the two paths, and their nDCG@10 on this mixed corpus.
 * Then the impact-ordered path again with a document written every `--write-every` questions
 * (10; a SciFact abstract under a new id, deleted again at the end): with the lists brought
 * forward across the writes, and with every list set aside at each write, as they were before
 * they outlived writes. Prints the load average beside the figures (the machine may be shared).
 *
 *   npm run bench:big-tenant [-- --fresh] [-- --queries 400] [-- --write-every 10]
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SqliteSearchIndex } from '../lambdas/adapters/local/sqlite-index';
import type { SearchStateCache } from '../lambdas/adapters/local/sqlite-search-cache';
import { readJsonl } from '../lambdas/client/beir';
import { DEFAULT_CHUNKING } from '../lambdas/core/chunking';
import { DEFAULT_FEEDBACK } from '../lambdas/core/feedback';
import { documentRanking, type Judgements, mean, ndcgAt, percentile } from '../lambdas/core/ir-metrics';
import type { Chunk } from '../lambdas/core/model';
import { DEFAULT_RANKING, type RankingParams } from '../lambdas/core/rank';
import { queryTerms } from '../lambdas/core/text';
import { searchWithFeedback } from '../lambdas/service/search';
import { option as arg, argv as args } from './args';
import { readCorpus, readQrels, readQueries, textChunks } from './beir-index';

const data = resolve(arg('data', '../shared/eval-data') as string);
const maxQueries = Number(arg('queries', '0')) || Number.POSITIVE_INFINITY;
const writeEvery = Number(arg('write-every', '10')) || 10;
const dir = process.env.OPRAG_BENCH_DIR ?? join(tmpdir(), 'oprag-big-tenant');
const projectId = 'prj_01jz0000000000000000000100';

interface Doc {
  id: string;
  title: string | null;
  text: string;
}

/** The documents of the big project, read from the eval data (never copied anywhere). */
function* documents(): Generator<Doc> {
  for (const d of readCorpus(join(data, 'scifact')))
    yield { id: `doc_sf${d._id}`, title: d.title || null, text: d.text };
  for (const d of readCorpus(join(data, 'climate-fever')))
    yield { id: `doc_cf${d._id}`, title: d.title || null, text: d.text };
  const sentences = readJsonl<{ _id: string; title: string; sentences: string[] }>(
    join(data, 'scifact', 'corpus_sentences.jsonl'),
  );
  for (const d of sentences) {
    const title = d.title || null;
    if (title) yield { id: `doc_st${d._id}`, title: null, text: title }; // the title alone, as a page of a list would hold it
    for (const [i, s] of d.sentences.entries()) yield { id: `doc_ss${d._id}_${i}`, title, text: s };
    for (let i = 0; i + 1 < d.sentences.length; i++)
      yield { id: `doc_sp${d._id}_${i}`, title, text: `${d.sentences[i]} ${d.sentences[i + 1]}` };
  }
}

async function build(index: SqliteSearchIndex) {
  const project = index.forProject(projectId);
  await index.createProject(projectId);
  const t0 = performance.now();
  let batch: { documentId: string; chunks: Chunk[] }[] = [];
  let chunks = 0;
  let docs = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const errors = await project.replaceDocuments(batch);
    const failed = errors.find((e) => e !== null);
    if (failed) throw failed;
    batch = [];
  };
  for (const d of documents()) {
    const rows = textChunks(d.id, d.title, d.text, DEFAULT_CHUNKING);
    chunks += rows.length;
    docs++;
    batch.push({ documentId: d.id, chunks: rows });
    if (batch.length >= 200) await flush();
  }
  await flush();
  await index.tidy(projectId);
  process.stderr.write(
    `built ${docs} documents, ${chunks} chunks in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`,
  );
}

interface Question {
  text: string;
  /** relevant document ids, as the big project names them */
  relevant: Judgements;
}

function questions(): Question[] {
  const out: Question[] = [];
  for (const [set, prefix] of [
    ['scifact', 'doc_sf'],
    ['climate-fever', 'doc_cf'],
  ] as const) {
    const queries = readQueries(join(data, set));
    for (const [qid, rel] of readQrels(join(data, set), 'test')) {
      const text = queries.get(qid);
      if (!text) continue;
      out.push({ text, relevant: new Map([...rel].map(([doc, grade]) => [`${prefix}${doc}`, grade])) });
    }
  }
  return out.slice(0, maxQueries);
}

const fmt = (ms: number[]) =>
  `p50 ${percentile(ms, 50).toFixed(2)}  p95 ${percentile(ms, 95).toFixed(2)}  p99 ${percentile(ms, 99).toFixed(2)} ms`;

async function main() {
  if (args.includes('--fresh')) rmSync(dir, { recursive: true, force: true });
  const built = existsSync(join(dir, `${projectId}.db`));
  mkdirSync(dir, { recursive: true });
  const index = new SqliteSearchIndex(dir);
  if (!built) await build(index);
  const project = index.forProject(projectId);
  const chunkCount = await project.chunkCount();
  const qs = questions();
  process.stdout.write(`project: ${chunkCount} chunks; ${qs.length} questions (SciFact test + Climate-FEVER test)\n`);

  const run = async (ranking: RankingParams) => {
    index.ranking = ranking;
    const ms: number[] = [];
    const tops: string[][] = [];
    const nd: number[] = [];
    for (const q of qs) {
      const t = performance.now();
      const r = await searchWithFeedback(project, { terms: queryTerms(q.text), topK: 10 }, DEFAULT_FEEDBACK);
      ms.push(performance.now() - t);
      const ranked = documentRanking(r.hits.map((h) => h.document_id)).slice(0, 10);
      tops.push(ranked);
      nd.push(ndcgAt(10, ranked, q.relevant));
    }
    return { ms, tops, ndcg: mean(nd) };
  };
  const fts: RankingParams = { ...DEFAULT_RANKING, impactOrderedFrom: undefined };
  const impact: RankingParams = { ...DEFAULT_RANKING, impactOrderedFrom: Math.min(chunkCount, 20_000) };

  await run(fts); // the FTS5 path once, so that both paths find the term counts and pages warm
  const old = await run(fts);
  const first = await run(impact); // lists made on first use
  const warm = await run(impact);

  const db = index.db(projectId);
  const bare = db.prepare('SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts) LIMIT 200');
  const bareMs: number[] = [];
  for (const q of qs) {
    const terms = queryTerms(q.text);
    if (terms.length === 0) continue;
    const match = terms.map((t) => `"${t.token.replace(/"/g, '""')}"`).join(' OR ');
    const t = performance.now();
    bare.all(match);
    bareMs.push(performance.now() - t);
  }

  // a document written every `writeEvery` questions, the retrieval timed in between
  const abstracts = [...readCorpus(join(data, 'scifact'))].slice(0, Math.ceil(qs.length / writeEvery) + 1);
  const searches = (index as unknown as { searches: SearchStateCache }).searches;
  const withWrites = async (setAside: boolean) => {
    index.ranking = impact;
    const ms: number[] = [];
    const writeMs: number[] = [];
    const written: string[] = [];
    const work = { ...searches.impactListWork };
    for (const [i, q] of qs.entries()) {
      if (i % writeEvery === 0) {
        const d = abstracts[written.length];
        const documentId = `doc_wr${written.length}`;
        const rows = textChunks(documentId, d.title || null, d.text, DEFAULT_CHUNKING);
        const t = performance.now();
        await project.replaceDocument(documentId, rows);
        writeMs.push(performance.now() - t);
        written.push(documentId);
        if (setAside) searches.clearRecent(); // as every write did to the lists before
      }
      const t = performance.now();
      await searchWithFeedback(project, { terms: queryTerms(q.text), topK: 10 }, DEFAULT_FEEDBACK);
      ms.push(performance.now() - t);
    }
    for (const documentId of written) await project.deleteDocument(documentId);
    const made = searches.impactListWork.made - work.made;
    const extended = searches.impactListWork.extended - work.extended;
    return { ms, writeMs, writes: written.length, made, extended };
  };
  const load = loadavg();
  const forward = await withWrites(false);
  const aside = await withWrites(true);
  const loadAfter = loadavg();

  const overlap = mean(
    old.tops.map((o, i) => {
      const n = warm.tops[i];
      if (o.length === 0 && n.length === 0) return 1;
      const set = new Set(o);
      return n.filter((d) => set.has(d)).length / Math.max(o.length, n.length);
    }),
  );
  const memory = process.memoryUsage();
  process.stdout.write(
    [
      `retrieve, impact-ordered lists, kept   ${fmt(warm.ms)}  nDCG@10 ${warm.ndcg.toFixed(4)}`,
      `retrieve, impact-ordered, first use    ${fmt(first.ms)}  (lists made on the way)`,
      `retrieve, FTS5 bm25 candidates         ${fmt(old.ms)}  nDCG@10 ${old.ndcg.toFixed(4)}`,
      `bare FTS5 bm25 LIMIT 200               ${fmt(bareMs)}`,
      `top-10 documents shared by the two paths: ${(overlap * 100).toFixed(1)}%`,
      `with a document written every ${writeEvery} questions (${forward.writes} writes, write p50 ${percentile(forward.writeMs, 50).toFixed(2)} ms):`,
      `retrieve, lists brought forward        ${fmt(forward.ms)}  (lists made ${forward.made}, brought forward ${forward.extended})`,
      `retrieve, lists set aside at each write ${fmt(aside.ms)}  (lists made ${aside.made})`,
      `load average ${load.map((l) => l.toFixed(2)).join(' ')} before the passes with writes, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after`,
      `process memory: rss ${(memory.rss / 2 ** 20).toFixed(0)} MB, heap ${(memory.heapUsed / 2 ** 20).toFixed(0)} MB, array buffers ${(memory.arrayBuffers / 2 ** 20).toFixed(0)} MB`,
      '',
    ].join('\n'),
  );
  index.close();
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
