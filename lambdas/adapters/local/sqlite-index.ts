import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { isId } from '../../core/ids';
import { DEFAULT_RANKING, type RankingParams } from '../../core/rank';
import type { ProjectIndex, SearchIndex } from '../../ports';
import { hasLog, openPrivateDatabase, openReadingDatabase, privateDir, truncateWal } from './private-files';
import type { ReadPool } from './read-pool';
import { emptyLog, mergeSegments, rest, type TidyHost } from './sqlite-index-tidy';
import { poolSize } from './sqlite-pool-size';
import { type IndexFiles, SqliteProjectIndex } from './sqlite-project-index';
import { createIndexFile, openIndexFile } from './sqlite-schema';
import type { SearchState } from './sqlite-search';
import { SearchStateCache } from './sqlite-search-cache';
import { ProjectWriteOrder } from './sqlite-write-order';
import { WriteThread } from './sqlite-write-thread';

/** Connections the write thread keeps: it writes batches for the projects ingesting at the time. */
const WRITE_THREAD_OPEN = 16;

/**
 * The embedded index: one SQLite file per project (`<dir>/<project_id>.db`) with its chunks and
 * an FTS5 index (porter stemming, BM25). A project's handle can only ever open its own file.
 */
export class SqliteSearchIndex implements SearchIndex, IndexFiles {
  private readonly open = new Map<string, Database.Database>();
  /** a second connection per project that all writes go through, one write at a time */
  private readonly writers = new Map<string, Database.Database>();
  /** the order of each project's writes, and its generation */
  private readonly order = new ProjectWriteOrder((projectId) => this.scheduleTidy(projectId));
  /** @internal where batches of small documents are analysed and written */
  readonly writeThread: WriteThread;
  private readonly searches = new SearchStateCache((projectId) => this.file(projectId));
  /**
   * Where searches run when set: threads with their own connections (read-pool.ts), the event
   * loop left to parse, authorize and reply. Unset, they run here, on this thread's connection.
   */
  reads: ReadPool | null = null;
  /** projects whose file this process has opened at the current schema (the read threads never upgrade one) */
  private readonly current = new Set<string>();

  constructor(
    private readonly dir: string,
    /** projects kept open (see sqlite-pool-size.ts for the rule) */
    private readonly maxOpen = poolSize(),
    /** how chunks are ranked; replaceable (the tuning script sweeps it without re-indexing) */
    public ranking: RankingParams = DEFAULT_RANKING,
  ) {
    privateDir(dir);
    this.writeThread = new WriteThread(Math.min(maxOpen, WRITE_THREAD_OPEN));
  }

  async createProject(projectId: string): Promise<string> {
    if (!isId('project', projectId)) throw new Error('invalid project id for the index');
    // the file and its schema, without taking a place in the pool from a project in use
    if (this.exists(projectId)) {
      if (!this.open.has(projectId)) openIndexFile(this.file(projectId)).close();
    } else createIndexFile(this.file(projectId));
    this.current.add(projectId);
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
    db = this.openReader(projectId);
    this.current.add(projectId);
    this.open.set(projectId, db);
    if (this.open.size > this.maxOpen) {
      const [oldest, handle] = this.open.entries().next().value as [string, Database.Database];
      this.open.delete(oldest);
      if (this.order.busy(oldest))
        handle.close(); // its writer is still at work
      else {
        // emptying the log changes the files, not the data: what was remembered still holds
        this.searches.acrossFileChange(oldest, this.generation(oldest), () => {
          if (hasLog(this.file(oldest))) this.emptyLog(oldest, handle); // an empty one costs nothing to keep
          handle.close();
          this.writers.get(oldest)?.close();
          this.writers.delete(oldest);
        });
      }
    }
    return db;
  }

  /**
   * A project's reading connection: a file this process has already brought to the current schema
   * is only opened (no PRAGMA, nothing read before the first search's statements); another is
   * made, or brought up to date, first (`openIndexFile`).
   */
  private openReader(projectId: string): Database.Database {
    const file = this.file(projectId);
    if (this.current.has(projectId)) {
      try {
        return openReadingDatabase(file);
      } catch {
        // the file is gone (removed from outside): made again below, as before
      }
    }
    return openIndexFile(file);
  }

