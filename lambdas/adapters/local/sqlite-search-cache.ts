import { statSync } from 'node:fs';
import { totalmem } from 'node:os';
import type Database from 'better-sqlite3';
import { type ImpactList, ImpactScratch } from '../../core/impact';
import type { Candidate } from '../../core/rank';
import { stmt } from './sqlite-index-write';
import type { KeptImpactList, RecentSearch, SearchState } from './sqlite-search-state';

/** Recent searches (candidates, rows read) kept for a second search of the same query (feedback). */
const RECENT_SEARCHES = 16;

/** Projects whose remembered term counts outlive their connection (a few KB each). */
const REMEMBERED_PROJECTS = 10_000;

/** Phrases counted for one project before its counts are started afresh. */
const MAX_COUNTS = 50_000;

/**
 * Entries (a chunk and its impact, 8 bytes) of the impact-ordered lists kept across every project
 * by one reading context (the event loop, each read thread), the least recently used dropped past
 * it: 1/128 of the machine's memory, between 4 and 16 million (32 to 128 MB; 16 million with 16 GB
 * or more). The lists a search of a 100,000-chunk project needs for 1,146 varied questions hold
 * about 4.2 million entries; a bound below what a project's questions keep asking for is cyclic
 * work (each list dropped before it is asked for again, docs/benchmarks.md). The read threads
 * hand each other the lists they make (`SharedList`): the lists two threads both keep are one
 * copy in memory.
 */
export function impactEntries(memoryBytes: number = totalmem()): number {
  return Math.max(4_000_000, Math.min(16_000_000, Math.floor(memoryBytes / 128 / 8)));
}

/**
 * A list made afresh by one reading context, as another adopts it: its entries in memory shared
 * between threads, and what tells whether and how it still holds (`KeptImpactList`, less its basis).
 */
export interface SharedList {
  projectId: string;
  /** the list's name within the project (its FTS5 match and ranking setting) */
  name: string;
  kept: Omit<KeptImpactList, 'basis'>;
}

/** `list` with its entries in memory that threads share (a copy, unless they already are). */
function sharedMemory(list: ImpactList): ImpactList {
  if (list.chunks.buffer instanceof SharedArrayBuffer) return list;
  const n = list.chunks.length;
  const chunks = new Int32Array(new SharedArrayBuffer(n * 4));
  const impacts = new Float32Array(new SharedArrayBuffer(n * 4));
  chunks.set(list.chunks);
  impacts.set(list.impacts);
  return { chunks, impacts, maxChunk: list.maxChunk };
}

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

/** How many chunks match each phrase in a project, as counted through `db` at its data `version`. */
interface RememberedCounts {
  db: Database.Database;
  version: number;
  counts: Map<string, number>;
  /** the project's write generation when counting began (see `SqliteSearchIndex.queue`) */
  generation: number;
  signature: string;
}

/**
 * What searches of the projects remember between them: per project, how many chunks match each
 * phrase as far as it has been counted, the impact-ordered lists of a large project's terms
 * (bounded in entries across projects; a list made from earlier data of the project is brought
 * forward by the search that next needs it, see sqlite-impact-search.ts), and the candidates and rows of
 * its recent searches, the counts and searches remembered until the project's file changes (its
 * data version, as the reading connection sees it, moves with every commit of another
 * connection, the writers' included). The counts outlive the connection: a project whose
 * connection left the pool finds them again when it is reopened, as long as no write of the index
 * ran meanwhile nor was running when they were first counted (its write `generation` is where it
 * was), and its files look as they did then (another process's commit changes them). A reopened
 * project then reads only the pages its search needs.
 */
export class SearchStateCache {
  private readonly matchCounts = new Map<string, RememberedCounts>();
  private readonly recentSearches = new Map<string, { db: Database.Database; version: number; search: RecentSearch }>();
  /**
   * Impact-ordered lists by project and name, least recently used first; each names the
   * remembered counts of the data it was last brought up to (its `basis`).
   */
  private readonly impactLists = new Map<string, KeptImpactList>();
  private impactEntries = 0;
  private readonly scratch = new ImpactScratch();
  /** impact-ordered lists made from scratch, and brought forward to newer data, so far */
  readonly impactListWork = { made: 0, extended: 0 };

  /**
   * `file` names a project's database file; `maxImpactEntries` bounds the lists kept; `share`,
   * when given, is handed every list made afresh (its entries in shared memory) for the other
   * reading contexts to `adopt`.
   */
  constructor(
    private readonly file: (projectId: string) => string,
    private readonly maxImpactEntries = impactEntries(),
    private readonly share?: (list: SharedList) => void,
  ) {}

