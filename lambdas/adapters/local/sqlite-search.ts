import type Database from 'better-sqlite3';
import { extendImpactList, type ImpactList, ImpactScratch, impactList, topByImpact } from '../../core/impact';
import type { Chunk } from '../../core/model';
import {
  type Candidate,
  type CollectionStats,
  type RankingParams,
  rankCandidates,
  storedTermCounts,
  termImpacts,
  termWeight,
} from '../../core/rank';
import { indexKey } from '../../core/text';
import type { SearchRequest, SearchResult } from '../../ports';
import { stmt } from './sqlite-index-write';

/**
 * How the embedded index searches one project's file: FTS5 finds the candidates, BM25F (core)
 * ranks them from the statistics stored at write time, and the best are read whole. In a project
 * of `impactOrderedFrom` chunks or more, the candidates are instead the chunks with the highest
 * BM25F score over the query's own terms, from one impact-ordered list per term (core/impact.ts),
 * made on first use from the term's FTS5 matches and their stored statistics and kept
 * (sqlite-search-cache.ts). A list outlives writes to the project: the next search that needs it
 * adds the chunks written since (FTS5 matches above the rowids it has seen) and passes over
 * the deleted ones; it is made afresh once the collection has grown or shrunk by more than a
 * tenth since its impacts were computed, once more than a tenth of its entries are deleted
 * chunks, or when the rowids it has seen may have been given to new chunks.
 */

/** How far the collection's size and average field lengths may move before a list is made afresh. */
export const IMPACT_DRIFT = 0.1;

/** The share of a list's entries that may be deleted chunks before it is made afresh. */
export const IMPACT_STALE = 0.1;

/** What a search reads: the project's reading connection and what earlier searches of the same data found. */
export interface SearchState {
  db: Database.Database;
  /** how many chunks match each phrase, as far as it has been counted */
  counts: Map<string, number>;
  /**
   * A recent search with the same query over the same data, or a new one with the candidates
   * `read` finds: a search with feedback asks twice in a row for the same ones.
   */
  recent(query: string, read: () => Candidate[]): RecentSearch;
  /** impact-ordered lists made by earlier searches of the same data, and where to keep new ones */
  impacts?: ImpactStore;
}

