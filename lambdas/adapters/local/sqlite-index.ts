import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { isId } from '../../core/ids';
import { type Candidate, DEFAULT_RANKING, type RankingParams } from '../../core/rank';
import type { ProjectIndex, SearchIndex } from '../../ports';
import { openPrivateDatabase, privateDir } from './private-files';
import { stmt } from './sqlite-index-write';
import { type IndexFiles, SqliteProjectIndex } from './sqlite-project-index';
import { openIndexFile } from './sqlite-schema';
import type { RecentSearch, SearchState } from './sqlite-search';
import { WriteThread } from './sqlite-write-thread';

/** Pages of the full-text index merged in one step of a tidy-up (a few milliseconds each). */
const TIDY_PAGES = 100;

/** Recent searches (candidates, rows read) kept for a second search of the same query (feedback). */
const RECENT_SEARCHES = 16;

/**
 * The embedded index: one SQLite file per project (`<dir>/<project_id>.db`) with its chunks and
 * an FTS5 index (porter stemming, BM25). A project's handle can only ever open its own file.
 */
export class SqliteSearchIndex implements SearchIndex, IndexFiles {
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
    privateDir(dir);
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
    db = openIndexFile(this.file(projectId));
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
    const db = openPrivateDatabase(this.file(projectId));
    db.pragma('synchronous = NORMAL');
    this.writers.set(projectId, db);
    return db;
  }

  private readonly matchCounts = new Map<
    string,
    { db: Database.Database; version: number; counts: Map<string, number> }
  >();
  private readonly recentSearches = new Map<string, { db: Database.Database; version: number; search: RecentSearch }>();

  /**
   * @internal What a search of the project reads: its reading connection, how many chunks match
   * each phrase as far as it has been counted, and the candidates and rows of its recent searches, all
   * remembered until the project's file changes (its data version, as the reading connection
   * sees it, moves with every commit of another connection, the writers' included; a reopened
   * connection starts afresh).
   */
  searchState(projectId: string): SearchState {
    const db = this.db(projectId);
    const version = stmt(db, 'PRAGMA data_version').pluck().get() as number;
    let entry = this.matchCounts.get(projectId);
    if (!entry || entry.db !== db || entry.version !== version || entry.counts.size > 50_000) {
      entry = { db, version, counts: new Map() };
      this.matchCounts.set(projectId, entry);
    }
    const recent = (query: string, read: () => Candidate[]): RecentSearch => {
      const key = `${projectId}\n${query}`;
      const kept = this.recentSearches.get(key);
      this.recentSearches.delete(key);
      const search =
        kept && kept.db === db && kept.version === version ? kept.search : { candidates: read(), rows: new Map() };
      this.recentSearches.set(key, { db, version, search });
      if (this.recentSearches.size > RECENT_SEARCHES) {
        this.recentSearches.delete(this.recentSearches.keys().next().value as string);
      }
      return search;
    };
    return { db, counts: entry.counts, recent };
  }

  /** @internal closes and deletes the project's file */
  destroy(projectId: string): void {
    this.matchCounts.delete(projectId);
    for (const key of [...this.recentSearches.keys()]) {
      if (key.startsWith(`${projectId}\n`)) this.recentSearches.delete(key);
    }
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
    this.recentSearches.clear();
  }
}
