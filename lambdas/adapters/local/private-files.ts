import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';

/** Folders of the data directory: only the server's own user may list or enter them. */
export const DIR_MODE = 0o700;
/** Files of the data directory: only the server's own user may read or write them. */
export const FILE_MODE = 0o600;

/** Creates `path` (and its missing parents) as 0700, and narrows it to 0700 if it already existed. */
export function privateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: DIR_MODE });
  chmodSync(path, DIR_MODE);
}

/**
 * Opens a SQLite file of the data directory: created as 0600 before SQLite sees it (SQLite gives
 * its `-wal` and `-shm` files the database file's mode), with `secure_delete` on, so a deleted
 * row (a document's title, a project's name, a chunk's text) is overwritten with zeros in the
 * file instead of lingering in a free page or the free space of a page.
 */
export function openPrivateDatabase(file: string, opts: Database.Options = {}): Database.Database {
  if (!opts.fileMustExist && !opts.readonly) {
    closeSync(openSync(file, 'a', FILE_MODE));
    chmodSync(file, FILE_MODE); // a file from before this rule, made 0644
  }
  const db = new Database(file, opts);
  db.pragma('secure_delete = ON');
  return db;
}

/**
 * Opens an existing SQLite file of the data directory to read it, and nothing more: read-only,
 * no file made (its mode was set when it was), no setting changed. Each PRAGMA is a statement to
 * compile and run on a new connection, and `synchronous` also reads the schema before any
 * statement needs it; `secure_delete` concerns rows a connection deletes, and this one cannot.
 *
 * Read-only, its close neither checkpoints nor removes the `-wal` and `-shm`, even as the file's
 * last connection: the next opening finds them and uses them as they are, where creating both
 * anew (ext4 allocating two inodes next to ones just freed) and removing them again was the
 * largest single cost of reopening a project (docs/benchmarks.md, "Opening a project"). What it
 * leaves is an empty log, or one holding commits that a connection which may write copies into
 * the file later, and the log's 32 KB index. The first statement maps the index and reads the schema.
 */
export function openReadingDatabase(file: string): Database.Database {
  return new Database(file, { fileMustExist: true, readonly: true });
}

/** Whether a database's write-ahead log holds anything. */
export function hasLog(file: string): boolean {
  return (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0;
}

/**
 * Copies the write-ahead log into the database and empties it, without waiting: a connection of
 * another thread busy on the file leaves it as it is (the checkpoint reports busy), and it is
 * emptied when that connection closes.
 */
export function truncateWal(db: Database.Database) {
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // a file deleted meanwhile, or a log being read: left for the last connection's close
  }
}
