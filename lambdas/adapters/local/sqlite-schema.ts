import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { FILE_MODE, openPrivateDatabase } from './private-files';
import { backfillTerms } from './sqlite-index-write';

/**
 * New chunks reach the full-text index through one statement at the end of each write (see
 * `indexText`), not a trigger per row: once FTS5 has been written in a transaction, every later
 * statement's savepoint flushes its pending terms into a new segment, so a trigger made one
 * segment (and its share of merging) per chunk. Deletions still go through a trigger. Files made
 * before this had an insert trigger; it is dropped on open (schema version 4).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS chunks (
  rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, document_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
  title TEXT, section TEXT, page INTEGER, text TEXT NOT NULL, url TEXT, tags TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks (document_id, ordinal);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
  title, section, text, content='chunks', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab(chunks_fts, 'row');
DROP TRIGGER IF EXISTS chunks_ai;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, title, section, text) VALUES ('delete', old.rowid, old.title, old.section, old.text);
END;
CREATE TABLE IF NOT EXISTS chunk_terms (rowid INTEGER PRIMARY KEY, len_title INTEGER NOT NULL,
  len_section INTEGER NOT NULL, len_body INTEGER NOT NULL, terms BLOB NOT NULL, keys TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS collection (id INTEGER PRIMARY KEY CHECK (id = 1), chunks INTEGER NOT NULL,
  len_title INTEGER NOT NULL, len_section INTEGER NOT NULL, len_body INTEGER NOT NULL);
INSERT OR IGNORE INTO collection VALUES (1, 0, 0, 0, 0);
CREATE TRIGGER IF NOT EXISTS chunk_terms_ai AFTER INSERT ON chunk_terms BEGIN
  UPDATE collection SET chunks = chunks + 1, len_title = len_title + new.len_title,
    len_section = len_section + new.len_section, len_body = len_body + new.len_body WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS chunk_terms_ad AFTER DELETE ON chunk_terms BEGIN
  UPDATE collection SET chunks = chunks - 1, len_title = len_title - old.len_title,
    len_section = len_section - old.len_section, len_body = len_body - old.len_body WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS chunks_terms_ad AFTER DELETE ON chunks BEGIN
  DELETE FROM chunk_terms WHERE rowid = old.rowid;
END;
`;

/**
 * Version 2 added each chunk's term statistics, which the ranking reads, version 3 their keys (for
 * feedback, see ProjectIndex.termCounts), version 4 dropped the full-text insert trigger; older
 * files are brought up to date on open, and a current one is opened without writing anything.
 */
const SCHEMA_VERSION = 4;

/**
 * The page size of a new project file. A chunk's row (its text: about 1.5 KB for an abstract) and
 * its term statistics' row are each kept whole on one page: on 4 KB pages two fit and about a
 * fifth of each page stays empty. 8 KB pages keep SciFact's index (5,183 abstracts) in 9 % less room,
 * at the price of every table's first page being larger: an empty project file is 80 KB instead
 * of 40, one of 30 abstracts 224 KB instead of 196. 16 KB pages would save 13 % on SciFact but
 * make a small project half as large again (docs/benchmarks.md, "Disk"). A file made before keeps
 * its 4 KB pages.
 */
const PAGE_SIZE = 8192;

/**
 * Opens a project's file, creating its tables or bringing an older file up to date. A file at the
 * current version is only read here: opening it must not wait for a write transaction of the
 * project (a large document written in slices holds one across turns of the event loop, on this
 * same thread).
 */
export function openIndexFile(file: string): Database.Database {
  const db = openPrivateDatabase(file);
  db.pragma('synchronous = NORMAL');
  if ((db.pragma('user_version', { simple: true }) as number) < SCHEMA_VERSION) {
    // before the first table: a new file's page size (an older file keeps its own)
    db.pragma(`page_size = ${PAGE_SIZE}`);
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA);
    db.transaction(() => {
      const columns = db.pragma('table_info(chunk_terms)') as { name: string }[];
      if (!columns.some((c) => c.name === 'keys')) {
        // version 2 stored no keys: its statistics are rebuilt
        db.exec(
          'DROP TABLE chunk_terms; UPDATE collection SET chunks = 0, len_title = 0, len_section = 0, len_body = 0',
        );
        db.exec(SCHEMA);
      }
      backfillTerms(db);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }
  return db;
}

/** The bytes of an empty index file at the current schema version, made once per process. */
let emptyIndex: Buffer | null = null;

function emptyIndexBytes(): Buffer {
  if (emptyIndex) return emptyIndex;
  const dir = mkdtempSync(join(tmpdir(), 'oprag-index-'));
  try {
    const file = join(dir, 'empty.db');
    openIndexFile(file).close(); // the last connection's close folds the log into the file
    emptyIndex = readFileSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return emptyIndex;
}

/**
 * Creates a new project's file as a copy of an empty index (in WAL mode, at the current schema
 * version): one write and one sync instead of the journal switch, the schema's statements and a
 * checkpoint, each with its own syncs. Written beside the file and renamed over it, so a crash
 * leaves no half-written index; a file that already exists is only brought up to date.
 */
export function createIndexFile(file: string): void {
  const bytes = emptyIndexBytes();
  const partial = `${file}.${process.pid}.new`;
  const fd = openSync(partial, 'wx', FILE_MODE);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(partial, file);
  } catch (e) {
    rmSync(partial, { force: true });
    throw e;
  }
}
