import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-index';
import { newId } from '../../lambdas/core/ids';
import { queryTerms } from '../../lambdas/core/text';
import { chunk } from './fixtures';

/**
 * A project's writes never overlap, yet the write thread is handed a project's next batch while
 * it writes one (SqliteSearchIndex.handedOver): a hand-over waits for the project's earlier writes
 * on the event loop's connection, and for its earlier hand-overs to be made, not for them to
 * commit. A write on the event loop's connection waits for everything before it.
 */

let dir: string;
let index: SqliteSearchIndex;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oprag-order-'));
  index = new SqliteSearchIndex(dir);
  index.tidyAfterMs = 60_000;
});

afterEach(() => {
  index.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A write whose end the test decides, recording when it started and ended. */
function gated(log: string[], name: string) {
  let finish = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const work = () => {
    log.push(`${name} started`);
    return done.then(() => {
      log.push(`${name} ended`);
      return name;
    });
  };
  return { work, finish };
}

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

test('hand-overs go out without waiting for the earlier ones to commit; a write on the loop waits for all', async () => {
  const projectId = newId('project');
  const log: string[] = [];
  const first = gated(log, 'first');
  const second = gated(log, 'second');
  const loop = gated(log, 'loop');
  const third = gated(log, 'third');

  const results = [
    index.handedOver(projectId, first.work),
    index.handedOver(projectId, second.work),
    index.exclusive(projectId, loop.work),
    index.handedOver(projectId, third.work),
  ];
  await turns();
  // both hand-overs made while neither has committed; the loop's write and what follows it wait
  expect(log).toEqual(['first started', 'second started']);

  second.finish();
  await turns();
  expect(log).toEqual(['first started', 'second started', 'second ended']);

  first.finish();
  await turns();
  expect(log.slice(3)).toEqual(['first ended', 'loop started']);

  loop.finish();
  await turns();
  expect(log.slice(5)).toEqual(['loop ended', 'third started']);
  third.finish();
  expect(await Promise.all(results)).toEqual(['first', 'second', 'loop', 'third']);
});

test('a failed hand-over holds back neither the next one nor a later write', async () => {
  const projectId = newId('project');
  const failing = index.handedOver(projectId, () => Promise.reject(new Error('refused')));
  const next = index.handedOver(projectId, async () => 'next');
  const after = index.exclusive(projectId, () => 'after');
  await expect(failing).rejects.toThrow('refused');
  expect(await next).toBe('next');
  expect(await after).toBe('after');
});

test('batches handed over back to back are written in order, each whole, and a delete after them applies last', async () => {
  const projectId = newId('project');
  await index.createProject(projectId);
  const p = index.forProject(projectId);
  const doc = newId('document');
  const other = newId('document');
  const writes = [
    p.replaceDocuments([
      { documentId: doc, chunks: [chunk(doc, 0, 'first zebra')] },
      { documentId: other, chunks: [chunk(other, 0, 'other zebra')] },
    ]),
    p.replaceDocuments([
      { documentId: doc, chunks: [chunk(doc, 0, 'second zebra'), chunk(doc, 1, 'zebra again')] },
      { documentId: newId('document'), chunks: [chunk(newId('document'), 0, 'unrelated words')] },
    ]),
  ];
  const deleted = p.deleteDocument(other);
  expect(await Promise.all(writes)).toEqual([
    [null, null],
    [null, null],
  ]);
  await deleted;
  const found = await p.search({ terms: queryTerms('zebra'), topK: 10 });
  expect(found.hits.map((h) => h.text).sort()).toEqual(['second zebra', 'zebra again']);
});
