import type Database from 'better-sqlite3';
import { openPrivateDatabase, truncateWal } from './private-files';
import { stmt } from './sqlite-index-write';

/** Pages of the full-text index merged in one step of a tidy-up (a few milliseconds each). */
const TIDY_PAGES = 100;

/** What tidying a project's index needs of the embedded index (sqlite-index.ts). */
export interface TidyHost {
  /** whether a write of the project is running or waiting */
  writing(projectId: string): boolean;
  closed(): boolean;
  exists(projectId: string): boolean;
  /** runs `work` after the project's earlier writes, alone, without scheduling another tidy-up */
  after<T>(projectId: string, work: () => T): Promise<T>;
  /** the project's write connection on this thread, opened if need be */
  writer(projectId: string): Database.Database;
  /** takes the project's write connection out of the index, when it has one */
  takeWriter(projectId: string): Database.Database | undefined;
}

/**
 * Merges the project's full-text index segments, a little at a time with the event loop free in
 * between, until they are one (or a write arrives, which schedules another tidy-up). Every write
 * adds a segment and FTS5 merges them only in part, so a project written one document at a time
 * searches through many; merged, each search reads fewer pages. Uses the project's writer
 * connection on this thread; a closed index or a deleted project is left alone. Resolves to the
 * number of merge steps that did work.
 */
export async function mergeSegments(host: TidyHost, projectId: string): Promise<number> {
  let steps = 0;
  for (let i = 0; i < 10_000; i++) {
    if (host.writing(projectId)) return steps;
    const worked = await host.after(projectId, () => {
      if (host.closed() || !host.exists(projectId)) return false;
      const db = host.writer(projectId);
      const changes = stmt(db, 'SELECT total_changes()').pluck();
      const before = changes.get() as number;
      stmt(db, `INSERT INTO chunks_fts (chunks_fts, rank) VALUES ('merge', -${TIDY_PAGES})`).run();
      return (changes.get() as number) - before >= 2;
    });
    if (!worked) return steps;
    steps++;
    await new Promise((r) => setImmediate(r));
  }
  return steps;
}

/**
 * Once a project's writes are over and its index tidied: its write-ahead log is copied into the
 * file and emptied, and its write connection closed (the next write opens it again). Left for
 * later when another write has come in.
 */
export async function rest(host: TidyHost, projectId: string): Promise<void> {
  if (host.writing(projectId) || host.closed()) return;
  await host.after(projectId, () => {
    const writer = host.takeWriter(projectId);
    if (!writer?.open) return;
    truncateWal(writer);
    writer.close();
  });
}

/**
 * Copies a project's log into its file and empties it, through a connection that may write: its
 * reading connection when that one was opened to make or upgrade the file, else its writer, else
 * one opened for the purpose (a read-only connection cannot checkpoint).
 */
export function emptyLog(file: string, reader: Database.Database, writer: Database.Database | undefined): void {
  if (!reader.readonly || writer?.open) {
    truncateWal(reader.readonly ? (writer as Database.Database) : reader);
    return;
  }
  const db = openPrivateDatabase(file, { fileMustExist: true });
  try {
    truncateWal(db);
  } finally {
    db.close();
  }
}
