import type Database from 'better-sqlite3';
import { openPrivateDatabase, truncateWal } from './private-files';

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
  /** one merge step of at most `pages` pages of the project's full-text index, on the write thread: whether it merged anything */
  mergeStep(projectId: string, pages: number): Promise<boolean>;
  /** the write thread's connection to the project's file: its log emptied, then closed */
  restWrites(projectId: string): Promise<void>;
  /** takes the project's write connection out of the index, when it has one */
  takeWriter(projectId: string): Database.Database | undefined;
}

/**
 * Merges the project's full-text index segments, a little at a time with the project's writes
 * free to come in between, until they are one (or a write arrives, which schedules another
 * tidy-up). Every write adds a segment and FTS5 merges them only in part, so a project written
 * one document at a time searches through many; merged, each search reads fewer pages. The steps
 * run on the write thread, where the project's batches are written: a tidy-up of one project
 * costs the event loop nothing while it serves others. A closed index or a deleted project is
 * left alone. Resolves to the number of merge steps that did work.
 */
export async function mergeSegments(host: TidyHost, projectId: string): Promise<number> {
  let steps = 0;
  for (let i = 0; i < 10_000; i++) {
    if (host.writing(projectId)) return steps;
    const worked = await host.after(projectId, async () => {
      if (host.closed() || !host.exists(projectId)) return false;
      return host.mergeStep(projectId, TIDY_PAGES).catch(() => false); // a file deleted meanwhile
    });
    if (!worked) return steps;
    steps++;
  }
  return steps;
}

/**
 * Once a project's writes are over and its index tidied: its write-ahead log is copied into the
 * file and emptied, and its write connections (the write thread's, and this thread's if it has
 * one) closed (the next write opens them again). Left for later when another write has come in.
 */
export async function rest(host: TidyHost, projectId: string): Promise<void> {
  if (host.writing(projectId) || host.closed()) return;
  await host.after(projectId, async () => {
    await host.restWrites(projectId);
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
