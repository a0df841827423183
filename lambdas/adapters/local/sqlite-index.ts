import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isId } from '../../core/ids';
import type { Chunk } from '../../core/model';
import type { ProjectIndex, SearchIndex, SearchRequest, SearchResult } from '../../ports';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS chunks (
  rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, document_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
  title TEXT, section TEXT, page INTEGER, text TEXT NOT NULL, url TEXT, tags TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks (document_id, ordinal);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
  title, section, text, content='chunks', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab(chunks_fts, 'row');
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts (rowid, title, section, text) VALUES (new.rowid, new.title, new.section, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, title, section, text) VALUES ('delete', old.rowid, old.title, old.section, old.text);
END;
`;

/** A query token as an FTS5 phrase, so that no token is read as query syntax. */
const phrase = (token: string) => `"${token.replace(/"/g, '""')}"`;

/** BM25 column weights: title, section path, body. */
const WEIGHTS = [3, 1.5, 1];

interface ChunkRow {
  id: string;
  document_id: string;
  ordinal: number;
  title: string | null;
  section: string | null;
  page: number | null;
  text: string;
  url: string | null;
  tags: string;
  rank: number;
}

/**
 * The embedded index: one SQLite file per project (`<dir>/<project_id>.db`) with its chunks and
 * an FTS5 index (porter stemming, BM25). A project's handle can only ever open its own file.
 */
export class SqliteSearchIndex implements SearchIndex {
  private readonly open = new Map<string, Database.Database>();

  constructor(
    private readonly dir: string,
    private readonly maxOpen = 64,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  async createProject(projectId: string): Promise<string> {
    if (!isId('project', projectId)) throw new Error('invalid project id for the index');
    this.db(projectId);
    return 'local';
  }

  forProject(projectId: string): ProjectIndex {
    if (!isId('project', projectId)) throw new Error('invalid project id for the index');
    return new SqliteProjectIndex(this, projectId);
  }

  file(projectId: string): string {
    return join(this.dir, `${projectId}.db`);
  }

  /** @internal the project's database, opened on first use and kept in a small pool */
  db(projectId: string): Database.Database {
    let db = this.open.get(projectId);
    if (db) {
      this.open.delete(projectId);
      this.open.set(projectId, db); // most recently used last
      return db;
    }
    db = new Database(this.file(projectId));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    this.open.set(projectId, db);
    if (this.open.size > this.maxOpen) {
      const [oldest, handle] = this.open.entries().next().value as [string, Database.Database];
      handle.close();
      this.open.delete(oldest);
    }
    return db;
  }

  /** @internal closes and deletes the project's file */
  destroy(projectId: string): void {
    this.open.get(projectId)?.close();
    this.open.delete(projectId);
    for (const suffix of ['', '-wal', '-shm']) rmSync(this.file(projectId) + suffix, { force: true });
  }

  exists(projectId: string): boolean {
    return existsSync(this.file(projectId));
  }

  close(): void {
    for (const db of this.open.values()) db.close();
    this.open.clear();
  }
}

class SqliteProjectIndex implements ProjectIndex {
  constructor(
    private readonly index: SqliteSearchIndex,
    private readonly projectId: string,
  ) {}

  private get db() {
    return this.index.db(this.projectId);
  }

  async replaceDocument(documentId: string, chunks: Chunk[]) {
    const db = this.db;
    const insert = db.prepare(
      `INSERT INTO chunks (id, document_id, ordinal, title, section, page, text, url, tags)
       VALUES (@id, @document_id, @ordinal, @title, @section, @page, @text, @url, @tags)`,
    );
    // one transaction: readers see the old chunks or the new ones, never neither or both
    db.transaction(() => {
      db.prepare('DELETE FROM chunks WHERE document_id = ?').run(documentId);
      for (const c of chunks) insert.run({ ...c, document_id: documentId, tags: JSON.stringify(c.tags) });
    })();
  }

  async deleteDocument(documentId: string) {
    return this.db.prepare('DELETE FROM chunks WHERE document_id = ?').run(documentId).changes;
  }

  async search(req: SearchRequest): Promise<SearchResult> {
    const db = this.db;
    const chunkCount = (db.prepare('SELECT count(*) AS n FROM chunks').get() as { n: number }).n;
    // counted with the same tokenizer as the search itself: the vocabulary holds FTS5's own stems of
    // diacritic-folded words, which the query's stems ('café' vs 'cafe') need not equal
    const documentFrequency: Record<string, number> = {};
    const countMatches = db.prepare('SELECT count(*) AS n FROM chunks_fts WHERE chunks_fts MATCH ?');
    for (const t of req.terms) {
      if (Object.hasOwn(documentFrequency, t.stem)) continue;
      documentFrequency[t.stem] = chunkCount === 0 ? 0 : (countMatches.get(phrase(t.token)) as { n: number }).n;
    }
    if (req.terms.length === 0 || chunkCount === 0) return { hits: [], chunkCount, documentFrequency };

    const match = req.terms.map((t) => phrase(t.token)).join(' OR ');
    const params: unknown[] = [match];
    let where = '';
    if (req.filter?.document_ids?.length) {
      where += ` AND c.document_id IN (${req.filter.document_ids.map(() => '?').join(',')})`;
      params.push(...req.filter.document_ids);
    }
    if (req.filter?.tags?.length) {
      where += ` AND EXISTS (SELECT 1 FROM json_each(c.tags) WHERE value IN (${req.filter.tags.map(() => '?').join(',')}))`;
      params.push(...req.filter.tags);
    }
    params.push(req.topK);
    const rows = db
      .prepare(
        `SELECT c.id, c.document_id, c.ordinal, c.title, c.section, c.page, c.text, c.url, c.tags,
                bm25(chunks_fts, ${WEIGHTS.join(', ')}) AS rank
         FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid
         WHERE chunks_fts MATCH ?${where} ORDER BY rank LIMIT ?`,
      )
      .all(...params) as ChunkRow[];
    const hits = rows.map(({ rank, tags, ...c }) => ({ ...c, tags: JSON.parse(tags) as string[], score: -rank }));
    return { hits, chunkCount, documentFrequency };
  }

  async chunkCount() {
    if (!this.index.exists(this.projectId)) return 0;
    return (this.db.prepare('SELECT count(*) AS n FROM chunks').get() as { n: number }).n;
  }

  async documentChunkIds(documentId: string) {
    const rows = this.db.prepare('SELECT id FROM chunks WHERE document_id = ? ORDER BY ordinal').all(documentId);
    return (rows as { id: string }[]).map((r) => r.id);
  }

  async drop() {
    const n = await this.chunkCount();
    this.index.destroy(this.projectId);
    return n;
  }
}