  /** What a search of the project reads through `db`, its reading connection. */
  state(projectId: string, db: Database.Database, generation: number): SearchState {
    const version = stmt(db, 'PRAGMA data_version').pluck().get() as number;
    let entry = this.matchCounts.get(projectId);
    if (
      entry &&
      entry.db !== db &&
      entry.counts.size <= MAX_COUNTS &&
      this.unchangedSince(projectId, entry, generation)
    ) {
      entry.db = db; // the same data through a new connection
      entry.version = version;
    }
    if (!entry || entry.db !== db || entry.version !== version || entry.counts.size > MAX_COUNTS) {
      entry = {
        db,
        version,
        counts: new Map(),
        generation,
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
    const impacts = {
      scratch: this.scratch,
      basis: entry as object,
      get: (name: string): KeptImpactList | undefined => {
        const key = `${projectId}\n${name}`;
        const kept = this.impactLists.get(key);
        if (!kept) return undefined;
        // the most recently used last
        this.impactLists.delete(key);
        this.impactLists.set(key, kept);
        return kept;
      },
      set: (name: string, kept: KeptImpactList, fresh: boolean): void => {
        if (!this.keep(projectId, name, kept) || !fresh || !this.share) return;
        const { basis: _, ...rest } = kept;
        this.share({ projectId, name, kept: rest });
      },
      note: (what: 'made' | 'extended') => {
        this.impactListWork[what]++;
      },
    };
    return { db, counts: entry.counts, recent, impacts };
  }

  /**
   * Keeps a list another reading context made (`share`) as this one's own, to be brought forward
   * to the data its next search reads (as a list kept across writes is) rather than made again.
   */
  adopt({ projectId, name, kept }: SharedList): void {
    this.keep(projectId, name, { ...kept, basis: {} }); // a basis no search's data is
  }

  /** Entries of the impact-ordered lists kept now. */
  get impactListEntries(): number {
    return this.impactEntries;
  }

  /** Keeps `kept` as the project's list `name` (in shared memory when lists are shared), unless it is too long to keep. */
  private keep(projectId: string, name: string, kept: KeptImpactList): boolean {
    const key = `${projectId}\n${name}`;
    this.dropList(key);
    if (kept.list.chunks.length > this.maxImpactEntries / 4) return false; // used once, not kept
    if (this.share) kept.list = sharedMemory(kept.list);
    this.impactLists.set(key, kept);
    this.impactEntries += kept.list.chunks.length;
    while (this.impactEntries > this.maxImpactEntries) this.dropList(this.impactLists.keys().next().value as string);
    return this.impactLists.has(key);
  }

  private dropList(key: string): void {
    const kept = this.impactLists.get(key);
    if (!kept) return;
    this.impactLists.delete(key);
    this.impactEntries -= kept.list.chunks.length;
  }

  /**
   * Runs `tidyFiles`, which changes the project's files but not its data (emptying the log, closing
   * the connections), and keeps the remembered counts true across it when they held before.
   */
  acrossFileChange(projectId: string, generation: number, tidyFiles: () => void): void {
    const remembered = this.matchCounts.get(projectId);
    const holds = remembered !== undefined && this.unchangedSince(projectId, remembered, generation);
    tidyFiles();
    if (holds) remembered.signature = fileSignature(this.file(projectId));
  }

  /**
   * Forgets the counts and recent searches of the project (its data has changed), and keeps its
   * impact-ordered lists: a search brings them forward, or makes them again, as the data then is.
   */
  setAside(projectId: string): void {
    this.matchCounts.delete(projectId);
    for (const key of [...this.recentSearches.keys()]) {
      if (key.startsWith(`${projectId}\n`)) this.recentSearches.delete(key);
    }
  }

  /** Forgets everything remembered of the project (its file is deleted). */
  forget(projectId: string): void {
    this.setAside(projectId);
    for (const key of [...this.impactLists.keys()]) {
      if (key.startsWith(`${projectId}\n`)) this.dropList(key);
    }
  }

  /** Forgets the recent searches and the impact-ordered lists of every project. */
  clearRecent(): void {
    this.recentSearches.clear();
    this.impactLists.clear();
    this.impactEntries = 0;
  }

  private unchangedSince(projectId: string, entry: RememberedCounts, generation: number): boolean {
    return entry.generation === generation && entry.signature === fileSignature(this.file(projectId));
  }
}
