import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isId } from '../../core/ids';
import type { Chunk } from '../../core/model';
import {
  type Candidate,
  type CollectionStats,
  DEFAULT_RANKING,
  feedbackTerms,
  type RankingParams,
  rankCandidates,
  termCounts,
} from '../../core/rank';
import { indexKey } from '../../core/text';
import type { ProjectIndex, SearchIndex, SearchRequest, SearchResult } from '../../ports';
import { backfillTerms, type ChunkWrite, indexText, lastRowid, stmt, writeDocument } from './sqlite-index-write';
import { WriteThread } from './sqlite-write-thread';

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
 * feedback), version 4 dropped the full-text insert trigger; older files are brought up to date on
 * open, and a current one is opened without writing anything.
 */
const SCHEMA_VERSION = 4;

/** Chunks written between two turns of the event loop when a large document is indexed. */
const WRITE_SLICE = 256;

/** Pages of the full-text index merged in one step of a tidy-up (a few milliseconds each). */
const TIDY_PAGES = 100;

/** A query token as an FTS5 phrase, so that no token is read as query syntax. */
const phrase = (token: string) => `"${token.replace(/"/g, '""')}"`;

/** A chunk as its row holds it: tags as JSON, no vector. */
type ChunkRow = Omit<Chunk, 'tags' | 'vector'> & { tags: string };

/**
 * The embedded index: one SQLite file per project (`<dir>/<project_id>.db`) with its chunks and
 * an FTS5 index (porter stemming, BM25). A project's handle can only ever open its own file.
 */
export class SqliteSearchIndex implements SearchIndex {
  private readonly open = new Map<string, Database.Database>();
  /** a second connection per project that all writes go through, one write at a time */
  private readonly writers = new Map<string, Database.Database>();
  private readonly writing = new Map<string, Promise<unknown>>();
  /** @internal where batches of small documents are analysed and written */
  readonly writeThread: WriteThread;

  constructor(
    private readonly dir: string,
    private readonly maxOpen = 64,
    /** how chunks are ranked; replaceable (the tuning script sweeps it without re-indexing) */
    public ranking: RankingParams = DEFAULT_RANKING,
  ) {
    mkdirSync(dir, { recursive: true });
    this.writeThread = new WriteThread(maxOpen);
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
    db.pragma('synchronous = NORMAL');
    // a file at the current version is only read here: opening it must not wait for a write
    // transaction of the project (a large document written in slices holds one across turns of
    // the event loop, on this same thread)
    if ((db.pragma('user_version', { simple: true }) as number) < SCHEMA_VERSION) {
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
    this.open.set(projectId, db);
    if (this.open.size > this.maxOpen) {
      const [oldest, handle] = this.open.entries().next().value as [string, Database.Database];
      handle.close();
      this.open.delete(oldest);
      if (!this.writing.has(oldest)) {
        this.writers.get(oldest)?.close();
        this.writers.delete(oldest);
      }
    }
    return db;
  }

  /**
   * @internal Runs `work` after the project's earlier writes, alone: whether it writes on the
   * connection of this thread (`writer`) or on the write thread's, no two writes of a project
   * overlap. Searches read through another connection, so under WAL they keep seeing the last
   * commit while a write transaction is open — even one that yields the event loop between slices.
   */
  exclusive<T>(projectId: string, work: () => Promise<T> | T): Promise<T> {
    return this.queue(projectId, work, true);
  }

  /** Runs `work` after the project's earlier writes; a write (`tidyAfter`) schedules a tidy-up. */
  private queue<T>(projectId: string, work: () => Promise<T> | T, tidyAfter: boolean): Promise<T> {
    const before = this.writing.get(projectId) ?? Promise.resolve();
    const run = before.then(work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.writing.set(projectId, settled);
    void settled.then(() => {
      if (this.writing.get(projectId) === settled) this.writing.delete(projectId);
      if (tidyAfter) this.scheduleTidy(projectId);
    });
    return run;
  }

  /** How long a project's writes must pause before its full-text index is tidied (ms). */
  tidyAfterMs = 2_000;
  private readonly tidyTimers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  private scheduleTidy(projectId: string) {
    clearTimeout(this.tidyTimers.get(projectId));
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.tidyTimers.delete(projectId);
      this.tidy(projectId).catch(() => undefined);
    }, this.tidyAfterMs);
    timer.unref();
    this.tidyTimers.set(projectId, timer);
  }

  /**
   * @internal Merges the project's full-text index segments, a little at a time with the event
   * loop free in between, until they are one (or a write arrives, which schedules another tidy).
   * Every write adds a segment and FTS5 merges them only in part, so a project written one
   * document at a time searches through many; merged, each search reads fewer pages. Uses the
   * project's writer connection on this thread; a closed index or a deleted project is left alone.
   * Resolves to the number of merge steps that did work.
   */
  async tidy(projectId: string): Promise<number> {
    let steps = 0;
    for (let i = 0; i < 10_000; i++) {
      if (this.writing.has(projectId)) return steps;
      const worked = await this.queue(
        projectId,
        () => {
          if (this.closed || !this.exists(projectId)) return false;
          const db = this.writer(projectId);
          const changes = stmt(db, 'SELECT total_changes()').pluck();
          const before = changes.get() as number;
          stmt(db, `INSERT INTO chunks_fts (chunks_fts, rank) VALUES ('merge', -${TIDY_PAGES})`).run();
          return (changes.get() as number) - before >= 2;
        },
        false,
      );
      if (!worked) return steps;
      steps++;
      await new Promise((r) => setImmediate(r));
    }
    return steps;
  }

