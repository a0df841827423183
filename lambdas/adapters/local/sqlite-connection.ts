import type Database from 'better-sqlite3';
import type { Page } from '../../ports';
import { RowCache } from './sqlite-row-cache';

/** Records are kept as JSON in a `data` column: one row's, all of them, or a page (cursor: the last id). */
export type Row = { data: string };
export const parse = <T>(row: Row | undefined): T | null => (row ? (JSON.parse(row.data) as T) : null);
export const parseAll = <T>(rows: Row[]): T[] => rows.map((r) => JSON.parse(r.data) as T);

export function page<T extends { id: string }>(rows: Row[], limit: number): Page<T> {
  const items = parseAll<T>(rows.slice(0, limit));
  return { items, next_cursor: rows.length > limit ? items[items.length - 1].id : null };
}

type Deferred = { write: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void };

/**
 * The connection's prepared statements, compiled once and reused (preparing costs more than
 * running), and its group commit: the frequent small writes of concurrent calls (documents,
 * audit events, usage and rate counters) made in one turn of the event loop are committed
 * together at its end, one transaction instead of one each. Each write is one statement (which
 * SQLite undoes by itself when it fails) or a transaction of its own (nested: a savepoint), so
 * one that fails is undone alone and only its caller sees the error; a caller's promise resolves
 * only once its write is committed, so nothing is answered before it is durable.
 */
export class Connection {
  private readonly cache = new Map<string, Database.Statement>();
  private pending: Deferred[] = [];
  /** the rows every request reads (keys, companies, projects), kept between writes that change them */
  readonly rows: RowCache;

  constructor(readonly db: Database.Database) {
    this.rows = new RowCache(db);
  }

  get(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  /** Runs the write with the others of this turn; resolves to its result once committed. */
  defer<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ write, resolve: resolve as (v: unknown) => void, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Commits the writes waiting for the end of the turn; other writes call it first, to keep order. */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 1) {
      const [w] = batch;
      let value: unknown;
      try {
        value = w.write();
      } catch (e) {
        w.reject(e);
        return;
      }
      w.resolve(value);
      return;
    }
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.db.transaction(() => {
        for (const w of batch) {
          try {
            outcomes.push({ ok: true, value: w.write() });
          } catch (e) {
            // a failed statement is undone by itself; an error that ended the transaction ends the batch
            if (!this.db.inTransaction) throw e;
            outcomes.push({ ok: false, value: e });
          }
        }
      })();
    } catch (e) {
      for (const w of batch) w.reject(e); // the commit itself failed: none of them happened
      return;
    }
    for (const [i, w] of batch.entries()) {
      if (outcomes[i].ok) w.resolve(outcomes[i].value);
      else w.reject(outcomes[i].value);
    }
  }
}
