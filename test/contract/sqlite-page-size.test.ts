import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-index';
import { newId } from '../../lambdas/core/ids';
import { queryTerms } from '../../lambdas/core/text';
import { mulberry32, pick } from '../helpers/fuzz-model';
import { chunk } from './fixtures';

/**
 * A new project file has 8 KB pages, where chunks of about 1.5 KB leave less of each page empty
 * than on 4 KB; a file made with 4 KB pages keeps them, and is read and written as before.
 */

let dir: string;
let index: SqliteSearchIndex;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oprag-pages-'));
  index = new SqliteSearchIndex(dir);
});

afterEach(() => {
  index.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Abstract-sized chunks (about 1.5 KB: 200 words, most of them different), one a document. */
async function writeAbstracts(projectId: string, count: number) {
  const rand = mulberry32(11);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const word = () => Array.from({ length: 4 + Math.floor(rand() * 5) }, () => pick(rand, [...letters])).join('');
  const p = index.forProject(projectId);
  // one at a time, on this thread: no write thread is left holding the file when the test rewrites it
  for (let i = 0; i < count; i++) {
    const documentId = newId('document');
    const words = Array.from({ length: 200 }, word).join(' ');
    await p.replaceDocument(documentId, [chunk(documentId, 0, `${words} marker${i}`)]);
  }
  return p;
}

function pragma(file: string, name: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma(name, { simple: true }) as number;
  } finally {
    db.close();
  }
}

/** The file's bytes once its log is folded in and its free pages dropped (VACUUM keeps the page size). */
function compactedBytes(file: string): number {
  const db = new Database(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.exec('VACUUM');
  } finally {
    db.close();
  }
  return statSync(file).size;
}

/** Rewrites a file to 4 KB pages, as one made before 8 KB pages is. */
function toFourKilobytePages(file: string) {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('page_size = 4096');
    db.exec('VACUUM');
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
}

it('makes new project files with 8 KB pages, holding abstracts in less room than 4 KB pages', async () => {
  const projectId = newId('project');
  await index.createProject(projectId);
  const p = await writeAbstracts(projectId, 300);
  expect(
    (await p.search({ terms: queryTerms('marker77'), topK: 5 })).hits.map((h) => h.text.endsWith('marker77')),
  ).toEqual([true]);
  index.close();
  const file = index.file(projectId);
  expect(pragma(file, 'page_size')).toBe(8192);
  const eight = compactedBytes(file);
  toFourKilobytePages(file);
  expect(pragma(file, 'page_size')).toBe(4096);
  const four = compactedBytes(file);
  expect(eight).toBeLessThan(four * 0.98);
});

it('keeps reading and writing a project file made with 4 KB pages, which stays so', async () => {
  const projectId = newId('project');
  await index.createProject(projectId);
  await writeAbstracts(projectId, 20);
  index.close();
  const file = index.file(projectId);
  toFourKilobytePages(file);

  index = new SqliteSearchIndex(dir);
  const p = index.forProject(projectId);
  expect((await p.search({ terms: queryTerms('marker7'), topK: 5 })).hits).toHaveLength(1);
  const doc = newId('document');
  await p.replaceDocument(doc, [chunk(doc, 0, 'a later chunk about omega')]);
  expect((await p.search({ terms: queryTerms('omega'), topK: 5 })).hits.map((h) => h.document_id)).toEqual([doc]);
  expect(await p.chunkCount()).toBe(21);
  index.close();
  expect(pragma(file, 'page_size')).toBe(4096);
});
