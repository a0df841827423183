import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtractiveGenerator } from '../../lambdas/adapters/local/extractive-generator';
import { FsBlobStore } from '../../lambdas/adapters/local/fs-blobs';
import { lineLogger } from '../../lambdas/adapters/local/line-logger';
import { LocalUploadTarget } from '../../lambdas/adapters/local/local-upload-target';
import { InProcessQueue } from '../../lambdas/adapters/local/memory-queue';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-index';
import { SqliteTenantStore } from '../../lambdas/adapters/local/sqlite-tenant-store';
import { parseDocument } from '../../lambdas/core/parse-document';
import { DEFAULT_READ_LIMITS } from '../../lambdas/core/read-limits';
import { queryTerms } from '../../lambdas/core/text';
import type { ProjectIndex, SearchIndex } from '../../lambdas/ports';
import { makeServices, type Services } from '../../lambdas/service';
import { extractedText } from '../../lambdas/service/documents';
import { SHOWN_PROCESSING_FROM_BYTES } from '../../lambdas/service/ingest/prepare';
import { company, project } from '../contract/fixtures';

/**
 * The embedded index, held at the door of its batch write until the test lets it through: what a
 * slow index write looks like to the pipeline, so that the test can change documents meanwhile.
 */
class HeldIndex implements SearchIndex {
  reached!: Promise<void>;
  private arrive!: () => void;
  private open!: () => void;
  private gate!: Promise<void>;

  constructor(readonly inner: SqliteSearchIndex) {
    this.hold();
  }

