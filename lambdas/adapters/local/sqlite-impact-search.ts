import type Database from 'better-sqlite3';
import { extendImpactList, type ImpactList, ImpactScratch, impactList, topByImpact } from '../../core/impact';
import { type Candidate, type CollectionStats, type RankingParams, termImpacts, termWeight } from '../../core/rank';
import { indexKey } from '../../core/text';
import type { SearchRequest } from '../../ports';
import { stmt } from './sqlite-index-write';
import { type KeptImpactList, phrase, type RecentSearch, type SearchState } from './sqlite-search-state';

/**
 * The candidates of a search in a large project (sqlite-search.ts): the chunks with the highest
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

/**
 * The candidates by BM25F over the query's own terms: the `limit` chunks with the highest sum of
 * IDF × impact over their impact-ordered lists (each term's list made from its FTS5 matches on
 * first use, brought forward after writes). `query` holds each term's key and its FTS5 count
 * (its IDF, as `rankCandidates` weighs it); `countMatches` counts an FTS5 query's matches.
 */
export function impactCandidates(
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
  const fresh = !made;
  if (!made) {
    const all = read(0);
    made = { ...all, stale: staleIn(all.list, all.unkeyed) };
    store?.note?.('made');
  }
  const { unkeyed } = made;
  const keep = {
    list: made.list,
    basis: store?.basis ?? {},
    upTo: now.upTo,
    anchors: now.anchors,
    stats: from,
    unkeyed,
  };
  store?.set(name, keep, fresh);
  return { list: keep.list, stale: made.stale };
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
