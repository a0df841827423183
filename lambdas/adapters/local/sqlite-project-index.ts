import type Database from 'better-sqlite3';
import type { FeedbackParams } from '../../core/feedback';
import type { Chunk } from '../../core/model';
import type { RankingParams } from '../../core/rank';
import type { ChunkLabels, ProjectIndex, SearchRequest, SearchResult } from '../../ports';
import type { ReadPool } from './read-pool';
import { type ChunkWrite, indexText, lastRowid, stmt, writeDocument } from './sqlite-index-write';
import { chunkTermCounts, type SearchState, searchInReadTransaction } from './sqlite-search';
import type { WriteThread } from './sqlite-write-thread';

/** Chunks written between two turns of the event loop when a large document is indexed. */
const WRITE_SLICE = 256;

/** What a project's handle uses of the index that holds the files (SqliteSearchIndex). */
export interface IndexFiles {
  ranking: RankingParams;
  readonly writeThread: WriteThread;
  file(projectId: string): string;
  db(projectId: string): Database.Database;
  writer(projectId: string): Database.Database;
  exclusive<T>(projectId: string, work: () => Promise<T> | T): Promise<T>;
  handedOver<T>(projectId: string, work: () => Promise<T>): Promise<T>;
  searchState(projectId: string): SearchState;
  readonly reads: ReadPool | null;
  generation(projectId: string): number;
  readable(projectId: string): boolean;
  exists(projectId: string): boolean;
  destroy(projectId: string): void;
}

/** One project's chunks in the embedded index: writes go through the project's write queue. */
export class SqliteProjectIndex implements ProjectIndex {
  constructor(
    private readonly index: IndexFiles,
    private readonly projectId: string,
  ) {}

  private get db() {
    return this.index.db(this.projectId);
  }

  async replaceDocument(documentId: string, chunks: Chunk[]) {
    await this.index.exclusive(this.projectId, async () => {
      const db = this.index.writer(this.projectId);
      const rows = chunks.map(chunkWrite);
      // one transaction: readers see the old chunks or the new ones, never neither or both
      if (chunks.length <= WRITE_SLICE) {
        db.transaction(() => {
          const after = lastRowid(db);
          writeDocument(db, documentId, rows, true, after);
          indexText(db, after);
        })();
        return;
      }
      // a large document is written in slices with the event loop free in between (other projects
      // and searches go on); it is still one transaction, committed once
      db.exec('BEGIN IMMEDIATE');
      try {
        let after = lastRowid(db);
        for (let i = 0; i < chunks.length; i += WRITE_SLICE) {
          writeDocument(db, documentId, rows.slice(i, i + WRITE_SLICE), i === 0, after);
          indexText(db, after);
          after += Math.min(WRITE_SLICE, chunks.length - i);
          await new Promise((resolve) => setImmediate(resolve));
        }
        db.exec('COMMIT');
      } catch (e) {
        if (db.open && db.inTransaction) db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  /**
   * Several small documents with one commit, each in a savepoint of its own: one that fails leaves
   * the others. Written on the write thread, the event loop free meanwhile.
   */
  async replaceDocuments(docs: { documentId: string; chunks: Chunk[] }[]): Promise<(unknown | null)[]> {
    if (docs.reduce((n, d) => n + d.chunks.length, 0) > 4 * WRITE_SLICE) {
      const errors: (unknown | null)[] = [];
      for (const d of docs) {
        errors.push(
          await this.replaceDocument(d.documentId, d.chunks).then(
            () => null,
            (e: unknown) => e,
          ),
        );
      }
      return errors;
    }
    const writes = docs.map((d) => ({ documentId: d.documentId, chunks: d.chunks.map(chunkWrite) }));
    return this.index.handedOver(this.projectId, () => {
      this.index.db(this.projectId); // the file and its schema exist before the thread opens it
      return this.index.writeThread.write(this.index.file(this.projectId), writes);
    });
  }

  async deleteDocument(documentId: string) {
    return this.index.exclusive(
      this.projectId,
      () => stmt(this.index.writer(this.projectId), 'DELETE FROM chunks WHERE document_id = ?').run(documentId).changes,
    );
  }

  /**
   * A new url or tags are written in place (neither is in the full-text index); a new title is
   * searched too, so the chunks are written again with it, their text and statistics reindexed.
   * One transaction either way.
   */
  async relabelDocument(documentId: string, labels: ChunkLabels) {
    return this.index.exclusive(this.projectId, () => {
      const db = this.index.writer(this.projectId);
      return db.transaction(() => {
        const rows = stmt(
          db,
          'SELECT id, ordinal, title, section, page, text, url, tags FROM chunks WHERE document_id = ? ORDER BY ordinal',
        ).all(documentId) as (Omit<ChunkWrite, 'tags'> & { tags: string })[];
        if (rows.length === 0) return 0;
        const chunks: ChunkWrite[] = rows.map((r) => ({
          ...r,
          title: labels.title !== undefined ? labels.title : r.title,
          url: labels.url !== undefined ? labels.url : r.url,
          tags: labels.tags ?? (JSON.parse(r.tags) as string[]),
        }));
        if (chunks.every((c, i) => c.title === rows[i].title)) {
          const update = stmt(db, 'UPDATE chunks SET url = ?, tags = ? WHERE id = ?');
          for (const c of chunks) update.run(c.url, JSON.stringify(c.tags), c.id);
        } else {
          const after = lastRowid(db);
          writeDocument(db, documentId, chunks, true, after);
          indexText(db, after);
        }
        return chunks.length;
      })();
    });
  }

  search(req: SearchRequest): Promise<SearchResult> {
    return this.searchOn(req);
  }

  /** The first search, the term counts of its best hits and the second search in one visit (see `searchOn`). */
  searchWithFeedback(req: SearchRequest, feedback: FeedbackParams): Promise<SearchResult> {
    return this.searchOn(req, feedback);
  }

  /**
   * A search (with feedback when given) on a read thread when there are some, else on this
   * thread's connection; in one read transaction either way (`searchInReadTransaction`). The file
   * seen on a read thread holds every write that finished before this call (each search is a new
   * read transaction under WAL).
   */
  private async searchOn(req: SearchRequest, feedback?: FeedbackParams): Promise<SearchResult> {
    const { projectId, index } = this;
    if (index.reads && index.readable(projectId))
      return index.reads.search(projectId, index.generation(projectId), req, index.ranking, feedback);
    return searchInReadTransaction(index.searchState(projectId), req, index.ranking, feedback);
  }

  /** Read back from the statistics the ranking reads (see chunk-terms.ts encodeTerms), not from the text. */
  async termCounts(chunkIds: string[]): Promise<(Map<string, number> | null)[]> {
    if (chunkIds.length === 0) return [];
    if (this.index.reads && this.index.readable(this.projectId))
      return this.index.reads.termCounts(this.projectId, chunkIds);
    return chunkTermCounts(this.db, chunkIds);
  }

  async chunkCount() {
    if (!this.index.exists(this.projectId)) return 0;
    return (this.db.prepare('SELECT count(*) AS n FROM chunks').get() as { n: number }).n;
  }

  async documentChunkIds(documentId: string) {
    const rows = this.db.prepare('SELECT id FROM chunks WHERE document_id = ? ORDER BY ordinal').all(documentId);
    return (rows as { id: string }[]).map((r) => r.id);
  }

  async drop() {
    const n = await this.chunkCount();
    this.index.destroy(this.projectId);
    return n;
  }
}

/** What the index stores of a chunk (not its vector, which would only be copied to the write thread). */
const chunkWrite = ({ document_id: _, vector: __, ...c }: Chunk): ChunkWrite => c;
