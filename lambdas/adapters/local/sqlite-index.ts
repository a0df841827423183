import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { isId } from '../../core/ids';
import { type Candidate, DEFAULT_RANKING, type RankingParams } from '../../core/rank';
import type { ProjectIndex, SearchIndex } from '../../ports';
import { openPrivateDatabase, privateDir } from './private-files';
import { stmt } from './sqlite-index-write';
import { poolSize } from './sqlite-pool-size';
import { type IndexFiles, SqliteProjectIndex } from './sqlite-project-index';
import { createIndexFile, openIndexFile } from './sqlite-schema';
import type { RecentSearch, SearchState } from './sqlite-search';
import { WriteThread } from './sqlite-write-thread';

/** Pages of the full-text index merged in one step of a tidy-up (a few milliseconds each). */
const TIDY_PAGES = 100;

/** Recent searches (candidates, rows read) kept for a second search of the same query (feedback). */
const RECENT_SEARCHES = 16;

/** Projects whose remembered term counts outlive their connection (a few KB each). */
const REMEMBERED_PROJECTS = 10_000;

/** Connections the write thread keeps: it writes batches for the projects ingesting at the time. */
const WRITE_THREAD_OPEN = 16;

/**
 * What a project's files look like from outside: the sizes and change times of the database and
 * its `-wal`. Every commit, this process's or another's, changes the `-wal` (or, once it is
 * checkpointed, the database). Change times are the kernel's and coarse: two commits of another
 * process within one tick that leave the log the same size are not told apart, and the counts
 * they change are counted again after the next write of this process or change of the files.
 */
function fileSignature(file: string): string {
  const main = statSync(file, { bigint: true, throwIfNoEntry: false });
  const wal = statSync(`${file}-wal`, { bigint: true, throwIfNoEntry: false });
  // an empty log holds nothing, whether it exists or not (a connection's opening creates it)
  const log = wal && wal.size > 0n ? `${wal.size}:${wal.mtimeNs}` : 'empty';
  return `${main?.size}:${main?.mtimeNs}:${log}`;
}

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
      this.open.delete(oldest);
      if (this.writing.has(oldest))
        handle.close(); // its writer is still at work
      else {
        // emptying the log changes the files, not the data: what was remembered still holds
        const remembered = this.matchCounts.get(oldest);
        const holds = remembered !== undefined && this.unchangedSince(oldest, remembered);
        if (hasLog(this.file(oldest))) truncateWal(handle); // an empty one costs nothing to keep
        handle.close();
        this.writers.get(oldest)?.close();
        this.writers.delete(oldest);
        if (holds) remembered.signature = fileSignature(this.file(oldest));
      }
    }
    return db;
  }

  /**
   * Per project, a number that moves when a write starts and again when it ends: a remembered
   * count is trusted on another connection only while it stays where it was when counting began.
   */
  private readonly generations = new Map<string, number>();

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
    // a write moves the project's generation when it starts and again before its caller hears of it:
    // counts taken in between belong to neither side and are never trusted on another connection
    const bump = () => this.generations.set(projectId, (this.generations.get(projectId) ?? 0) + 1);
    const run = tidyAfter
      ? before.then(async () => {
          bump();
          try {
            return await work();
          } finally {
            bump();
          }
        })
      : before.then(work);
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
      this.tidy(projectId)
        .then(() => this.rest(projectId))
        .catch(() => undefined);
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

  /**
   * Once a project's writes are over and its index tidied: its write-ahead log is copied into the
   * file and emptied, and its write connection closed (the next write opens it again). Left for
   * later when another write has come in.
   */
  private async rest(projectId: string): Promise<void> {
    if (this.writing.has(projectId) || this.closed) return;
    await this.queue(
      projectId,
      () => {
        const writer = this.writers.get(projectId);
        this.writers.delete(projectId);
        if (!writer?.open) return;
        truncateWal(writer);
        writer.close();
      },
      false,
    );
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

  private readonly matchCounts = new Map<string, RememberedCounts>();
  private readonly recentSearches = new Map<string, { db: Database.Database; version: number; search: RecentSearch }>();

  /**
   * @internal What a search of the project reads: its reading connection, how many chunks match
   * each phrase as far as it has been counted, and the candidates and rows of its recent searches, all
   * remembered until the project's file changes (its data version, as the reading connection
   * sees it, moves with every commit of another connection, the writers' included). The counts
   * outlive the connection: a project whose connection left the pool finds them again when it
   * is reopened, as long as no write of this index ran meanwhile nor was running when they were
   * first counted, and its files look as they did then (another process's commit changes
   * them). A reopened project then reads only the pages its search needs.
   */
  searchState(projectId: string): SearchState {
    const db = this.db(projectId);
    const version = stmt(db, 'PRAGMA data_version').pluck().get() as number;
    let entry = this.matchCounts.get(projectId);
    if (entry && entry.db !== db && entry.counts.size <= 50_000 && this.unchangedSince(projectId, entry)) {
      entry.db = db; // the same data through a new connection
      entry.version = version;
    }
    if (!entry || entry.db !== db || entry.version !== version || entry.counts.size > 50_000) {
      entry = {
        db,
        version,
        counts: new Map(),
        generation: this.generations.get(projectId) ?? 0,
        signature: fileSignature(this.file(projectId)), // taken before anything is counted
      };
      this.matchCounts.delete(projectId);
      this.matchCounts.set(projectId, entry);
      if (this.matchCounts.size > REMEMBERED_PROJECTS) {
        this.matchCounts.delete(this.matchCounts.keys().next().value as string);
      }
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

  private unchangedSince(projectId: string, entry: RememberedCounts): boolean {
    return (
      entry.generation === (this.generations.get(projectId) ?? 0) &&
      entry.signature === fileSignature(this.file(projectId))
    );
  }

  /** @internal closes and deletes the project's file */
  destroy(projectId: string): void {
    this.matchCounts.delete(projectId);
    this.generations.delete(projectId);
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

/** How many chunks match each phrase in a project, as counted through `db` at its data `version`. */
interface RememberedCounts {
  db: Database.Database;
  version: number;
  counts: Map<string, number>;
  /** the project's generation when counting began (see `queue`) */
  generation: number;
  signature: string;
}

/** Whether the project's write-ahead log holds anything. */
function hasLog(file: string): boolean {
  return (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0;
}

/**
 * Copies the write-ahead log into the database and empties it, without waiting: a connection of
 * the write thread busy on the file leaves it as it is (the checkpoint reports busy), and it is
 * emptied when that connection closes.
 */
function truncateWal(db: Database.Database) {
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // a file deleted meanwhile, or a log being read: left for the last connection's close
  }
}
