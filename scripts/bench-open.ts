/**
 * What opening a project's index costs, in-process (`npm run bench:open`): `--projects` projects
 * (1,000) of `--docs` SciFact abstracts each (30), read from ../shared/eval-data/scifact and written
 * through the embedded index (sqlite-index.ts) into a temporary folder, then, through a fresh index
 * with a pool of `--pool` projects (the rule of sqlite-pool-size.ts by default):
 *
 * - cold: each project searched once, in an order where none is in the pool: the open, the first
 *   search, and in time the close of the project it pushes out;
 * - pooled: searches of projects in the pool;
 * - mixed: `--searches` searches (4,000) of random projects, as the many-tenant chats reach them;
 * - steps: the open taken apart on bare connections (better-sqlite3, no index code): the
 *   constructor, each PRAGMA, the first prepare, the first step, the close.
 *
 * CPU µs from `process.cpuUsage()` (user + system; steadier than wall time on a shared machine),
 * bytes read from /proc/self/io (`rchar`: what read() returned, page cache included; reads
 * through a memory map are not counted), per operation, the measurement's own cost taken off.
 * `--rounds` repeats the cold and pooled phases (each round with other queries); `--dir` keeps
 * (and reuses) the built projects. `--compare <checkout>` measures another checkout's index the
 * same way, taking turns with this one round by round (see `compare`).
 */
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteSearchIndex } from '../lambdas/adapters/local/sqlite-index';
import { poolSize } from '../lambdas/adapters/local/sqlite-pool-size';
import { DEFAULT_CHUNKING } from '../lambdas/core/chunking';
import { queryTerms } from '../lambdas/core/text';
import type { QueryTerm } from '../lambdas/ports';
import { flag, option } from './args';
import { readCorpus, readQueries, textChunks } from './beir-index';
import { probe, Tally } from './cpu-tally';
import { mulberry32 as random } from './seeded-random';

const dataset = resolve(option('dataset', '../shared/eval-data/scifact'));
const projects = Number(option('projects', '1000'));
const docs = Number(option('docs', '30'));
const pool = Number(option('pool', String(poolSize())));
const searches = Number(option('searches', '4000'));
const rounds = Number(option('rounds', '3'));
const keepDir = option('dir');
const dir = keepDir ? resolve(keepDir) : join(tmpdir(), `oprag-bench-open-${process.pid}`);

const projectId = (i: number) => `prj_01jz${String(i).padStart(22, '0')}`;

