import type Database from 'better-sqlite3';

/** Rows kept at most; past it the cache starts again empty. */
const MAX_ROWS = 10_000;

/**
 * The rows every request reads before anything else — its key by hash, its company, its
 * project — kept as their JSON text, so a request costs no statement for them (each statement
 * outside a transaction takes SQLite's locks on the log, several µs). A caller parses the text
 * again each time, so no two callers share an object.
 *
 * Only what is found is kept, never an absence. A row is forgotten by the write that changes it
 * through this connection (the store calls `forget` or `clear` in the same synchronous step as
 * the statement), and everything is forgotten, once per turn of the event loop at most, when
 * another connection has committed to the file since (`PRAGMA data_version`: another process,
 * say `oprag admin`, or another connection of this one).
 */
export class RowCache {
  private readonly rows = new Map<string, string>();
  private readonly version: Database.Statement;
  private seen: number | null = null;
  private checked = false;

  constructor(db: Database.Database) {
    this.version = db.prepare('PRAGMA data_version').pluck();
  }

  /** The row's JSON text under `key`: kept, or read now (and kept when there is one). */
  get(key: string, read: () => string | undefined): string | undefined {
    this.checkVersion();
    const kept = this.rows.get(key);
    if (kept !== undefined) return kept;
    const row = read();
    if (row === undefined) return undefined;
    if (this.rows.size >= MAX_ROWS) this.rows.clear();
    this.rows.set(key, row);
    return row;
  }

  forget(key: string): void {
    this.rows.delete(key);
  }

  clear(): void {
    this.rows.clear();
  }

  private checkVersion() {
    if (this.checked) return;
    this.checked = true;
    setImmediate(() => {
      this.checked = false;
    });
    const version = this.version.get() as number;
    if (version !== this.seen) this.rows.clear();
    this.seen = version;
  }
}
