import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createIndexFile } from '../../lambdas/adapters/local/sqlite-schema';
import { WriteThread } from '../../lambdas/adapters/local/sqlite-write-thread';
import { newId } from '../../lambdas/core/ids';
import { HandTimers } from '../helpers/hand-timers';

/**
 * The index's write thread stops once it has had nothing to do for its idle time, its connections
 * closed and their logs emptied; the next write starts a fresh thread and nothing written is lost.
 * The countdown is fired by the test, never waited for.
 */

let dir: string;
let timers: HandTimers;
let thread: WriteThread;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oprag-write-idle-'));
  timers = new HandTimers();
  thread = new WriteThread(16, 10_000, timers);
});

afterEach(async () => {
  await thread.close();
  rmSync(dir, { recursive: true, force: true });
});

function project(): string {
  const file = join(dir, `${newId('project')}.db`);
  createIndexFile(file);
  return file;
}

const docs = (n: number, word: string) =>
  Array.from({ length: n }, (_, i) => ({
    documentId: newId('document'),
    chunks: [
      {
        id: newId('chunk'),
        ordinal: 0,
        title: null,
        section: null,
        page: null,
        text: `${word} ${i}`,
        url: null,
        tags: [],
      },
    ],
  }));

function chunks(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM chunks').pluck().get() as number;
  } finally {
    db.close();
  }
}

const logBytes = (file: string) => statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0;

it('stops after ten idle seconds with every log emptied, and the next write starts a fresh thread', async () => {
  const a = project();
  const b = project();
  expect(await thread.write(a, docs(3, 'alpha'))).toEqual([null, null, null]);
  expect(await thread.write(b, docs(2, 'beta'))).toEqual([null, null]);
  expect([...timers.armed.values()].map((t) => t.ms)).toEqual([10_000]);
  expect(logBytes(a)).toBeGreaterThan(0); // the thread's connection keeps its log while open

  timers.fireAll();
  await thread.close(); // waits for the stop under way
  expect(logBytes(a)).toBe(0);
  expect(logBytes(b)).toBe(0);
  expect(thread.started).toBe(1);

  expect(await thread.write(a, docs(4, 'gamma'))).toEqual([null, null, null, null]);
  expect(thread.started).toBe(2);
  expect(chunks(a)).toBe(7);
  expect(chunks(b)).toBe(2);
});

it('work before the countdown ends keeps the thread, and a write sent while it stops is not lost', async () => {
  const a = project();
  await thread.write(a, docs(1, 'alpha'));
  await thread.merge(a, 8); // arrives before the countdown ends: started again, not added
  expect(timers.armed.size).toBe(1);
  expect(thread.started).toBe(1);

  timers.fireAll(); // the stop begins; a write follows at once, on a fresh thread
  const written = await thread.write(a, docs(5, 'delta'));
  expect(written).toEqual([null, null, null, null, null]);
  expect(thread.started).toBe(2);
  await thread.close();
  expect(chunks(a)).toBe(6);
  expect(logBytes(a)).toBe(0);
});
