import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-index';
import { poolSize } from '../../lambdas/adapters/local/sqlite-pool-size';
import { newId } from '../../lambdas/core/ids';
import { queryTerms } from '../../lambdas/core/text';
import { chunk } from './fixtures';

/**
 * Many projects on one machine: the index keeps as many open as the open files and memory allow,
 * a project leaving the pool leaves an empty write-ahead log behind, and what a project's
 * searches counted survives its connection until its data changes.
 */

let dir: string;
let index: SqliteSearchIndex;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oprag-many-'));
  index = new SqliteSearchIndex(dir, 1); // one project open at a time: every switch reopens
  index.tidyAfterMs = 60_000;
});

afterEach(() => {
  index.close();
  rmSync(dir, { recursive: true, force: true });
});

const GB = 2 ** 30;

test('the pool is sized by open files and memory, whichever allows fewer projects', () => {
  // a quarter of the file limit, at most 720 files, 3 a project
  expect(poolSize({ openFiles: 1_024, memoryBytes: 24 * GB })).toBe(85);
  expect(poolSize({ openFiles: 2_000, memoryBytes: 24 * GB })).toBe(166);
  // 1/32 of memory, at most 192 MB, 1 MB a project
  expect(poolSize({ openFiles: 20_000, memoryBytes: 24 * GB })).toBe(192);
  expect(poolSize({ openFiles: 20_000, memoryBytes: 2 * GB })).toBe(64);
  // never fewer than 16
  expect(poolSize({ openFiles: 64, memoryBytes: 256 * 2 ** 20 })).toBe(16);
});

test('a project leaving the pool empties its write-ahead log', async () => {
  const a = newId('project');
  const b = newId('project');
  await index.createProject(a);
  await index.createProject(b);
  const doc = newId('document');
  // written on the write thread, whose connection stays open: the log outlives the reading connection
  const errors = await index
    .forProject(a)
    .replaceDocuments([
      { documentId: doc, chunks: [chunk(doc, 0, 'a zebra crossing'), chunk(doc, 1, 'zebra stripes')] },
    ]);
  expect(errors).toEqual([null]);
  const wal = () => statSync(`${index.file(a)}-wal`, { throwIfNoEntry: false })?.size ?? 0;
  expect(wal()).toBeGreaterThan(0);

  await index.forProject(b).search({ terms: queryTerms('zebra'), topK: 5 }); // a leaves the pool
  expect(wal()).toBe(0);
  // nothing was lost
  const found = await index.forProject(a).search({ terms: queryTerms('zebra'), topK: 5 });
  expect(found.hits.map((h) => h.text).sort()).toEqual(['a zebra crossing', 'zebra stripes']);
});

test('term counts survive a reopened connection, and a write of the project forgets them', async () => {
  const a = newId('project');
  const b = newId('project');
  await index.createProject(a);
  await index.createProject(b);
  const count = async () =>
    (await index.forProject(a).search({ terms: queryTerms('zebra'), topK: 5 })).documentFrequency.zebra;
  const first = newId('document');
  await index.forProject(a).replaceDocument(first, [chunk(first, 0, 'a zebra crossing')]);
  expect(await count()).toBe(1);

  await index.forProject(b).search({ terms: queryTerms('zebra'), topK: 5 }); // a's connection closes
  expect(index.searchState(a).counts.get('"zebra"')).toBe(1); // remembered through the new connection

  await index.forProject(b).search({ terms: queryTerms('zebra'), topK: 5 });
  const second = newId('document');
  await index.forProject(a).replaceDocument(second, [chunk(second, 0, 'zebra stripes')]);
  await index.forProject(b).search({ terms: queryTerms('zebra'), topK: 5 });
  expect(await count()).toBe(2);
});