  hold() {
    this.reached = new Promise((resolve) => {
      this.arrive = resolve;
    });
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release() {
    this.open();
  }

  createProject(projectId: string) {
    return this.inner.createProject(projectId);
  }

  forProject(projectId: string): ProjectIndex {
    const index = this.inner.forProject(projectId);
    const held = Object.create(index) as ProjectIndex;
    held.replaceDocuments = async (docs) => {
      this.arrive();
      await this.gate;
      return index.replaceDocuments(docs);
    };
    return held;
  }
}

describe.each([
  ['its runs in one process, a document never in two at once', true],
  ['runs in several processes (AWS), each marking its documents', false],
])('the ingest pipeline, when documents change while it writes them: %s', (_, runsInOneProcess) => {
  let dir: string;
  let store: SqliteTenantStore;
  let index: HeldIndex;
  let blobs: FsBlobStore;
  let services: Services;
  let projectId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oprag-pipeline-'));
    store = new SqliteTenantStore(join(dir, 'control.db'));
    index = new HeldIndex(new SqliteSearchIndex(join(dir, 'projects')));
    blobs = new FsBlobStore(join(dir, 'blobs'));
    services = makeServices({
      store,
      index,
      blobs,
      generator: new ExtractiveGenerator(),
      queue: new InProcessQueue(), // never started: the test runs the pipeline itself
      uploads: new LocalUploadTarget(),
      logger: lineLogger(),
      // documents read in this thread: the test holds the index, not the reading
      reader: { read: (bytes, type) => parseDocument(bytes, type, DEFAULT_READ_LIMITS) },
      settings: { runsInOneProcess },
    });
    const p = project(company().id);
    await store.createProject({ ...p, index_placement: await index.createProject(p.id) });
    projectId = p.id;
  });
  afterAll(() => {
    index.inner.close();
    blobs.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const drop = async (path: string, text: string) =>
    (await services.documents.ingestDropped(projectId, { bytes: Buffer.from(text), filename: path, external_id: path }))
      .document.id;
  const chunkIds = (id: string) => index.inner.forProject(projectId).documentChunkIds(id);
  const found = async (id: string, word: string) => {
    const filter = { document_ids: [id] };
    return (await index.inner.forProject(projectId).search({ terms: queryTerms(word), topK: 10, filter })).hits.length;
  };

  it('leaves a document deleted meanwhile without chunks or text, and one replaced meanwhile to its newer version', async () => {
    const kept = await drop('kept.txt', 'Kept: invoices are sent on the first of the month.');
    const deleted = await drop('deleted.txt', 'Deleted: this document is removed while it is written.');
    const replaced = await drop('replaced.txt', 'Replaced: the old wording about pallets.');
    const records = store.forProject(projectId);

    const running = services.documents.processDocuments(projectId, [kept, deleted, replaced]);
    await index.reached;
    // meanwhile: one deleted as the API deletes it (before this run wrote its text and chunks),
    // one dropped again with new content
    await records.deleteDocument(deleted);
    await index.inner.forProject(projectId).deleteDocument(deleted);
    await blobs.forProject(projectId).delete(`originals/${deleted}`);
    expect(await drop('replaced.txt', 'Replaced: the new wording about cranes.')).toBe(replaced);
    index.release();
    const done = await running;

    expect(done.map((d) => d?.status ?? null)).toEqual(['ready', null, null]);
    expect((await chunkIds(kept)).length).toBeGreaterThan(0);
    // deleted meanwhile: what the run wrote for it is gone again
    expect(await chunkIds(deleted)).toEqual([]);
    expect(await blobs.forProject(projectId).get(`text/${deleted}`)).toBeNull();
    expect(await records.getDocument(deleted)).toBeNull();
    // replaced meanwhile: its newer version stays queued, for its own run
    expect(await records.getDocument(replaced)).toMatchObject({ status: 'queued' });
    expect(await records.listUsage('2000-01-01', '2999-12-31')).toEqual([expect.objectContaining({ documents: 1 })]);

    index.hold();
    index.release();
    const [again] = await services.documents.processDocuments(projectId, [replaced]);
    expect(again).toMatchObject({ status: 'ready', chunks: 1 });
    expect(await found(replaced, 'cranes')).toBe(1);
    expect(await found(replaced, 'pallets')).toBe(0);
  });

  it('ends with the newer version, processed while an older version of the document was being written', async () => {
    const first = await drop('guide.txt', 'Guide: the old wording about forklifts.');
    const other = await drop('other.txt', 'Other: the canteen opens at noon.');
    // the text export shows (kept as a marker its original gives it back from, or in full)
    const text = (id: string) => extractedText({ blobs })(projectId, id);
    index.hold();

    const running = services.documents.processDocuments(projectId, [first, other]);
    await index.reached;
    // meanwhile the file is dropped again and its new version processed: in one process, its run
    // waits for the one holding the document; else it is written and settled first (a document
    // alone is written on its own, past the held batch write)
    expect(await drop('guide.txt', 'Guide: the new wording about conveyors.')).toBe(first);
    const second = services.documents.processDocuments(projectId, [first]);
    if (!runsInOneProcess) {
      expect(await second).toEqual([expect.objectContaining({ status: 'ready', chunks: 1 })]);
      expect(await found(first, 'conveyors')).toBe(1);
    }
    index.release();
    const done = await running;
    const [newer] = await second;
    expect(newer).toMatchObject({ status: 'ready', chunks: 1 });

    expect(done.map((d) => d?.status ?? null)).toEqual([null, 'ready']);
    // the newer version's chunks and text are what stays (several processes: written again
    // after the old version's write landed last)
    expect(await found(first, 'conveyors')).toBe(1);
    expect(await found(first, 'forklifts')).toBe(0);
    expect(await text(first)).toContain('conveyors');
    expect(await store.forProject(projectId).getDocument(first)).toMatchObject({ status: 'ready', chunks: 1 });
  });

  it('marks `processing` what shows: in one process only a document large enough for its reading to take a while', async () => {
    const small = await drop('small.txt', 'Small: the door code is 4711.');
    const line = 'the warehouse keeps its pallets in rows. ';
    const large = await drop(
      'large.txt',
      `Large: ${line.repeat(Math.ceil(SHOWN_PROCESSING_FROM_BYTES / line.length))}`,
    );
    const records = store.forProject(projectId);
    index.hold();
    const running = services.documents.processDocuments(projectId, [small, large]);
    await index.reached;

    expect(await records.getDocument(small)).toMatchObject({ status: runsInOneProcess ? 'queued' : 'processing' });
    expect(await records.getDocument(large)).toMatchObject({ status: 'processing' });
    index.release();
    expect((await running).map((d) => d?.status)).toEqual(['ready', 'ready']);
    expect(await found(small, 'door')).toBe(1);
  });
});
