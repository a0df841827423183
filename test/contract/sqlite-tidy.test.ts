import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-index';
import { newId } from '../../lambdas/core/ids';
import { queryTerms } from '../../lambdas/core/text';
import { mulberry32, pick } from '../helpers/fuzz-model';
import { chunk } from './fixtures';

/**
 * Every write adds a segment to a project's full-text index; once writes pause, the index merges
 * them (a tidy-up, a step at a time). Searches find the same chunks in the same order before and
 * after, the term counts remembered between searches follow every write, and a project deleted
 * or closed is never reopened by a tidy-up.
 */

let dir: string;
let index: SqliteSearchIndex;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oprag-tidy-'));
  index = new SqliteSearchIndex(dir);
  index.tidyAfterMs = 60_000; // the tests call tidy() themselves unless they say otherwise
});

afterEach(() => {
  index.close();
  rmSync(dir, { recursive: true, force: true });
});

const WORDS = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau'.split(
  ' ',
);

function sentence(rand: () => number, n: number): string {
  return Array.from({ length: n }, () => pick(rand, WORDS)).join(' ');
}

/** Rows in the FTS5 index's segment table: many small segments, many rows. */
function segmentRows(projectId: string): number {
  const db = new Database(index.file(projectId), { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM chunks_fts_data').pluck().get() as number;
  } finally {
    db.close();
  }
}

async function writtenOneByOne(projectId: string, documents: number) {
  const p = index.forProject(projectId);
  const rand = mulberry32(7);
  for (let i = 0; i < documents; i++) {
    const doc = newId('document');
    await p.replaceDocument(doc, [chunk(doc, 0, `${sentence(rand, 40)} marker${i % 10}`)]);
  }
  return p;
}

const queries = ['alpha beta', 'gamma marker3', 'sigma tau rho', 'marker7 omicron pi'];

test('a tidy-up merges the segments and leaves every search as it was', async () => {
  const projectId = newId('project');
  await index.createProject(projectId);
  const p = await writtenOneByOne(projectId, 300);
  const before = await Promise.all(queries.map((q) => p.search({ terms: queryTerms(q), topK: 20 })));
  const rowsBefore = segmentRows(projectId);

  const steps = await index.tidy(projectId);
  expect(steps).toBeGreaterThan(0);
  expect(segmentRows(projectId)).toBeLessThan(rowsBefore);
  const after = await Promise.all(queries.map((q) => p.search({ terms: queryTerms(q), topK: 20 })));
  for (const [i, r] of after.entries()) {
    expect(r.hits.map((h) => h.id)).toEqual(before[i].hits.map((h) => h.id));
    expect(r.documentFrequency).toEqual(before[i].documentFrequency);
  }
  // nothing left to merge
  expect(await index.tidy(projectId)).toBe(0);
});

test('the merge steps run on the write thread, a step at a time, and its rest empties the log', async () => {
  const projectId = newId('project');
  await index.createProject(projectId);
  await writtenOneByOne(projectId, 200);
  const file = index.file(projectId);
  const rowsBefore = segmentRows(projectId);
  expect(await index.writeThread.merge(file, 2)).toBe(true);
  let steps = 1;
  while (await index.writeThread.merge(file, 2)) steps++;
  expect(steps).toBeGreaterThan(1); // a step merges at most its pages, not the whole index
  expect(segmentRows(projectId)).toBeLessThan(rowsBefore);
  expect(await index.tidy(projectId)).toBe(0); // nothing left for a tidy-up
  expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
  await index.writeThread.rest(file);
  expect(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0).toBe(0);
  // the connection it closed opens again for the next batch
  const doc = newId('document');
  const written = chunk(doc, 0, 'alpha after rest');
  await index.forProject(projectId).replaceDocument(doc, [written]);
  const hits = await index.forProject(projectId).search({ terms: queryTerms('alpha after rest'), topK: 1 });
  expect(hits.hits[0].id).toBe(written.id);
});

test('the tidy-up runs by itself once writes pause', async () => {
  index.tidyAfterMs = 50;
  const projectId = newId('project');
  await index.createProject(projectId);
  await writtenOneByOne(projectId, 200);
  const rowsBefore = segmentRows(projectId);
  // polled until the tidy-up has merged, for at most 10 s
  for (let i = 0; i < 400 && segmentRows(projectId) >= rowsBefore; i++) await new Promise((r) => setTimeout(r, 25));
  expect(segmentRows(projectId)).toBeLessThan(rowsBefore);
});

test('remembered term counts follow every write', async () => {
  const projectId = newId('project');
  await index.createProject(projectId);
  const p = index.forProject(projectId);
  const count = async () => (await p.search({ terms: queryTerms('zebra'), topK: 5 })).documentFrequency.zebra;
  expect(await count()).toBe(0);
  const doc = newId('document');
  await p.replaceDocument(doc, [chunk(doc, 0, 'a zebra crossing'), chunk(doc, 1, 'another zebra')]);
  expect(await count()).toBe(2);
  await p.replaceDocument(doc, [chunk(doc, 0, 'no stripes here')]);
  expect(await count()).toBe(0);
  const other = newId('document');
  await p.replaceDocument(other, [chunk(other, 0, 'zebra')]);
  expect(await count()).toBe(1);
  await p.deleteDocument(other);
  expect(await count()).toBe(0);
});

test('a tidy-up never reopens a deleted project or a closed index', async () => {
  index.tidyAfterMs = 20;
  const projectId = newId('project');
  await index.createProject(projectId);
  await writtenOneByOne(projectId, 50);
  await index.forProject(projectId).drop();
  // a timer of the same delay set now fires after any tidy-up timer the writes set before the drop
  await new Promise((r) => setTimeout(r, index.tidyAfterMs));
  await new Promise((r) => setImmediate(r));
  expect(existsSync(index.file(projectId))).toBe(false);
  expect(await index.tidy(projectId)).toBe(0);
  expect(existsSync(index.file(projectId))).toBe(false);

  const second = newId('project');
  await index.createProject(second);
  await writtenOneByOne(second, 50);
  index.close();
  expect(await index.tidy(second)).toBe(0);
});

test('remembered term counts follow a write made elsewhere, across a reopened connection', async () => {
  // the write comes through another index on the same files (as another process would write),
  // and the reading connection is closed and opened again in between
  const reader = new SqliteSearchIndex(dir, 1);
  const writer = new SqliteSearchIndex(dir);
  try {
    const a = newId('project');
    const b = newId('project');
    await writer.createProject(a);
    await writer.createProject(b);
    const count = async () =>
      (await reader.forProject(a).search({ terms: queryTerms('zebra'), topK: 5 })).documentFrequency.zebra;
    expect(await count()).toBe(0);
    await reader.forProject(b).search({ terms: queryTerms('zebra'), topK: 5 }); // a's connection closes
    const doc = newId('document');
    await writer.forProject(a).replaceDocument(doc, [chunk(doc, 0, 'a zebra crossing')]);
    expect(await count()).toBe(1);
  } finally {
    reader.close();
    writer.close();
  }
});

test('closing the index leaves each project file without its log, batches written on the write thread included', async () => {
  index.tidyAfterMs = 60_000; // closed before any tidy-up could empty the log
  const projectId = newId('project');
  await index.createProject(projectId);
  const p = index.forProject(projectId);
  const rand = mulberry32(11);
  const docs = Array.from({ length: 64 }, () => newId('document'));
  const errors = await (p.replaceDocuments as NonNullable<typeof p.replaceDocuments>)(
    docs.map((doc) => ({ documentId: doc, chunks: [chunk(doc, 0, sentence(rand, 60))] })),
  );
  expect(errors.every((e) => e === null)).toBe(true);
  await p.search({ terms: queryTerms('alpha'), topK: 5 }); // the loop's reading connection open too
  expect(existsSync(`${index.file(projectId)}-wal`)).toBe(true);

  await index.close();
  expect(existsSync(`${index.file(projectId)}-wal`)).toBe(false);
  expect(existsSync(`${index.file(projectId)}-shm`)).toBe(false);
  const db = new Database(index.file(projectId), { readonly: true });
  try {
    expect(db.prepare('SELECT count(*) FROM chunks').pluck().get()).toBe(64);
  } finally {
    db.close();
  }
});