/** Impact-ordered lists of one project, by name, and the work space that sums them. */
export interface ImpactStore {
  /** a list kept, made from this data or earlier data of the same project */
  get(name: string): KeptImpactList | undefined;
  set(name: string, list: KeptImpactList): void;
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
const phrase = (token: string) => `"${token.replace(/"/g, '""')}"`;

/** A chunk as its row holds it: tags as JSON, no vector. */
export type ChunkRow = Omit<Chunk, 'tags' | 'vector'> & { tags: string };

export function collectionStats(db: Database.Database): CollectionStats {
  const [n, lt, ls, lb] = stmt(db, 'SELECT chunks, len_title, len_section, len_body FROM collection WHERE id = 1')
    .raw()
    .get() as [number, number, number, number];
  return { chunks: n, avgLength: n > 0 ? [lt / n, ls / n, lb / n] : [0, 0, 0] };
}

/**
 * Chunks matching any of the query's terms, ranked by BM25F over the query's terms and its
 * expansion (which weighs in the ranking but matches nothing by itself).
 */
export function searchChunks(state: SearchState, req: SearchRequest, ranking: RankingParams): SearchResult {
  const { db } = state;
  const stats = collectionStats(db);
  const chunkCount = stats.chunks;
  // counted with the same tokenizer as the candidate search: FTS5 folds diacritics and stems
  // its own way, and the query's stems ('café' vs 'cafe') need not equal its terms
  const documentFrequency: Record<string, number> = {};
  const countStatement = stmt(db, 'SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?').pluck();
  const countMatches = (query: string): number => {
    let n = state.counts.get(query);
    if (n === undefined) {
      n = countStatement.get(query) as number;
      state.counts.set(query, n);
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

  const filtered = Boolean(req.filter?.document_ids?.length || req.filter?.tags?.length);
  const limit = Math.max(req.topK, ranking.candidates);
  const { candidates, rows } =
    !filtered && ranking.impactOrderedFrom !== undefined && chunkCount >= ranking.impactOrderedFrom
      ? impactCandidates(state, req, [...query.values()], stats, ranking, limit, countMatches)
      : ftsCandidates(state, req, ranking, limit);
  const weighted = [...query.values()];
  for (const { key, weight } of req.expansion ?? []) weighted.push({ key, weight, df: countMatches(phrase(key)) });
  const top = rankCandidates(weighted, candidates, stats, ranking).slice(0, req.topK);
  if (top.length === 0) return { hits: [], chunkCount, documentFrequency };
  const unread = top.filter((r) => !rows.has(r.chunk));
  if (unread.length > 0) {
    const read = db
      .prepare(
        `SELECT rowid, id, document_id, ordinal, title, section, page, text, url, tags FROM chunks
         WHERE rowid IN (${unread.map(() => '?').join(',')})`,
      )
      .all(...unread.map((r) => r.chunk)) as (ChunkRow & { rowid: number })[];
    for (const row of read) rows.set(row.rowid, row);
  }
  const hits = top.flatMap(({ chunk, score }) => {
    const row = rows.get(chunk);
    if (!row) return [];
    const { rowid: _, tags, ...c } = row;
    return [{ ...c, tags: JSON.parse(tags) as string[], score }];
  });
  return { hits, chunkCount, documentFrequency };
}

/** The term counts of chunks, by id, read back from the statistics the ranking reads (rank.ts encodeTerms), not from the text. */
export function chunkTermCounts(db: Database.Database, chunkIds: string[]): (Map<string, number> | null)[] {
  if (chunkIds.length === 0) return [];
  const rows = stmt(
    db,
    `SELECT c.id, t.terms, t.keys FROM chunks c JOIN chunk_terms t ON t.rowid = c.rowid
     WHERE c.id IN (${chunkIds.map(() => '?').join(',')})`,
  )
    .raw()
    .all(...chunkIds) as [string, Buffer, string][];
  const byId = new Map(rows.map(([id, terms, keys]) => [id, storedTermCounts(terms, keys)]));
  return chunkIds.map((id) => byId.get(id) ?? null);
}

/** The candidates by FTS5's own bm25 over its inverted index (limited before anything is joined). */
function ftsCandidates(state: SearchState, req: SearchRequest, ranking: RankingParams, limit: number): RecentSearch {
  const { db } = state;
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
  params.push(limit);
  // candidates: FTS5's own bm25 over its inverted index (limited before anything is joined),
  // then BM25F from the stored statistics
  const sql = `SELECT t.rowid, t.len_title, t.len_section, t.len_body, t.terms
       FROM (SELECT rowid, bm25(chunks_fts, ${f.title.weight}, ${f.section.weight}, ${f.body.weight}) AS r
             FROM chunks_fts WHERE chunks_fts MATCH ?${where} ORDER BY r LIMIT ?) f
       JOIN chunk_terms t ON t.rowid = f.rowid`;
  return state.recent(`${sql}\n${JSON.stringify(params)}`, () =>
    (
      stmt(db, sql)
        .raw()
        .all(...params) as [number, number, number, number, Buffer][]
    ).map(([chunk, lt, ls, lb, terms]): Candidate => ({ chunk, lengths: [lt, ls, lb], terms })),
  );
}

/**
 * The candidates by BM25F over the query's own terms: the `limit` chunks with the highest sum of
 * IDF × impact over their impact-ordered lists (each term's list made from its FTS5 matches on
 * first use, brought forward after writes). `query` holds each term's key and its FTS5 count
 * (its IDF, as `rankCandidates` weighs it); `countMatches` counts an FTS5 query's matches.
 */
function impactCandidates(
  state: SearchState,
  req: SearchRequest,
  query: { key: string; df: number; weight: number }[],
  stats: CollectionStats,
  ranking: RankingParams,
  limit: number,
  countMatches: (match: string) => number,
): RecentSearch {
  const { db } = state;
  const f = ranking.fields;
  const setting = JSON.stringify([ranking.k1, f.title, f.section, f.body]);
  const key = `impact\n${setting}\n${limit}\n${JSON.stringify(query)}`;
  return state.recent(key, () => {
    let stale = 0;
    const terms = query.map((t) => {
      // every token of the query indexed under the key: its FTS5 matches are where the key can be
      const tokens = [...new Set(req.terms.filter((q) => indexKey(q.token) === t.key).map((q) => phrase(q.token)))];
      const match = tokens.join(' OR ');
      const current = currentList(state, `${match}\n${setting}`, match, t.key, stats, ranking, countMatches);
      stale += current.stale;
      return { list: current.list, weight: termWeight(t, stats) };
    });
    const scratch = state.impacts?.scratch ?? new ImpactScratch();
    // a deleted chunk still in a list may take a place among the best: a few more are asked for
    let k = limit + Math.min(stale, limit);
    for (;;) {
      const top = topByImpact(terms, k, scratch);
      if (top.length === 0) return [];
      const rows = new Map(
        (
          stmt(
            db,
            `SELECT rowid, len_title, len_section, len_body, terms FROM chunk_terms
             WHERE rowid IN (SELECT value FROM json_each(?))`,
          )
            .raw()
            .all(JSON.stringify(top.map((c) => c.chunk))) as [number, number, number, number, Buffer][]
        ).map((r) => [r[0], r]),
      );
      if (rows.size < Math.min(limit, top.length) && top.length === k && k < limit + stale) {
        k = limit + stale; // more of the best were deleted than asked for over: all of them
        continue;
      }
      const candidates: Candidate[] = [];
      for (const { chunk } of top) {
        const row = rows.get(chunk);
        if (!row) continue;
        candidates.push({ chunk, lengths: [row[1], row[2], row[3]], terms: row[4] });
        if (candidates.length === limit) break;
      }
      return candidates;
    }
  });
}

/**
 * The impact-ordered list of the chunks matching `match` (the query tokens indexed under `key`)
 * as the data now is: the one kept when it holds, brought forward when the project has changed
 * since (the chunks above the highest rowid known unchanged read again from FTS5 and merged in),
 * made afresh when its impacts are too old, too many of its chunks are deleted, or nothing tells
 * which rowids are unchanged.
 */
function currentList(
  state: SearchState,
  name: string,
  match: string,
  key: string,
  stats: CollectionStats,
  ranking: RankingParams,
  countMatches: (match: string) => number,
): { list: ImpactList; stale: number } {
  const { db, impacts: store } = state;
  /** how many of the list's entries are (at most) deleted chunks */
  const staleIn = (list: ImpactList, unkeyed: number) =>
    Math.max(0, list.chunks.length - (countMatches(match) - unkeyed));
  const kept = store?.get(name);
  if (kept && kept.basis === store?.basis) return { list: kept.list, stale: staleIn(kept.list, kept.unkeyed) };
  const read = (above: number): { list: ImpactList; unkeyed: number } => {
    const found = stmt(
      db,
      `SELECT rowid, len_title, len_section, len_body, terms FROM chunk_terms
       WHERE rowid IN (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? AND rowid > ?)`,
    )
      .raw()
      .all(match, above) as [number, number, number, number, Buffer][];
    const { chunks, impacts } = termImpacts(key, asCandidates(found), stats, ranking);
    return { list: impactList(chunks, impacts), unkeyed: found.length - chunks.length };
  };
  const now = dataMarks(state);
  let made: { list: ImpactList; unkeyed: number; stale: number } | undefined;
  let from = stats;
  if (kept && !drifted(kept.stats, stats)) {
    const floor = unchangedUpTo(db, kept);
    if (floor !== undefined) {
      const above = read(floor);
      const list = extendImpactList(kept.list, floor, above.list);
      const unkeyed = kept.unkeyed + above.unkeyed;
      const stale = staleIn(list, unkeyed);
      if (stale <= IMPACT_STALE * list.chunks.length) {
        made = { list, unkeyed, stale };
        from = kept.stats;
        store?.note?.('extended');
      }
    }
  }
  if (!made) {
    const fresh = read(0);
    made = { ...fresh, stale: staleIn(fresh.list, fresh.unkeyed) };
    store?.note?.('made');
  }
  const { list, unkeyed } = made;
  if (store) store.set(name, { list, basis: store.basis, upTo: now.upTo, anchors: now.anchors, stats: from, unkeyed });
  return { list, stale: made.stale };
}

/** Whether the collection has moved by more than `IMPACT_DRIFT` from `then`, in size or in any field's average length. */
function drifted(then: CollectionStats, now: CollectionStats): boolean {
  const moved = (a: number, b: number) => Math.abs(b - a) > IMPACT_DRIFT * Math.max(a, b);
  return moved(then.chunks, now.chunks) || then.avgLength.some((a, i) => moved(a, now.avgLength[i]));
}

/** The highest rowid up to which no chunk has been written since `kept` was last brought forward, if one is known. */
function unchangedUpTo(db: Database.Database, kept: KeptImpactList): number | undefined {
  if (kept.anchors.length === 0) return 0; // the project was empty: every chunk is new
  const idAt = stmt(db, 'SELECT id FROM chunks WHERE rowid = ?').pluck();
  for (const [rowid, id] of kept.anchors) if (idAt.get(rowid) === id) return rowid;
  return undefined;
}

/** The highest rowid of the data a search reads, and its anchors (`KeptImpactList.anchors`), taken once per data. */
const marks = new WeakMap<object, { upTo: number; anchors: [number, string][] }>();

function dataMarks(state: SearchState): { upTo: number; anchors: [number, string][] } {
  const basis = state.impacts?.basis;
  const known = basis && marks.get(basis);
  if (known) return known;
  const below = stmt(state.db, 'SELECT rowid, id FROM chunks WHERE rowid <= ? ORDER BY rowid DESC LIMIT 1').raw();
  const anchors: [number, string][] = [];
  const top = below.get(Number.MAX_SAFE_INTEGER) as [number, string] | undefined;
  // the highest chunk, and the highest below it at distances growing fourfold: a deletion of the
  // latest documents leaves one of them, and only the chunks above it are read again
  for (let step = 1, at = top; at; step *= 4) {
    anchors.push(at);
    if (at[0] - step < 1) break;
    at = below.get(at[0] - step) as [number, string] | undefined;
  }
  const found = { upTo: top?.[0] ?? 0, anchors };
  if (basis) marks.set(basis, found);
  return found;
}

/** Rows of chunk_terms as candidates, one at a time. */
function* asCandidates(rows: [number, number, number, number, Buffer][]): Generator<Candidate> {
  for (const [chunk, lt, ls, lb, terms] of rows) yield { chunk, lengths: [lt, ls, lb], terms };
}
