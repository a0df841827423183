/**
 * The body of a read thread (read-pool.ts): searches projects' index files through connections of
 * its own, reads back term statistics, and composes extractive answers. Every request and reply is
 * plain data. A separate entry file, loaded by the pool as TypeScript through tsx or as built
 * JavaScript.
 *
 * The thread is given one directory when it starts and opens only `<dir>/<project id>.db` for an
 * id that passes `isId('project', …)`: no request carries a path, so no request can name another
 * file, whatever it holds.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { extractiveAnswer } from '../../core/compose';
import type { FeedbackParams } from '../../core/feedback';
import { isId } from '../../core/ids';
import type { RankingParams } from '../../core/rank';
import type { GeneratorInput, SearchRequest, SearchResult } from '../../ports';
import { openReadingDatabase } from './private-files';
import { chunkTermCounts, searchInReadTransaction } from './sqlite-search';
import { impactEntries, SearchStateCache, type SharedList } from './sqlite-search-cache';

export interface ReadThreadData {
  role: typeof READ_THREAD_ROLE;
  /** the folder of the project files (SqliteSearchIndex's `dir`) */
  dir: string;
  /** connections kept open, the least recently used closed past it */
  maxOpen: number;
}

export const READ_THREAD_ROLE = 'oprag-read-thread';

export type ReadRequest =
  | {
      id: number;
      kind: 'search';
      projectId: string;
      generation: number;
      req: SearchRequest;
      ranking: RankingParams;
      /** given: the whole search with feedback (sqlite-search.ts searchInReadTransaction) */
      feedback?: FeedbackParams;
    }
  | { id: number; kind: 'terms'; projectId: string; chunkIds: string[] }
  | { id: number; kind: 'answer'; input: GeneratorInput }
  /** closes the project's connection and forgets what was remembered of it (its file is deleted) */
  | { id: number; kind: 'forget'; projectId: string }
  /** closes every connection; the thread is then stopped */
  | { id: number; kind: 'close' }
  /** a list another thread made, to keep as this one's own (no reply) */
  | { id: number; kind: 'adopt'; list: SharedList };

/** What a request gets back: a search's result, term counts (Maps clone as they are), an answer's text. */
export type ReadResult = SearchResult | (Map<string, number> | null)[] | string | null;

export type ReadReply =
  | { id: number; ok: ReadResult }
  | { id: number; error: { name: string; message: string; code?: string } }
  /** not a reply: a list this thread made afresh, for the pool to hand to the other threads */
  | { shared: SharedList };

/** The file of a project, for a valid project id only. */
export function projectFile(dir: string, projectId: unknown): string {
  if (!isId('project', projectId)) throw new Error('invalid project id for the index');
  return join(dir, `${projectId}.db`);
}

/** The thread's side: its connections, what its searches remember, and the requests' answers. */
export function serveReads(data: ReadThreadData, port: NonNullable<typeof parentPort>): void {
  const open = new Map<string, Database.Database>();
  const generations = new Map<string, number>();
  // the lists this thread makes go to the others (the pool forwards them), in memory they share
  const searches = new SearchStateCache(
    (projectId) => projectFile(data.dir, projectId),
    impactEntries(),
    (shared) => port.postMessage({ shared } satisfies ReadReply),
  );

  const connection = (projectId: string): Database.Database => {
    const file = projectFile(data.dir, projectId);
    let db = open.get(projectId);
    if (db?.open) {
      open.delete(projectId);
      open.set(projectId, db); // most recently used last
      return db;
    }
    // the main thread has created the file and its schema; a file deleted since stays deleted.
    // Read-only: no write is possible, and its close leaves the log for the main thread's
    // connections to empty. Nothing read waits for a lock (readers never do under WAL but for a
    // moment during a log's recovery: better-sqlite3's default busy timeout, 5 s, covers it)
    db = openReadingDatabase(file);
    open.set(projectId, db);
    if (open.size > data.maxOpen) {
      const [oldest, handle] = open.entries().next().value as [string, Database.Database];
      open.delete(oldest);
      handle.close();
    }
    return db;
  };

  const forget = (projectId: string) => {
    open.get(projectId)?.close();
    open.delete(projectId);
    generations.delete(projectId);
    searches.forget(projectId);
  };

  const handle = (r: Exclude<ReadRequest, { kind: 'adopt' }>): ReadResult => {
    switch (r.kind) {
      case 'search': {
        const db = connection(r.projectId);
        // a write started or ended since this thread last searched the project: what it
        // remembered of the project may belong to the data before it (its impact-ordered lists
        // are kept, and brought forward by the search that next needs them)
        if (generations.get(r.projectId) !== r.generation) {
          searches.setAside(r.projectId);
          generations.set(r.projectId, r.generation);
        }
        const state = searches.state(r.projectId, db, r.generation);
        return searchInReadTransaction(state, r.req, r.ranking, r.feedback);
      }
      case 'terms': {
        return chunkTermCounts(connection(r.projectId), r.chunkIds);
      }
      case 'answer':
        return extractiveAnswer(r.input);
      case 'forget':
        forget(r.projectId);
        return null;
      case 'close':
        for (const projectId of [...open.keys()]) forget(projectId);
        return null;
    }
  };

  port.on('message', (r: ReadRequest) => {
    if (r.kind === 'adopt') {
      // no reply: the pool waits for none. Only for a project whose file is there (one deleted
      // since the list was made stays forgotten); a list not adopted is made again when needed
      try {
        if (existsSync(projectFile(data.dir, r.list.projectId))) searches.adopt(r.list);
      } catch {}
      return;
    }
    let reply: ReadReply;
    try {
      reply = { id: r.id, ok: handle(r) };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      const code = (e as { code?: unknown })?.code;
      reply = {
        id: r.id,
        error: { name: err.name, message: err.message, code: code === undefined ? undefined : String(code) },
      };
    }
    port.postMessage(reply);
  });
}

if (parentPort && (workerData as ReadThreadData | null)?.role === READ_THREAD_ROLE) {
  serveReads(workerData as ReadThreadData, parentPort);
}
