import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { type DocumentWrite, writeDocuments } from '../../lambdas/adapters/local/sqlite-index-write';
import { createIndexFile, openIndexFile } from '../../lambdas/adapters/local/sqlite-schema';
import { chunk } from '../contract/fixtures';

/** A batch of documents written into a project file: all at once, each failing alone. */
describe('writing a batch of documents into the embedded index', () => {
  let dir: string;
  let db: Database.Database;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oprag-index-write-'));
    const file = join(dir, 'p.db');
    createIndexFile(file);
    db = openIndexFile(file);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const doc = (documentId: string, chunkIds: string[], text: string): DocumentWrite => ({
    documentId,
    chunks: chunkIds.map((id, ordinal) => {
      const { document_id: _, ...write } = chunk(documentId, ordinal, text, { id });
      return write;
    }),
  });
  const matching = (word: string) =>
    (
      db
        .prepare(
          'SELECT c.document_id FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid WHERE chunks_fts MATCH ? ORDER BY c.document_id',
        )
        .all(word) as { document_id: string }[]
    ).map((r) => r.document_id);
  const counts = () => ({
    chunks: db.prepare('SELECT count(*) FROM chunks').pluck().get() as number,
    terms: db.prepare('SELECT count(*) FROM chunk_terms').pluck().get() as number,
    collection: db.prepare('SELECT chunks FROM collection').pluck().get() as number,
  });

  it('writes every document of a batch, each found through the full-text index', () => {
    const errors = writeDocuments(db, [
      doc('doc_a', ['c1'], 'refunds apple'),
      doc('doc_b', ['c2', 'c3'], 'refunds pear'),
    ]);
    expect(errors).toEqual([null, null]);
    expect(matching('refunds')).toEqual(['doc_a', 'doc_b', 'doc_b']);
    expect(counts()).toEqual({ chunks: 3, terms: 3, collection: 3 });
  });

  it('a document that cannot be written fails alone; the rest of its batch is written whole', () => {
    writeDocuments(db, [doc('doc_old', ['taken'], 'shipping old')]);
    const errors = writeDocuments(db, [
      doc('doc_a', ['c1'], 'shipping apple'),
      doc('doc_bad', ['c2', 'taken'], 'shipping broken'), // its second chunk's id is another document's
      doc('doc_c', ['c3'], 'shipping cherry'),
    ]);
    expect(errors[0]).toBeNull();
    expect(String(errors[1])).toContain('UNIQUE');
    expect(errors[2]).toBeNull();
    expect(matching('shipping')).toEqual(['doc_a', 'doc_c', 'doc_old']);
    expect(matching('broken')).toEqual([]);
    expect(counts()).toEqual({ chunks: 3, terms: 3, collection: 3 });
  });
});