  /** @internal the project's write connection on this thread */
  writer(projectId: string): Database.Database {
    const open = this.writers.get(projectId);
    if (open?.open) return open;
    this.db(projectId); // creates the file and its schema
    const db = new Database(this.file(projectId));
    db.pragma('synchronous = NORMAL');
    this.writers.set(projectId, db);
    return db;
  }

  private readonly matchCounts = new Map<
    string,
    { db: Database.Database; version: number; counts: Map<string, number> }
  >();

  /**
   * @internal How many chunks of the project match each phrase, as far as it has been counted:
   * remembered between searches until the project's file changes (its data version, as the
   * reading connection sees it, moves with every commit of another connection, the writers'
   * included; a reopened connection starts afresh).
   */
  matchCountsOf(projectId: string): Map<string, number> {
    const db = this.db(projectId);
    const version = stmt(db, 'PRAGMA data_version').pluck().get() as number;
    let entry = this.matchCounts.get(projectId);
    if (!entry || entry.db !== db || entry.version !== version || entry.counts.size > 50_000) {
      entry = { db, version, counts: new Map() };
      this.matchCounts.set(projectId, entry);
    }
    return entry.counts;
  }

  /** @internal closes and deletes the project's file */
  destroy(projectId: string): void {
    this.matchCounts.delete(projectId);
    clearTimeout(this.tidyTimers.get(projectId));
    this.tidyTimers.delete(projectId);
    this.open.get(projectId)?.close();
    this.open.delete(projectId);
    this.writers.get(projectId)?.close(); // a write still running fails at its next step
    this.writers.delete(projectId);
    this.writeThread.release(this.file(projectId));
    for (const suffix of ['', '-wal', '-shm']) rmSync(this.file(projectId) + suffix, { force: true });
  }

  exists(projectId: string): boolean {
    return existsSync(this.file(projectId));
  }

