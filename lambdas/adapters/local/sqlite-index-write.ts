import type Database from 'better-sqlite3';
import { analyzeChunk, encodeTerms } from '../../core/chunk-terms';
import type { Chunk } from '../../core/model';

/**
 * How the embedded index writes chunks: the statements shared by the connection on the event
 * loop's thread (single documents, large ones in slices, deletions, migrations) and the one on
 * the write thread (batches of small documents, see sqlite-write-thread.ts).
 */

/** What a chunk row holds: a chunk without its vector, which this index does not store (its document is the write's). */
export type ChunkWrite = Omit<Chunk, 'document_id' | 'vector'>;

export interface DocumentWrite {
  documentId: string;
  chunks: ChunkWrite[];
}

const statementCache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** A prepared statement, compiled once per connection. */
export function stmt(db: Database.Database, sql: string): Database.Statement {
  let m = statementCache.get(db);
  if (!m) {
    m = new Map();
    statementCache.set(db, m);
  }
  let s = m.get(sql);
  if (!s) {
    s = db.prepare(sql);
    m.set(sql, s);
  }
  return s;
}

/**
 * Writes chunks of a document with rowids after `after`, first removing the ones it had when
 * `fresh`; the caller holds the transaction and adds the full-text rows (`indexText`).
 */
export function writeDocument(
  db: Database.Database,
  documentId: string,
  chunks: ChunkWrite[],
  fresh: boolean,
  after: number,
) {
  if (fresh) stmt(db, 'DELETE FROM chunks WHERE document_id = ?').run(documentId);
  const insert = stmt(
    db,
    `INSERT INTO chunks (rowid, id, document_id, ordinal, title, section, page, text, url, tags)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let rowid = after;
  for (const c of chunks) {
    rowid++;
    insert.run(rowid, c.id, documentId, c.ordinal, c.title, c.section, c.page, c.text, c.url, JSON.stringify(c.tags));
    addTerms(db, rowid, c.title, c.section, c.text);
  }
}

/**
 * The highest rowid in use: new chunks are numbered after it, so that the full-text rows of a
 * write are the chunks above it, even when the write deleted the highest ones.
 */
export function lastRowid(db: Database.Database): number {
  return (stmt(db, 'SELECT max(rowid) FROM chunks').pluck().get() as number | null) ?? 0;
}

/** Adds the chunks numbered after `after` to the full-text index, in one statement. */
export function indexText(db: Database.Database, after: number) {
  stmt(
    db,
    'INSERT INTO chunks_fts (rowid, title, section, text) SELECT rowid, title, section, text FROM chunks WHERE rowid > ?',
  ).run(after);
}

/** Stores one chunk's field lengths and term statistics (the collection totals follow by trigger). */
function addTerms(db: Database.Database, rowid: number, title: string | null, section: string | null, text: string) {
  const analyzed = analyzeChunk(title, section, text);
  const [lt, ls, lb] = analyzed.lengths;
  stmt(
    db,
    'INSERT INTO chunk_terms (rowid, len_title, len_section, len_body, terms, keys) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(rowid, lt, ls, lb, encodeTerms(analyzed), analyzed.keys.join(' '));
}

/** Adds the term statistics of a file written before they existed. */
export function backfillTerms(db: Database.Database) {
  const rows = db
    .prepare('SELECT rowid, title, section, text FROM chunks WHERE rowid NOT IN (SELECT rowid FROM chunk_terms)')
    .all() as { rowid: number; title: string | null; section: string | null; text: string }[];
  for (const r of rows) addTerms(db, r.rowid, r.title, r.section, r.text);
}

/**
 * Several small documents in one transaction, each failing alone: one that fails leaves the
 * others (its error is returned in its place). Their full-text rows are added together at the
 * end. Throws when the transaction as a whole fails.
 *
 * The batch is first written without a savepoint per document: a savepoint costs a third of
 * writing a short document (its statement journal). Should any document fail, that attempt is
 * undone whole and the batch written again with each document in a savepoint of its own.
 */
export function writeDocuments(db: Database.Database, docs: DocumentWrite[]): (unknown | null)[] {
  try {
    db.transaction(() => {
      const after = lastRowid(db);
      let next = after;
      for (const d of docs) {
        writeDocument(db, d.documentId, d.chunks, true, next);
        next += d.chunks.length;
      }
      indexText(db, after);
    })();
    return docs.map(() => null);
  } catch {
    // undone: written again below, where each document fails alone
  }
  const errors: (unknown | null)[] = [];
  db.transaction(() => {
    const after = lastRowid(db);
    let next = after;
    for (const d of docs) {
      try {
        db.transaction(() => writeDocument(db, d.documentId, d.chunks, true, next))(); // a savepoint
        errors.push(null);
      } catch (e) {
        errors.push(e);
      }
      next += d.chunks.length; // a failed document leaves a gap, never a reused rowid
    }
    indexText(db, after);
  })();
  return errors;
}
