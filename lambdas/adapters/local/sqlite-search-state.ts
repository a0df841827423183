import type Database from 'better-sqlite3';
import type { ImpactList, ImpactScratch } from '../../core/impact';
import type { Chunk } from '../../core/model';
import type { Candidate, CollectionStats } from '../../core/rank';

/** What a search of one project's file reads and keeps between searches (sqlite-search.ts, sqlite-impact-search.ts). */

/** What a search reads: the project's reading connection and what earlier searches of the same data found. */
export interface SearchState {
  db: Database.Database;
  /** how many chunks match each phrase, as far as it has been counted */
  counts: Map<string, number>;
  /**
   * A recent search with the same query over the same data, or a new one with the candidates
   * `read` finds: a search with feedback asks twice in a row for the same ones, and a query asked
   * again before the data changes finds them.
   */
  recent(query: string, read: () => Candidate[]): RecentSearch;
  /** impact-ordered lists made by earlier searches of the same data, and where to keep new ones */
  impacts?: ImpactStore;
}

/** Impact-ordered lists of one project, by name, and the work space that sums them. */
export interface ImpactStore {
  /** a list kept, made from this data or earlier data of the same project */
  get(name: string): KeptImpactList | undefined;
  /** keeps `list`; `fresh` when it was made afresh rather than brought forward */
  set(name: string, list: KeptImpactList, fresh: boolean): void;
  scratch: ImpactScratch;
  /** stands for the data this search reads: a list brought up to it holds as it is */
  basis: object;
  /** counts a list made from scratch, or one brought forward to newer data */
  note?(what: 'made' | 'extended'): void;
}

/** An impact-ordered list as kept between searches, with what tells whether and how it still holds. */
export interface KeptImpactList {
  list: ImpactList;
  /** the data it was last brought up to (`ImpactStore.basis`) */
  basis: object;
  /** every chunk then in the project had a rowid up to this one */
  upTo: number;
  /**
   * Some chunks at or below `upTo` then, highest first, by rowid and id: one still there with
   * the same id shows that no chunk written since has a rowid at or below it (a new chunk is
   * numbered after the highest one present, and a chunk's id is never written again at its rowid).
   */
  anchors: [number, string][];
  /** the collection its impacts were computed from */
  stats: CollectionStats;
  /**
   * FTS5 matches left out of it, having no term under the key (FTS5 stems its own way) when they
   * were read: what its length is compared with, less these, to tell how many of its entries are
   * deleted chunks (a deleted one of these makes it look like more, never fewer)
   */
  unkeyed: number;
}

/** The candidates of a search, and the rows of its chunks read so far (by rowid). */
export interface RecentSearch {
  candidates: Candidate[];
  rows: Map<number, ChunkRow & { rowid: number }>;
}

/** A query token as an FTS5 phrase, so that no token is read as query syntax. */
export const phrase = (token: string) => `"${token.replace(/"/g, '""')}"`;

/** A chunk as its row holds it: tags as JSON, no vector. */
export type ChunkRow = Omit<Chunk, 'tags' | 'vector'> & { tags: string };