  close(): void {
    this.closed = true;
    for (const timer of this.tidyTimers.values()) clearTimeout(timer);
    this.tidyTimers.clear();
    this.writeThread.close();
    for (const db of [...this.open.values(), ...this.writers.values()]) db.close();
    this.open.clear();
    this.writers.clear();
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
    await this.index.exclusive(this.projectId, async () => {
      const db = this.index.writer(this.projectId);
      const rows = chunks.map(chunkWrite);
      // one transaction: readers see the old chunks or the new ones, never neither or both
      if (chunks.length <= WRITE_SLICE) {
        db.transaction(() => {
          const after = lastRowid(db);
          writeDocument(db, documentId, rows, true, after);
          indexText(db, after);
        })();
        return;
      }
      // a large document is written in slices with the event loop free in between (other projects
      // and searches go on); it is still one transaction, committed once
      db.exec('BEGIN IMMEDIATE');
      try {
        let after = lastRowid(db);
        for (let i = 0; i < chunks.length; i += WRITE_SLICE) {
          writeDocument(db, documentId, rows.slice(i, i + WRITE_SLICE), i === 0, after);
          indexText(db, after);
          after += Math.min(WRITE_SLICE, chunks.length - i);
          await new Promise((resolve) => setImmediate(resolve));
        }
        db.exec('COMMIT');
      } catch (e) {
        if (db.open && db.inTransaction) db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  /**
   * Several small documents with one commit, each in a savepoint of its own: one that fails leaves
   * the others. Written on the write thread, the event loop free meanwhile.
   */
  async replaceDocuments(docs: { documentId: string; chunks: Chunk[] }[]): Promise<(unknown | null)[]> {
    if (docs.reduce((n, d) => n + d.chunks.length, 0) > 4 * WRITE_SLICE) {
      const errors: (unknown | null)[] = [];
      for (const d of docs) {
        errors.push(
          await this.replaceDocument(d.documentId, d.chunks).then(
            () => null,
            (e: unknown) => e,
          ),
        );
      }
      return errors;
    }
    const writes = docs.map((d) => ({ documentId: d.documentId, chunks: d.chunks.map(chunkWrite) }));
    return this.index.exclusive(this.projectId, () => {
      this.index.db(this.projectId); // the file and its schema exist before the thread opens it
      return this.index.writeThread.write(this.index.file(this.projectId), writes);
    });
  }

  async deleteDocument(documentId: string) {
    return this.index.exclusive(
      this.projectId,
      () => stmt(this.index.writer(this.projectId), 'DELETE FROM chunks WHERE document_id = ?').run(documentId).changes,
    );
  }

  async search(req: SearchRequest): Promise<SearchResult> {
    const db = this.db;
    const ranking = this.index.ranking;
    const stats = collectionStats(db);
    const chunkCount = stats.chunks;
    // counted with the same tokenizer as the candidate search: FTS5 folds diacritics and stems
    // its own way, and the query's stems ('café' vs 'cafe') need not equal its terms
    const documentFrequency: Record<string, number> = {};
    const counted = this.index.matchCountsOf(this.projectId);
    const countStatement = stmt(db, 'SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?').pluck();
    const countMatches = (query: string): number => {
      let n = counted.get(query);
      if (n === undefined) {
        n = countStatement.get(query) as number;
        counted.set(query, n);
      }
      return n;
    };
    const query = new Map<string, { key: string; df: number; weight: number }>();
    for (const t of req.terms) {
      const df = chunkCount === 0 ? 0 : countMatches(phrase(t.token));
      if (!Object.hasOwn(documentFrequency, t.stem)) documentFrequency[t.stem] = df;
      const key = indexKey(t.token);
      if (!query.has(key)) query.set(key, { key, df, weight: 1 });
    }
    if (req.terms.length === 0 || chunkCount === 0) return { hits: [], chunkCount, documentFrequency };

    const match = req.terms.map((t) => phrase(t.token)).join(' OR ');
    const params: unknown[] = [match];
    const conditions: string[] = [];
    if (req.filter?.document_ids?.length) {
      conditions.push(`document_id IN (${req.filter.document_ids.map(() => '?').join(',')})`);
      params.push(...req.filter.document_ids);
    }
    if (req.filter?.tags?.length) {
      conditions.push(
        `EXISTS (SELECT 1 FROM json_each(tags) WHERE value IN (${req.filter.tags.map(() => '?').join(',')}))`,
      );
      params.push(...req.filter.tags);
    }
    const where = conditions.length ? ` AND rowid IN (SELECT rowid FROM chunks WHERE ${conditions.join(' AND ')})` : '';
    const f = ranking.fields;
    params.push(Math.max(req.topK, ranking.candidates));
    // candidates: FTS5's own bm25 over its inverted index (limited before anything is joined),
    // then BM25F from the stored statistics
    const rows = stmt(
      db,
      `SELECT t.rowid, t.len_title, t.len_section, t.len_body, t.terms, t.keys
       FROM (SELECT rowid, bm25(chunks_fts, ${f.title.weight}, ${f.section.weight}, ${f.body.weight}) AS r
             FROM chunks_fts WHERE chunks_fts MATCH ?${where} ORDER BY r LIMIT ?) f
       JOIN chunk_terms t ON t.rowid = f.rowid`,
    )
      .raw()
      .all(...params) as [number, number, number, number, Buffer, string][];
    const candidates: Candidate[] = rows.map(([chunk, lt, ls, lb, terms, keys]) => ({
      chunk,
      lengths: [lt, ls, lb],
      terms,
      keys,
    }));
    let ranked = rankCandidates([...query.values()], candidates, stats, ranking);
    if (ranking.feedback.terms > 0 && chunkCount >= ranking.feedback.minChunks && ranked.length > 0) {
      const byChunk = new Map(candidates.map((c) => [c.chunk, c]));
      const top = ranked
        .slice(0, ranking.feedback.docs)
        .map((r) => ({ score: r.score, counts: termCounts(byChunk.get(r.chunk) as Candidate) }));
      const expansion = feedbackTerms(new Set(query.keys()), top, ranking.feedback);
      const expanded = [...query.values()];
      for (const [key, weight] of expansion) expanded.push({ key, weight, df: countMatches(phrase(key)) });
      if (expansion.size > 0) ranked = rankCandidates(expanded, candidates, stats, ranking);
    }
    const top = ranked.slice(0, req.topK);
    if (top.length === 0) return { hits: [], chunkCount, documentFrequency };
    const chunkRows = db
      .prepare(
        `SELECT rowid, id, document_id, ordinal, title, section, page, text, url, tags FROM chunks
         WHERE rowid IN (${top.map(() => '?').join(',')})`,
      )
      .all(...top.map((r) => r.chunk)) as (ChunkRow & { rowid: number })[];
    const byRowid = new Map(chunkRows.map((r) => [r.rowid, r]));
    const hits = top.flatMap(({ chunk, score }) => {
      const row = byRowid.get(chunk);
      if (!row) return [];
      const { rowid: _, tags, ...c } = row;
      return [{ ...c, tags: JSON.parse(tags) as string[], score }];
    });
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

/** What the index stores of a chunk (not its vector, which would only be copied to the write thread). */
const chunkWrite = ({ document_id: _, vector: __, ...c }: Chunk): ChunkWrite => c;

function collectionStats(db: Database.Database): CollectionStats {
  const [n, lt, ls, lb] = stmt(db, 'SELECT chunks, len_title, len_section, len_body FROM collection WHERE id = 1')
    .raw()
    .get() as [number, number, number, number];
  return { chunks: n, avgLength: n > 0 ? [lt / n, ls / n, lb / n] : [0, 0, 0] };
}
