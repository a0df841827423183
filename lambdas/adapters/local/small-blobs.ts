import type Database from 'better-sqlite3';
import { type Blob, type Encoding, unpackSync } from './blob-encoding';

type Pending = { run: () => void; resolve: () => void; reject: (e: unknown) => void };

/**
 * A project's small blobs in one SQLite file (WAL), rather than a file each: creating a file
 * costs the kernel far more than a row costs SQLite, and a document is two small blobs. The puts
 * of one event-loop turn share a commit; each resolves once its row is committed.
 *
 * Rows live in `blob`, an ordinary (rowid) table: a row of up to about 4 KB stays on its page.
 * The first format, `blobs` (WITHOUT ROWID, bytes as they are), kept at most about 1 KB of a row
 * on its page and the rest on overflow pages of their own, mostly empty: 2.7 bytes of file per
 * byte of a typical abstract. A database of that format is still read; a put or delete of a key
 * removes its old row, and nothing new is written there.
 */
export class SmallBlobs {
  private pending: Pending[] = [];
  private readonly put: Database.Statement;
  private readonly get: Database.Statement;
  private readonly del: Database.Statement;
  /** the first format's table, when the file has one */
  private readonly legacy: { get: Database.Statement; del: Database.Statement } | null;

  constructor(readonly db: Database.Database) {
    // only a file without tables takes it (others would need a VACUUM): freed pages can be returned
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    // the log is checkpointed at 1 MB (not 4) and cut back to 1 MB after, so an open project's
    // `-wal` stays small; it is removed when the file is closed
    db.pragma('wal_autocheckpoint = 256');
    db.pragma(`journal_size_limit = ${1024 * 1024}`);
    db.exec(
      'CREATE TABLE IF NOT EXISTS blob (key TEXT PRIMARY KEY, content_type TEXT NOT NULL, encoding INTEGER NOT NULL, bytes BLOB NOT NULL)',
    );
    const hasLegacy = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blobs'").get();
    this.legacy = hasLegacy
      ? {
          get: db.prepare('SELECT content_type, 0 AS encoding, bytes FROM blobs WHERE key = ?'),
          del: db.prepare('DELETE FROM blobs WHERE key = ?'),
        }
      : null;
    this.put = db.prepare(
      'INSERT INTO blob (key, content_type, encoding, bytes) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET content_type = excluded.content_type, encoding = excluded.encoding, bytes = excluded.bytes',
    );
    this.get = db.prepare('SELECT content_type, encoding, bytes FROM blob WHERE key = ?');
    this.del = db.prepare('DELETE FROM blob WHERE key = ?');
  }

  write(key: string, encoding: Encoding, bytes: Buffer, contentType: string): Promise<void> {
    return this.defer(() => {
      this.put.run(key, contentType, encoding, bytes);
      this.legacy?.del.run(key);
    });
  }

  remove(key: string): Promise<boolean> {
    this.flush();
    const removed = this.db.transaction(() => {
      const here = this.del.run(key).changes > 0;
      const before = (this.legacy?.del.run(key).changes ?? 0) > 0;
      return here || before;
    })();
    return Promise.resolve(removed);
  }

  read(key: string): Blob | null {
    type Row = { content_type: string; encoding: number; bytes: Buffer };
    const row = (this.get.get(key) ?? this.legacy?.get.get(key)) as Row | undefined;
    return row ? { bytes: unpackSync(row.encoding, row.bytes), contentType: row.content_type } : null;
  }

  keys(): string[] {
    this.flush();
    const sql = this.legacy ? 'SELECT key FROM blob UNION SELECT key FROM blobs' : 'SELECT key FROM blob';
    return (this.db.prepare(sql).all() as { key: string }[]).map((r) => r.key);
  }

  private defer(run: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ run, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  flush(): void {
    if (this.pending.length === 0 || !this.db.open) return;
    const batch = this.pending;
    this.pending = [];
    const failed = new Map<Pending, unknown>();
    try {
      this.db.transaction(() => {
        for (const p of batch) {
          try {
            p.run();
          } catch (e) {
            if (!this.db.inTransaction) throw e; // the transaction is gone: none of them happened
            failed.set(p, e);
          }
        }
      })();
    } catch (e) {
      for (const p of batch) p.reject(e);
      return;
    }
    for (const p of batch) {
      if (failed.has(p)) p.reject(failed.get(p));
      else p.resolve();
    }
  }

  /**
   * Returns the free pages to the file system when they are more than a quarter of the file (and
   * over 256 KB), then closes; the last connection's close checkpoints and removes the `-wal`.
   * Files of the first format have no auto-vacuum: their free pages are reused by later puts.
   */
  close(): void {
    this.flush();
    if (!this.db.open) return;
    try {
      const free = this.db.pragma('freelist_count', { simple: true }) as number;
      const pages = this.db.pragma('page_count', { simple: true }) as number;
      if (free > 64 && free * 4 > pages) this.db.pragma('incremental_vacuum');
    } catch {
      // another connection is writing: the pages stay free for the next puts
    }
    this.db.close();
  }
}
