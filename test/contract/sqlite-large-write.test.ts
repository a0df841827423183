import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-index';
import { newId } from '../../lambdas/core/ids';
import { queryTerms } from '../../lambdas/core/text';
import type { ProjectIndex } from '../../lambdas/ports';
import { chunk } from './fixtures';

/**
 * A large document is indexed in slices with the event loop free in between, yet as one
 * transaction: searches that run meanwhile — in the same project and in another — are answered,
 * and see the old version of the document until the new one is there whole.
 */

let dir: string;
let index: SqliteSearchIndex;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oprag-large-write-'));
  index = new SqliteSearchIndex(dir);
});

afterEach(() => {
  index.close();
  rmSync(dir, { recursive: true, force: true });
});

async function project(): Promise<ProjectIndex> {
  const id = newId('project');
  await index.createProject(id);
  return index.forProject(id);
}

const search = (p: ProjectIndex, text: string) => p.search({ terms: queryTerms(text), topK: 50 });

test('searches during a large re-index are answered and see the old version or the new one whole', async () => {
  const a = await project();
  const b = await project();
  const doc = newId('document');
  await a.replaceDocument(doc, [chunk(doc, 0, 'The old manual says the pump runs at forty bar.')]);
  await b.replaceDocument(newId('document'), [chunk(doc, 0, 'Project B keeps its valve notes here.')]);

  const big = Array.from({ length: 3000 }, (_, i) =>
    chunk(doc, i, `Section ${i} of the new manual: the pump runs at sixty bar, checked weekly by the crew.`),
  );
  let done = false;
  const writing = a.replaceDocument(doc, big).then(() => {
    done = true;
  });

  const seen: { old: number; fresh: number }[] = [];
  let otherProject = 0;
  while (!done) {
    const [oldHits, newHits, inB] = await Promise.all([
      search(a, 'old manual forty'),
      search(a, 'sixty weekly crew'),
      search(b, 'valve notes'),
    ]);
    if (!done) {
      seen.push({ old: oldHits.hits.length, fresh: newHits.hits.length });
      if (inB.hits.length === 1) otherProject++;
    }
    await new Promise((r) => setImmediate(r));
  }
  await writing;

  // the loop was free while the document was written: both projects answered many times
  expect(seen.length).toBeGreaterThan(3);
  expect(otherProject).toBe(seen.length);
  // and every answer during the write saw the old version alone
  expect(seen.filter((s) => s.old !== 1 || s.fresh !== 0)).toEqual([]);

  const after = await search(a, 'sixty weekly crew');
  expect(after.hits).toHaveLength(50);
  expect((await search(a, 'old manual forty')).hits.filter((h) => h.text.includes('forty'))).toEqual([]);
  expect(await a.chunkCount()).toBe(3000);
});

test('writes of one project queue behind a large write; a failed large write leaves the old version', async () => {
  const a = await project();
  const doc = newId('document');
  const other = newId('document');
  await a.replaceDocument(doc, [chunk(doc, 0, 'Original text about harbour cranes.')]);
  const order: string[] = [];
  const big = Array.from({ length: 1000 }, (_, i) => chunk(doc, i, `Crane log entry ${i}.`));
  // a duplicate chunk id in the last slice makes the write fail after several slices were written
  big[999] = { ...big[999], id: big[0].id };
  const failing = a.replaceDocument(doc, big).then(
    () => order.push('big ok'),
    (e: Error) => order.push(`big failed: ${e.message.includes('UNIQUE') ? 'unique' : e.message}`),
  );
  const small = a.replaceDocument(other, [chunk(other, 0, 'Forklift schedule.')]).then(() => order.push('small'));
  await Promise.all([failing, small]);
  expect(order).toEqual(['big failed: unique', 'small']);
  const hits = (await search(a, 'harbour cranes')).hits;
  expect(hits.map((h) => h.text)).toEqual(['Original text about harbour cranes.']);
  expect(await a.chunkCount()).toBe(2);
});

test('a batch of documents is written with one commit, and a document that fails leaves its batch-mates', async () => {
  const a = await project();
  const [d1, d2, d3] = [newId('document'), newId('document'), newId('document')];
  await a.replaceDocument(d2, [chunk(d2, 0, 'Version one of the badge policy.')]);
  const bad = chunk(d2, 0, 'Version two of the badge policy.');
  const errors = await (a.replaceDocuments as NonNullable<ProjectIndex['replaceDocuments']>)([
    { documentId: d1, chunks: [chunk(d1, 0, 'Parking permits are renewed in March.')] },
    // the same chunk id twice: this document fails, and keeps its version one
    { documentId: d2, chunks: [bad, { ...bad, ordinal: 1 }] },
    { documentId: d3, chunks: [chunk(d3, 0, 'Visitors sign in at the east desk.')] },
  ]);
  expect(errors.map((e) => (e === null ? null : 'failed'))).toEqual([null, 'failed', null]);
  expect((await search(a, 'parking permits')).hits.map((h) => h.document_id)).toEqual([d1]);
  expect((await search(a, 'visitors east desk')).hits.map((h) => h.document_id)).toEqual([d3]);
  expect((await search(a, 'badge policy')).hits.map((h) => h.text)).toEqual(['Version one of the badge policy.']);
  expect(await a.chunkCount()).toBe(3);
});

