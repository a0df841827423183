import type Database from 'better-sqlite3';
import { storedTermCounts } from '../../core/chunk-terms';
import { type FeedbackParams, feedbackSearch } from '../../core/feedback';
import { type Candidate, type CollectionStats, type RankingParams, rankCandidates } from '../../core/rank';
import { indexKey } from '../../core/text';
import type { SearchRequest, SearchResult } from '../../ports';
import { impactCandidates } from './sqlite-impact-search';
import { stmt } from './sqlite-index-write';
import { type ChunkRow, phrase, type RecentSearch, type SearchState } from './sqlite-search-state';

export type {
  ChunkRow,
  ImpactStore,
  KeptImpactList,
  RecentSearch,
  SearchState,
} from './sqlite-search-state';

/**
 * How the embedded index searches one project's file: FTS5 finds the candidates, BM25F (core)
 * ranks them from the statistics stored at write time, and the best are read whole. In a project
 * of `impactOrderedFrom` chunks or more, the candidates come from impact-ordered lists instead
 * (sqlite-impact-search.ts).
 */

export function collectionStats(db: Database.Database): CollectionStats {
  const [n, lt, ls, lb] = stmt(db, 'SELECT chunks, len_title, len_section, len_body FROM collection WHERE id = 1')
    .raw()
    .get() as [number, number, number, number];
  return { chunks: n, avgLength: n > 0 ? [lt / n, ls / n, lb / n] : [0, 0, 0] };
}

/** How many rows the statement reading a search's hits asks for (see `searchChunks`): 4 statements a connection at most. */
const ROW_READ_SIZES = [10, 25, 50, 100];

/**
 * Runs `read` in one read transaction of `db` (see SqliteProjectIndex.search) through the
 * connection's own cached BEGIN and COMMIT: better-sqlite3's `db.transaction()` compiles nine
 * statements on a connection's first use and builds a wrapper on every call.
 */
export function inReadTransaction<T>(db: Database.Database, read: () => T): T {
  if (db.inTransaction) return read();
  stmt(db, 'BEGIN').run();
  try {
    return read();
  } finally {
    // a read transaction: ending it keeps or undoes nothing (an error may have ended it already)
    if (db.inTransaction) stmt(db, 'COMMIT').run();
  }
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
    // compiled once per connection for each of a few sizes, the list filled up with its first rowid
    const ids = unread.map((r) => r.chunk);
    const size = ROW_READ_SIZES.find((n) => n >= ids.length) ?? ids.length;
    while (ids.length < size) ids.push(ids[0]);
    const read = stmt(
      db,
      `SELECT rowid, id, document_id, ordinal, title, section, page, text, url, tags FROM chunks
         WHERE rowid IN (${ids.map(() => '?').join(',')})`,
    ).all(...ids) as (ChunkRow & { rowid: number })[];
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

/**
 * A search with feedback (core/feedback.ts `feedbackSearch`) through one connection, every step
 * in the caller's read transaction: the term counts of the first search's best hits are read
 * back from the statistics stored at write time.
 */
export function searchChunksWithFeedback(
  state: SearchState,
  req: SearchRequest,
  ranking: RankingParams,
  feedback: FeedbackParams,
): SearchResult {
  const steps = feedbackSearch(req, feedback, true);
  for (let step = steps.next(); ; ) {
    if (step.done) return step.value;
    const ask = step.value;
    step = steps.next(
      'search' in ask ? searchChunks(state, ask.search, ranking) : chunkTermCounts(state.db, ask.termCounts),
    );
  }
}

/**
 * A search, with feedback when `feedback` is given, in one read transaction of the state's
 * connection: the write thread commits on its own connection, and without it a commit could land
 * between two of the search's statements (candidates from before a document was replaced, its
 * rows from after).
 */
export function searchInReadTransaction(
  state: SearchState,
  req: SearchRequest,
  ranking: RankingParams,
  feedback?: FeedbackParams,
): SearchResult {
  return inReadTransaction(state.db, () =>
    feedback ? searchChunksWithFeedback(state, req, ranking, feedback) : searchChunks(state, req, ranking),
  );
}

/** The term counts of chunks, by id, read back from the statistics the ranking reads (chunk-terms.ts encodeTerms), not from the text. */
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