test('counts are remembered per project: another project counts its own chunks', async () => {
  const a = newId('project');
  const b = newId('project');
  await index.createProject(a);
  await index.createProject(b);
  const doc = newId('document');
  await index.forProject(a).replaceDocument(doc, [chunk(doc, 0, 'zebra')]);
  expect((await index.forProject(a).search({ terms: queryTerms('zebra'), topK: 5 })).documentFrequency.zebra).toBe(1);
  const other = await index.forProject(b).search({ terms: queryTerms('zebra'), topK: 5 });
  expect(other.documentFrequency.zebra).toBe(0);
  expect(other.hits).toEqual([]);
});

test('a new project file is a private, current, empty index in WAL mode', async () => {
  const a = newId('project');
  await index.createProject(a);
  expect(statSync(index.file(a)).mode & 0o777).toBe(0o600);
  const db = new Database(index.file(a), { readonly: true });
  try {
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(4);
    expect(db.prepare('SELECT count(*) AS n FROM chunks').get()).toEqual({ n: 0 });
  } finally {
    db.close();
  }
  const doc = newId('document');
  await index.forProject(a).replaceDocument(doc, [chunk(doc, 0, 'a zebra crossing')]);
  const found = await index.forProject(a).search({ terms: queryTerms('zebra'), topK: 5 });
  expect(found.hits.map((h) => h.text)).toEqual(['a zebra crossing']);
  // creating it again keeps what it holds
  await index.createProject(a);
  expect(await index.forProject(a).chunkCount()).toBe(1);
});

test('a reopened project reads through a plain connection and sees every write made while it was out of the pool', async () => {
  const a = newId('project');
  const b = newId('project');
  await index.createProject(a);
  await index.createProject(b);
  const texts = async () =>
    (await index.forProject(a).search({ terms: queryTerms('zebra'), topK: 10 })).hits.map((h) => h.text).sort();
  expect(await texts()).toEqual([]);
  await index.forProject(b).search({ terms: queryTerms('zebra'), topK: 5 }); // a's connection closes
  const one = newId('document');
  await index.forProject(a).replaceDocument(one, [chunk(one, 0, 'a zebra crossing')]); // this thread's writer
  await index.forProject(b).search({ terms: queryTerms('zebra'), topK: 5 });
  const two = newId('document');
  // the write thread's connection
  expect(
    await index.forProject(a).replaceDocuments([{ documentId: two, chunks: [chunk(two, 0, 'zebra stripes')] }]),
  ).toEqual([null]);
  await index.forProject(b).search({ terms: queryTerms('zebra'), topK: 5 });
  expect(await texts()).toEqual(['a zebra crossing', 'zebra stripes']);
  // the reading connection changes nothing: it deletes no row, so it needs no secure_delete of its own
  expect(index.db(a).pragma('secure_delete', { simple: true })).toBe(0);
  expect(index.writer(a).pragma('secure_delete', { simple: true })).toBe(1);
});

test('a reading connection is read-only: leaving the pool it keeps the log files, and a log with commits is emptied by a connection that may write', async () => {
  const a = newId('project');
  const b = newId('project');
  await index.createProject(a);
  await index.createProject(b);
  const doc = newId('document');
  await index.forProject(a).replaceDocument(doc, [chunk(doc, 0, 'a zebra crossing')]);
  expect(() => index.db(a).prepare('DELETE FROM chunks').run()).toThrow(/readonly/);
  index.writer(a).close(); // closed while the reading connection is open: its commits stay in the log
  const wal = () => statSync(`${index.file(a)}-wal`, { throwIfNoEntry: false })?.size;
  expect(wal()).toBeGreaterThan(0);

  await index.forProject(b).search({ terms: queryTerms('zebra'), topK: 5 }); // a leaves the pool
  expect(wal()).toBe(0); // emptied, and kept for the next opening
  expect(existsSync(`${index.file(a)}-shm`)).toBe(true);
  const found = await index.forProject(a).search({ terms: queryTerms('zebra'), topK: 5 });
  expect(found.hits.map((h) => h.text)).toEqual(['a zebra crossing']);

  // a project only read, open when the index closes, is left without its log files
  await index.close();
  for (const suffix of ['-wal', '-shm']) expect(existsSync(index.file(a) + suffix)).toBe(false);
});