/** FTS5's own check of its index against the chunks table: throws when they disagree. */
function checkFullText(projectId: string) {
  const raw = new Database(index.file(projectId));
  try {
    raw.exec("INSERT INTO chunks_fts (chunks_fts) VALUES ('integrity-check')");
  } finally {
    raw.close();
  }
}

test('the full-text index holds every chunk once after batches, failed documents, re-indexing and large writes', async () => {
  const id = newId('project');
  await index.createProject(id);
  const a = index.forProject(id);
  const [d1, d2, d3] = [newId('document'), newId('document'), newId('document')];
  await a.replaceDocument(d1, [chunk(d1, 0, 'Lockers are emptied on Fridays.')]);
  const dup = chunk(d2, 0, 'Tool cribs close at noon.');
  await (a.replaceDocuments as NonNullable<ProjectIndex['replaceDocuments']>)([
    // the document with the highest rowids is replaced: its new chunks must not reuse them
    { documentId: d1, chunks: [chunk(d1, 0, 'Lockers are emptied on Mondays.'), chunk(d1, 1, 'Keys at the desk.')] },
    { documentId: d2, chunks: [dup, { ...dup, ordinal: 1 }] },
    { documentId: d3, chunks: [chunk(d3, 0, 'Night shifts rotate monthly.')] },
  ]);
  await a.replaceDocument(
    d3,
    Array.from({ length: 600 }, (_, i) => chunk(d3, i, `Shift note ${i}.`)),
  );
  await a.deleteDocument(d1);
  checkFullText(id);
  expect((await search(a, 'rotate monthly')).hits).toEqual([]);
  expect((await search(a, 'shift note 599')).hits[0].text).toBe('Shift note 599.');
  expect(await a.chunkCount()).toBe(600);
});

test('a file whose full-text rows were added by a trigger (as earlier versions wrote them) is opened without it', async () => {
  const id = newId('project');
  await index.createProject(id);
  const a = index.forProject(id);
  const doc = newId('document');
  await a.replaceDocument(doc, [chunk(doc, 0, 'Boilers are inspected in spring.')]);
  index.close();
  const raw = new Database(index.file(id));
  raw.exec(`CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts (rowid, title, section, text) VALUES (new.rowid, new.title, new.section, new.text);
  END; PRAGMA user_version = 3;`);
  raw.close();

  index = new SqliteSearchIndex(dir);
  const reopened = index.forProject(id);
  const other = newId('document');
  await reopened.replaceDocument(other, [chunk(other, 0, 'Chillers are inspected in autumn.')]);
  checkFullText(id);
  expect((await search(reopened, 'inspected')).hits).toHaveLength(2);
  const raw2 = new Database(index.file(id));
  // the new chunk's full-text row was added once, by the write itself
  expect(raw2.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name = 'chunks_ai'").all()).toEqual(
    [],
  );
  raw2.close();
});

test('batches are written on a thread of their own, which starts again after it was stopped', async () => {
  const a = await project();
  const [d1, d2] = [newId('document'), newId('document')];
  const batch = (...docs: { documentId: string; chunks: ReturnType<typeof chunk>[] }[]) =>
    (a.replaceDocuments as NonNullable<ProjectIndex['replaceDocuments']>)(docs);
  const dup = chunk(d2, 0, 'Forms go to the second floor.');
  const errors = await batch(
    { documentId: d1, chunks: [chunk(d1, 0, 'Badges are printed at reception.')] },
    { documentId: d2, chunks: [dup, dup] },
  );
  expect(errors[0]).toBeNull();
  expect((errors[1] as Error).message).toMatch(/UNIQUE/); // the thread's error, as SQLite said it

  index.writeThread.close();
  expect(await batch({ documentId: d2, chunks: [chunk(d2, 0, 'Forms go to the third floor.')] })).toEqual([null]);
  expect((await search(a, 'forms floor')).hits.map((h) => h.text)).toEqual(['Forms go to the third floor.']);
  expect(await a.chunkCount()).toBe(2);
});

test('a project file reopened while its large write is open is read, not locked', async () => {
  // one file open at a time: searching b closes a's reading connection (not its writer) mid-write
  const small = new SqliteSearchIndex(dir, 1);
  const a = newId('project');
  const b = newId('project');
  await small.createProject(a);
  await small.createProject(b);
  const pa = small.forProject(a);
  const doc = newId('document');
  await pa.replaceDocument(doc, [chunk(doc, 0, 'The old manual says the pump runs at forty bar.')]);
  const big = Array.from({ length: 3000 }, (_, i) => chunk(doc, i, `Section ${i}: the pump runs at sixty bar.`));
  let done = false;
  const writing = pa.replaceDocument(doc, big).finally(() => {
    done = true;
  });
  const seen: number[] = [];
  const errors: string[] = [];
  while (!done) {
    try {
      await small.forProject(b).search({ terms: queryTerms('valve'), topK: 5 });
      const hits = await search(pa, 'old manual forty');
      if (!done) seen.push(hits.hits.length);
    } catch (e) {
      errors.push((e as Error).message);
    }
    await new Promise((r) => setImmediate(r));
  }
  await writing;
  small.close();
  expect(errors).toEqual([]);
  expect(seen.length).toBeGreaterThan(0);
  expect(seen.filter((n) => n !== 1)).toEqual([]); // the old version, whole, until the commit
  expect(await new SqliteSearchIndex(dir).forProject(a).chunkCount()).toBe(3000);
});
