import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { defaultReadThreads, ReadPool } from '../../lambdas/adapters/local/read-pool';
import { projectFile, type ReadReply, serveReads } from '../../lambdas/adapters/local/read-worker';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-index';
import { newId } from '../../lambdas/core/ids';
import { DEFAULT_RANKING } from '../../lambdas/core/rank';
import { queryTerms } from '../../lambdas/core/text';
import type { ProjectIndex } from '../../lambdas/ports';
import { chunk } from '../contract/fixtures';

/**
 * The read threads (read-pool.ts, read-worker.ts): searches and answers off the event loop, each
 * thread with its own connections, opening only the file a valid project id names.
 */

const CRASHING = join(__dirname, '../fixtures/read-worker-crashing.ts');
const search = (index: ProjectIndex, text: string) => index.search({ terms: queryTerms(text), topK: 10 });
const texts = (r: { hits: { text: string }[] }) => r.hits.map((h) => h.text);

describe('read threads', () => {
  let dir: string;
  const closing: (() => unknown)[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oprag-reads-'));
  });
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** An index whose searches run on `threads` read threads. */
  const indexWithThreads = (threads = 1, entry?: string) => {
    const index = new SqliteSearchIndex(join(dir, 'projects'));
    const reads = new ReadPool({ dir: join(dir, 'projects'), threads, entry });
    index.reads = reads;
    closing.push(() => index.close());
    closing.push(() => reads.close());
    return { index, reads };
  };
  const project = async (index: SqliteSearchIndex) => {
    const id = newId('project');
    await index.createProject(id);
    return { id, handle: index.forProject(id) };
  };

  describe('a thread opens only the file of a valid project id', () => {
    it('derives the file from the id, and refuses anything that is not a project id', () => {
      const id = newId('project');
      expect(projectFile('/data/projects', id)).toBe(`/data/projects/${id}.db`);
      for (const bad of [
        '../control',
        `../${id}`,
        `${id}/../x`,
        'prj_',
        '',
        'doc_01m8e8vcjqqynxs9mabwnvg58t',
        42,
        null,
      ])
        expect(() => projectFile('/data/projects', bad)).toThrow('invalid project id');
    });

    it("answers a request for A from A's file even when it carries B's path, and refuses a path for an id", async () => {
      const { index } = indexWithThreads(); // writes the files; the thread body below reads them
      const a = await project(index);
      const b = await project(index);
      await a.handle.replaceDocument('doc_a', [chunk('doc_a', 0, 'The lighthouse keeper of project A.')]);
      await b.handle.replaceDocument('doc_b', [chunk('doc_b', 0, 'The lighthouse keeper of project B.')]);

      const { port1, port2 } = new MessageChannel();
      closing.push(() => {
        port1.close();
        port2.close();
      });
      serveReads({ role: 'oprag-read-thread', dir: join(dir, 'projects'), maxOpen: 4 }, port1 as MessagePort as never);
      let next = 1;
      const ask = (body: object) =>
        new Promise<ReadReply>((resolve) => {
          const id = next++;
          const onReply = (reply: ReadReply) => {
            if (!('id' in reply) || reply.id !== id) return;
            port2.off('message', onReply);
            resolve(reply);
          };
          port2.on('message', onReply);
          port2.postMessage({ ...body, id });
        });
      const req = { terms: queryTerms('lighthouse keeper'), topK: 10 };
      // no request names a file: an extra field with B's path is not read
      const fromA = await ask({
        kind: 'search',
        projectId: a.id,
        generation: 0,
        req,
        ranking: DEFAULT_RANKING,
        file: index.file(b.id),
      });
      expect('ok' in fromA && texts(fromA.ok as never)).toEqual(['The lighthouse keeper of project A.']);
      for (const projectId of [index.file(b.id), `../projects/${b.id}`, `${a.id}/../${b.id}`]) {
        const refused = await ask({ kind: 'search', projectId, generation: 0, req, ranking: DEFAULT_RANKING });
        expect(refused).toEqual({
          id: expect.any(Number),
          error: expect.objectContaining({ message: 'invalid project id for the index' }),
        });
      }
      // a list handed over for an id that is no project, or for a project without a file (deleted
      // since), is not kept and gets no reply; the thread goes on answering
      const seen: ReadReply[] = [];
      port2.on('message', (m: ReadReply) => seen.push(m));
      const list = { chunks: new Int32Array(1), impacts: new Float32Array(1), maxChunk: 1 };
      const kept = { list, upTo: 1, anchors: [], stats: { chunks: 1, avgLength: [1, 1, 1] }, unkeyed: 0 };
      for (const projectId of ['../control', newId('project')])
        port2.postMessage({ id: 0, kind: 'adopt', list: { projectId, name: '"keeper"', kept } });
      const again = await ask({ kind: 'search', projectId: a.id, generation: 0, req, ranking: DEFAULT_RANKING });
      expect('ok' in again && texts(again.ok as never)).toEqual(['The lighthouse keeper of project A.']);
      expect(seen).toEqual([again]);
      // the main side refuses too, before anything is sent
      const { reads } = indexWithThreads();
      await expect(async () => reads.search('../x', 0, req, DEFAULT_RANKING)).rejects.toThrow('invalid project id');
      expect(reads.started).toBe(0);
    });
  });

  describe('reads see every write that finished before them', () => {
    it('finds a document once written, its new text once replaced, nothing once deleted (the same query each time)', async () => {
      const { index, reads } = indexWithThreads(2);
      const p = await project(index);
      expect(texts(await search(p.handle, 'heron migration'))).toEqual([]);
      await p.handle.replaceDocument('doc_1', [chunk('doc_1', 0, 'Heron migration starts in March.')]);
      expect(texts(await search(p.handle, 'heron migration'))).toEqual(['Heron migration starts in March.']);
      await p.handle.replaceDocument('doc_1', [chunk('doc_1', 0, 'Heron migration starts in April.')]);
      expect(texts(await search(p.handle, 'heron migration'))).toEqual(['Heron migration starts in April.']);
      // the batch path, written on the write thread
      const reeds = chunk('doc_2', 0, 'Heron nests in reeds.');
      await p.handle.replaceDocuments?.([{ documentId: 'doc_2', chunks: [reeds] }]);
      expect(texts(await search(p.handle, 'heron'))).toHaveLength(2);
      await p.handle.deleteDocument('doc_1');
      expect(texts(await search(p.handle, 'heron migration'))).toEqual(['Heron nests in reeds.']);
      const [counts, gone] = (await p.handle.termCounts?.([reeds.id, 'chk_gone'])) ?? [];
      expect([...(counts?.keys() ?? [])]).toEqual(expect.arrayContaining(['heron', 'reed']));
      expect(gone).toBeNull();
      expect(reads.started).toBeGreaterThanOrEqual(1); // the searches did run on the threads
    });

    it("keeps each project's results its own on shared threads", async () => {
      const { index } = indexWithThreads(2);
      const ps = await Promise.all([1, 2, 3, 4, 5].map(() => project(index)));
      await Promise.all(
        ps.map((p, i) => p.handle.replaceDocument(`doc_${i}`, [chunk(`doc_${i}`, 0, `Otter number ${i} lives here.`)])),
      );
      const found = await Promise.all(ps.map((p) => search(p.handle, 'otter')));
      expect(found.map(texts)).toEqual(ps.map((_, i) => [`Otter number ${i} lives here.`]));
      // a deleted project's file is closed on its thread and not searched there again
      await ps[0].handle.drop();
      expect(index.exists(ps[0].id)).toBe(false);
      expect(texts(await search(ps[1].handle, 'otter'))).toEqual(['Otter number 1 lives here.']);
    });
  });

  describe('a thread that dies', () => {
    it('fails only its requests in flight, and a fresh thread serves the next', async () => {
      const { index, reads } = indexWithThreads(1, CRASHING);
      const p = await project(index);
      await p.handle.replaceDocument('doc_1', [chunk('doc_1', 0, 'Kestrels hover over fields.')]);
      expect(texts(await search(p.handle, 'kestrels'))).toHaveLength(1);
      expect(reads.started).toBe(1);
      const dying = search(p.handle, 'kaboom');
      const queuedBehind = reads.answer({ question: 'why', passages: [], termWeights: {} });
      await expect(dying).rejects.toThrow('a read thread stopped (70)');
      await expect(queuedBehind).rejects.toThrow('a read thread stopped');
      expect(texts(await search(p.handle, 'kestrels'))).toEqual(['Kestrels hover over fields.']);
      expect(reads.started).toBe(2);
      // an answer's thread too
      await expect(reads.answer({ question: 'kaboom now', passages: [], termWeights: {} })).rejects.toThrow(
        'a read thread stopped (70)',
      );
      expect(typeof (await reads.answer({ question: 'why', passages: [], termWeights: {} }))).toBe('string');
      expect(reads.started).toBe(3);
    });
  });

  describe('shutdown', () => {
    it('lets the requests sent before finish, then fails new ones', async () => {
      const { index, reads } = indexWithThreads(2);
      const p = await project(index);
      await p.handle.replaceDocument('doc_1', [chunk('doc_1', 0, 'Badgers dig setts.')]);
      const before = search(p.handle, 'badgers');
      await reads.close();
      expect(texts(await before)).toEqual(['Badgers dig setts.']);
      await expect(reads.answer({ question: 'q', passages: [], termWeights: {} })).rejects.toThrow('closed');
      await reads.close(); // twice is harmless
    });
  });

  it('takes its size from OPRAG_READ_THREADS, else one per core', () => {
    expect(defaultReadThreads({ OPRAG_READ_THREADS: '0' })).toBe(0);
    expect(defaultReadThreads({ OPRAG_READ_THREADS: ' 3 ' })).toBe(3);
    expect(defaultReadThreads({ OPRAG_READ_THREADS: 'cores' })).toBeGreaterThanOrEqual(1);
    expect(defaultReadThreads({})).toBe(defaultReadThreads({ OPRAG_READ_THREADS: 'cores' }));
    expect(() => defaultReadThreads({ OPRAG_READ_THREADS: 'many' })).toThrow('OPRAG_READ_THREADS');
  });
});
