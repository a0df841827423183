/**
 * The baseline of the scale bench's big tenant (bench-scale.ts): bare SQLite FTS5 in this process
 * (better-sqlite3, a temporary database) over the same documents' texts, inserted in one
 * transaction, then searched with each question the way Oprag searches (no stop words, the words
 * OR-joined as quoted phrases, top 10 by bm25), one at a time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { queryTerms } from '../lambdas/core/text';
import { type Latency, latency } from './latency';
import type { BigDoc } from './scale-big-tenant';

export interface Fts5Figures {
  ingestSeconds: number;
  ingestDocsPerSecond: number;
  search: Latency;
}

/**
 * An FTS5 query for a question: the words Oprag searches for (core/text.ts queryTerms: no stop
 * words), each a quoted phrase, OR-joined — the same query the project's own FTS5 index is given.
 */
export const ftsQuery = (question: string) =>
  [...new Set(queryTerms(question).map((t) => t.token))].map((w) => `"${w.replace(/"/g, '""')}"`).join(' OR ');

/**
 * Bare SQLite FTS5 in this process over the same texts: inserted in one transaction (timed), then
 * the first 100 questions untimed, then each question timed, one at a time, top 10 by bm25.
 */
export function fts5Baseline(docs: BigDoc[], questions: string[]): Fts5Figures {
  const dir = mkdtempSync(join(tmpdir(), 'oprag-scale-fts5-'));
  const db = new Database(join(dir, 'fts5.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.exec("CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='porter unicode61')");
    const insert = db.prepare('INSERT INTO t (title, body) VALUES (?, ?)');
    const t0 = performance.now();
    db.transaction(() => {
      for (const d of docs) insert.run(d.title, d.text);
    })();
    const ingestSeconds = (performance.now() - t0) / 1000;
    const search = db.prepare('SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT 10');
    const queries = questions.map(ftsQuery).filter(Boolean);
    for (const query of queries.slice(0, 100)) search.all(query);
    const latencies: number[] = [];
    const s0 = performance.now();
    for (const query of queries) {
      const start = performance.now();
      search.all(query);
      latencies.push(performance.now() - start);
    }
    const seconds = (performance.now() - s0) / 1000;
    return { ingestSeconds, ingestDocsPerSecond: docs.length / ingestSeconds, search: latency(latencies, seconds) };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