  /** Copies the project's log into its file and empties it (see `emptyLog`). */
  private emptyLog(projectId: string, reader: Database.Database): void {
    emptyLog(this.file(projectId), reader, this.writers.get(projectId));
  }

  /**
   * @internal Runs `work` after the project's earlier writes, alone (see ProjectWriteOrder).
   * Searches read through another connection, so under WAL they keep seeing the last commit while
   * a write transaction is open — even one that yields the event loop between slices.
   */
  exclusive<T>(projectId: string, work: () => Promise<T> | T): Promise<T> {
    return this.order.exclusive(projectId, work);
  }

  /** @internal Hands a write to the write thread after the project's earlier writes (see ProjectWriteOrder). */
  handedOver<T>(projectId: string, work: () => Promise<T>): Promise<T> {
    return this.order.handedOver(projectId, work);
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
      this.tidy(projectId)
        .then(() => rest(this.tidyHost, projectId))
        .catch(() => undefined);
    }, this.tidyAfterMs);
    timer.unref();
    this.tidyTimers.set(projectId, timer);
  }

  /** @internal Merges the project's full-text index segments (see `mergeSegments`); resolves to the steps that did work. */
  tidy(projectId: string): Promise<number> {
    return mergeSegments(this.tidyHost, projectId);
  }

  private readonly tidyHost: TidyHost = {
    writing: (projectId) => this.order.busy(projectId),
    closed: () => this.closed,
    exists: (projectId) => this.exists(projectId),
    after: (projectId, work) => this.order.after(projectId, work),
    mergeStep: (projectId, pages) => this.writeThread.merge(this.file(projectId), pages),
    restWrites: (projectId) => this.writeThread.rest(this.file(projectId)),
    takeWriter: (projectId) => {
      const writer = this.writers.get(projectId);
      this.writers.delete(projectId);
      return writer;
    },
  };

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

  /**
   * @internal What a search of the project reads: its reading connection and what earlier
   * searches counted and found, while it still holds (see `SearchStateCache`).
   */
  searchState(projectId: string): SearchState {
    return this.searches.state(projectId, this.db(projectId), this.generation(projectId));
  }

  /** @internal the project's write generation (see ProjectWriteOrder): the read threads compare it with the last they saw */
  generation(projectId: string): number {
    return this.order.generation(projectId);
  }

  /**
   * @internal Whether the project's searches may go to the read threads: its file exists and this
   * process has brought it to the current schema (opened once here, which upgrades an older one).
   */
  readable(projectId: string): boolean {
    if (!this.reads || this.closed) return false;
    if (this.current.has(projectId)) return this.exists(projectId);
    if (!this.exists(projectId)) return false;
    if (!this.open.has(projectId)) openIndexFile(this.file(projectId)).close();
    this.current.add(projectId);
    return true;
  }

  /** @internal closes and deletes the project's file */
  destroy(projectId: string): void {
    this.searches.forget(projectId);
    this.current.delete(projectId);
    this.reads?.forget(projectId);
    this.order.forget(projectId);
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

  /**
   * Closes every connection: this thread's at once, then the write thread's once the writes sent
   * to it are done. Each log is copied into its file and emptied on the way, and the last
   * connection of a file that may write removes its log and the log's index: a server that stops
   * cleanly leaves no log holding anything, and no `-wal` or `-shm` beside the projects open at
   * the stop. A project read since it was last written and closed earlier keeps an empty `-wal`
   * and its 32 KB `-shm` (see `openReadingDatabase`), removed by the next connection that writes.
   */
  close(): Promise<void> {
    this.closed = true;
    for (const timer of this.tidyTimers.values()) clearTimeout(timer);
    this.tidyTimers.clear();
    for (const [projectId, db] of this.open) {
      if (!db.open) continue;
      if (!db.readonly) truncateWal(db);
      db.close();
      // a read-only connection leaves the log and its index behind: a connection that may write
      // empties the log, and removes both when it is the file's last (a writer still open does)
      if (db.readonly && !this.writers.get(projectId)?.open && this.exists(projectId)) {
        try {
          this.emptyLog(projectId, db);
        } catch {
          // a file deleted meanwhile: nothing to tidy
        }
      }
    }
    for (const db of this.writers.values()) {
      if (!db.open) continue;
      truncateWal(db);
      db.close();
    }
    this.open.clear();
    this.writers.clear();
    this.searches.clearRecent();
    return this.writeThread.close();
  }
}