async function build(): Promise<void> {
  if (existsSync(join(dir, `${projectId(projects - 1)}.db`))) {
    console.log(`projects already built in ${dir}`);
    return;
  }
  mkdirSync(dir, { recursive: true });
  const corpus = readCorpus(dataset);
  const index = new SqliteSearchIndex(dir, 64);
  const t0 = performance.now();
  for (let p = 0; p < projects; p++) {
    const id = projectId(p);
    await index.createProject(id);
    const batch = [];
    for (let d = 0; d < docs; d++) {
      const doc = corpus[(p * docs + d) % corpus.length];
      const documentId = `doc_${doc._id}`;
      batch.push({ documentId, chunks: textChunks(documentId, doc.title || null, doc.text, DEFAULT_CHUNKING) });
    }
    await index.forProject(id).replaceDocuments(batch);
  }
  // the tidy-ups run a few seconds after the writes: the files are left as a paused project's
  await Promise.all(Array.from({ length: projects }, (_, p) => index.tidy(projectId(p))));
  await index.close();
  console.log(`built ${projects} projects of ${docs} abstracts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

type IndexClass = typeof SqliteSearchIndex;

/** Searches through the embedded index, as the service calls it. */
async function throughIndex(
  Index: IndexClass,
  from: string,
  queries: QueryTerm[][],
  seed = 7,
): Promise<{ cold: Tally; pooled: Tally; mixed: Tally; misses: number }> {
  const index = new Index(from, pool);
  const rnd = random(seed);
  let q = 0;
  const search = (p: number) =>
    index.forProject(projectId(p)).search({ terms: queries[q++ % queries.length], topK: 10 });
  // the order projects are opened in, and which are in the pool (the index's own rule: least recently used out)
  const order = Array.from({ length: projects }, (_, i) => i);
  const lru: number[] = [];
  const touch = (p: number) => {
    const i = lru.indexOf(p);
    if (i >= 0) lru.splice(i, 1);
    lru.push(p);
    if (lru.length > pool) lru.shift();
  };
  // warm-up: every project once (the page cache holds the files; the code is compiled)
  for (const p of order) {
    await search(p);
    touch(p);
  }
  const cold = new Tally();
  const pooled = new Tally();
  for (let r = 0; r < (option('compare') ? 1 : rounds); r++) {
    // a permutation that starts with projects outside the pool: each search opens one (and closes the oldest)
    const outside = order.filter((p) => !lru.includes(p));
    for (let i = outside.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [outside[i], outside[j]] = [outside[j], outside[i]];
    }
    for (const p of outside.slice(0, Math.min(outside.length, pool))) {
      await cold.add(() => search(p));
      touch(p);
    }
    for (let i = 0; i < Math.min(searches, 2_000); i++) {
      const p = lru[Math.floor(rnd() * lru.length)];
      await pooled.add(() => search(p));
      touch(p);
    }
  }
  const mixed = new Tally();
  let misses = 0;
  for (let i = 0; i < searches; i++) {
    const p = Math.floor(rnd() * projects);
    if (!lru.includes(p)) misses++;
    await mixed.add(() => search(p));
    touch(p);
  }
  await index.close();
  return { cold, pooled, mixed, misses };
}

function report(r: { cold: Tally; pooled: Tally; mixed: Tally; misses: number }, prefix = ''): void {
  console.log(prefix + r.cold.line('(a) open + first search (not in the pool)'));
  console.log(prefix + r.pooled.line('(b) search of a pooled project'));
  console.log(
    `${prefix}${r.mixed.line(`mixed: random projects, pool ${pool}`)}, ${Math.round((100 * r.misses) / searches)} % outside the pool`,
  );
}

/**
 * `--compare <tree>`: the same measurement through another checkout's index (its
 * lambdas/adapters/local/sqlite-index.ts), each on its own copy of the projects (what one tree
 * leaves beside the files is not the other's), taking turns round by round in this one process,
 * so that both see the same load.
 */
async function compare(tree: string, queries: QueryTerm[][]): Promise<void> {
  const other = (await import(join(resolve(tree), 'lambdas/adapters/local/sqlite-index.ts'))) as {
    SqliteSearchIndex: IndexClass;
  };
  const otherDir = `${dir}-compare`;
  if (!existsSync(otherDir)) cpSync(dir, otherDir, { recursive: true });
  const results: Record<'this' | 'other', Awaited<ReturnType<typeof throughIndex>>[]> = { this: [], other: [] };
  for (let r = 0; r < rounds; r++) {
    const order: ('this' | 'other')[] = r % 2 === 0 ? ['other', 'this'] : ['this', 'other'];
    for (const which of order) {
      const out =
        which === 'this'
          ? await throughIndex(SqliteSearchIndex, dir, queries, 7 + r)
          : await throughIndex(other.SqliteSearchIndex, otherDir, queries, 7 + r);
      results[which].push(out);
      console.log(`round ${r + 1}, ${which === 'this' ? 'this tree' : tree}  (load ${loadavg()[0].toFixed(2)})`);
      report(out, '  ');
    }
  }
  for (const which of ['other', 'this'] as const) {
    const all = results[which];
    const merged = { cold: new Tally(), pooled: new Tally(), mixed: new Tally(), misses: 0 };
    for (const x of all) {
      for (const k of ['cold', 'pooled', 'mixed'] as const) {
        merged[k].cpu += x[k].cpu;
        merged[k].bytes += x[k].bytes;
        merged[k].n += x[k].n;
      }
      merged.misses += x.misses / all.length;
    }
    console.log(`all rounds, ${which === 'this' ? 'this tree' : tree}:`);
    report(merged, '  ');
  }
  if (!keepDir) rmSync(otherDir, { recursive: true, force: true });
}

/** The open taken apart on bare connections: which step costs what. */
function steps(queries: QueryTerm[][]): void {
  const rnd = random(11);
  const names = [
    'new Database',
    'PRAGMA secure_delete = ON',
    'PRAGMA synchronous = NORMAL',
    'PRAGMA user_version',
    'prepare: collection (schema read)',
    'step: collection (read transaction)',
    'prepare: FTS5 count',
    'step: FTS5 count (FTS5 config, structure)',
    'prepare + step: candidates',
    'close',
  ] as const;
  const tallies = new Map(names.map((n) => [n, new Tally()]));
  const t = (name: (typeof names)[number]) => tallies.get(name) as Tally;
  const variants: Record<string, Tally> = {
    'open + search, as the steps above': new Tally(),
    'open without the three PRAGMAs': new Tally(),
    'open with mmap_size = 1 MB': new Tally(),
  };
  const sql = `SELECT t.rowid, t.len_title, t.len_section, t.len_body, t.terms
       FROM (SELECT rowid, bm25(chunks_fts, 1, 1, 1) AS r FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY r LIMIT ?) f
       JOIN chunk_terms t ON t.rowid = f.rowid`;
  const n = Math.min(projects, 1_000);
  for (let i = 0; i < 3 * n; i++) {
    const file = join(dir, `${projectId(Math.floor(rnd() * projects))}.db`);
    const terms = queries[i % queries.length];
    const match = terms.map((x) => `"${x.token.replace(/"/g, '""')}"`).join(' OR ') || '"x"';
    const variant = i % 3;
    if (variant === 0) {
      variants['open + search, as the steps above'].addSync(() => {
        const db = t('new Database').addSync(() => new Database(file));
        t('PRAGMA secure_delete = ON').addSync(() => db.pragma('secure_delete = ON'));
        t('PRAGMA synchronous = NORMAL').addSync(() => db.pragma('synchronous = NORMAL'));
        t('PRAGMA user_version').addSync(() => db.pragma('user_version', { simple: true }));
        const c = t('prepare: collection (schema read)').addSync(() =>
          db.prepare('SELECT chunks FROM collection WHERE id = 1'),
        );
        t('step: collection (read transaction)').addSync(() => c.get());
        const count = t('prepare: FTS5 count').addSync(() =>
          db.prepare('SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?').pluck(),
        );
        t('step: FTS5 count (FTS5 config, structure)').addSync(() => count.get(match));
        t('prepare + step: candidates').addSync(() => db.prepare(sql).raw().all(match, 100));
        t('close').addSync(() => db.close());
      });
    } else {
      variants[variant === 1 ? 'open without the three PRAGMAs' : 'open with mmap_size = 1 MB'].addSync(() => {
        const db = new Database(file);
        if (variant === 2) db.pragma('mmap_size = 1048576');
        db.prepare('SELECT chunks FROM collection WHERE id = 1').get();
        db.prepare('SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?').pluck().get(match);
        db.prepare(sql).raw().all(match, 100);
        db.close();
      });
    }
  }
  console.log('steps of an open on a bare connection (better-sqlite3 only):');
  for (const name of names) console.log(`  ${t(name).line(name)}`);
  for (const [name, tally] of Object.entries(variants)) console.log(`  ${tally.line(name)}`);
}

async function main() {
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  await build();
  const queries = [...readQueries(dataset).values()].map((q) => queryTerms(q)).filter((t) => t.length > 0);
  console.log(
    `${projects} projects × ${docs} abstracts, pool ${pool}; probe cost ${probe.cpu.toFixed(1)} µs, ${probe.rchar} B`,
  );
  const tree = option('compare');
  if (tree) await compare(tree, queries);
  else report(await throughIndex(SqliteSearchIndex, dir, queries));
  if (!flag('no-steps')) steps(queries);
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  if (!keepDir) rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
