import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParsePool } from '../../lambdas/adapters/parse-pool';
import { ExtractionError } from '../../lambdas/core/errors';
import { DEFAULT_READ_LIMITS } from '../../lambdas/core/read-limits';
import { HandTimers } from '../helpers/hand-timers';

/**
 * The pool's own bounds, with stand-in thread bodies (plain JavaScript, so that they start at
 * once): one that never answers, one that fills its heap, one that answers. The deadline is
 * fired by the test through the pool's timers, never waited for.
 */

/**
 * Answers `{ title: <type> }` for every type but `hang` (never answers) and `hog` (fills its heap).
 * A group of documents (one message) is answered in one reply, each document by its bytes:
 * `bad` is refused, `hang` stalls the whole group, `hog` fills the heap; any other answers
 * `{ title: <type>, text: 'group of <n>' }`.
 */
const BODY = `
const { parentPort } = require('node:worker_threads');
const hoard = [];
const hogHeap = () => { for (;;) hoard.push(new Array(1e6).fill(hoard.length)); };
parentPort.on('message', (req) => {
  if (req.items) {
    const many = [];
    for (const it of req.items) {
      const text = Buffer.from(req.bytes.buffer, req.bytes.byteOffset + it.start, it.end - it.start).toString();
      if (text === 'hang') return;
      if (text === 'hog') hogHeap();
      if (text === 'bad') many.push({ error: { name: 'ExtractionError', message: 'the file is bad' } });
      else many.push({ ok: { title: it.type, drafts: [], text: 'group of ' + req.items.length } });
    }
    parentPort.postMessage({ id: req.id, many });
    return;
  }
  const text = Buffer.from(req.bytes).toString();
  if (req.type === 'hang' || text === 'hang') return;
  if (req.type === 'hog' || text === 'hog') hogHeap();
  if (req.type === 'bad' || text === 'bad') {
    parentPort.postMessage({ id: req.id, error: { name: 'ExtractionError', message: 'the file is bad' } });
    return;
  }
  parentPort.postMessage({ id: req.id, ok: { title: req.type, drafts: [], text: String(req.bytes.length) } });
});
`;

describe('the document-reading pool', () => {
  let dir: string;
  let entry: string;
  const pools: ParsePool[] = [];
  const pool = (timers = new HandTimers(), memoryMb = 64) => {
    const p = new ParsePool({ limits: { ...DEFAULT_READ_LIMITS, memoryMb, timeoutMs: 5000 }, entry, timers });
    pools.push(p);
    return p;
  };
  const read = (p: ParsePool, type: string, bytes = Buffer.from('x')) => p.read(bytes, type as never);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'oprag-pool-'));
    entry = join(dir, 'body.js');
    writeFileSync(entry, BODY);
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a document in a thread and hands back what the thread read', async () => {
    const p = pool();
    await expect(read(p, 'text/plain', Buffer.from('hello'))).resolves.toEqual({
      title: 'text/plain',
      drafts: [],
      text: '5',
    });
    expect(p.started).toBe(1);
  });

  it('a document past its deadline fails with the reason, and a fresh thread reads the next one', async () => {
    const timers = new HandTimers();
    const p = pool(timers);
    const hung = read(p, 'hang');
    const next = read(p, 'text/plain');
    expect([...timers.armed.values()].map((t) => t.ms)).toEqual([5000]);
    timers.fireAll();
    await expect(hung).rejects.toThrow(ExtractionError);
    await expect(hung).rejects.toThrow('the document took longer than 5 s to read');
    await expect(next).resolves.toMatchObject({ title: 'text/plain' });
    expect(p.started).toBe(2);
  });

  it('a document that fills the heap fails with the reason, and a fresh thread reads the next one', async () => {
    const p = pool(new HandTimers(), 32);
    const hog = read(p, 'hog');
    const next = read(p, 'text/plain');
    await expect(hog).rejects.toThrow(ExtractionError);
    await expect(hog).rejects.toThrow('the document needs more than 32 MB of memory to read');
    await expect(next).resolves.toMatchObject({ title: 'text/plain' });
    expect(p.started).toBe(2);
  });

  it("a reader's refusal comes back as the same ExtractionError, and the thread stays", async () => {
    const p = pool();
    await expect(read(p, 'bad')).rejects.toThrow(new ExtractionError('the file is bad'));
    await expect(read(p, 'text/csv')).resolves.toMatchObject({ title: 'text/csv' });
    expect(p.started).toBe(1);
  });

  it('documents beyond the thread count wait their turn, each answered in order', async () => {
    const p = pool();
    const titles = await Promise.all(['a', 'b', 'c', 'd'].map((t) => read(p, t).then((d) => d.title)));
    expect(titles).toEqual(['a', 'b', 'c', 'd']);
    expect(p.started).toBe(1);
  });

  it('small text documents waiting together are read in one message, each with its own outcome', async () => {
    const p = pool();
    const first = read(p, 'text/plain', Buffer.from('first')); // the thread is free: sent at once, alone
    const texts = ['a', 'bad', 'c'].map((t) => read(p, 'text/markdown', Buffer.from(t)).catch((e: Error) => e));
    const csv = read(p, 'text/csv', Buffer.from('x')); // not grouped: read alone, after the group
    expect((await first).text).toBe('5');
    const [a, bad, c] = await Promise.all(texts);
    expect(a).toMatchObject({ title: 'text/markdown', text: 'group of 3' });
    expect(c).toMatchObject({ title: 'text/markdown', text: 'group of 3' });
    expect(bad).toEqual(new ExtractionError('the file is bad'));
    expect((await csv).text).toBe('1');
    expect(p.started).toBe(1);
  });

  it("a group holds one project's documents only", async () => {
    const p = pool();
    const first = read(p, 'text/plain', Buffer.from('first'));
    const of = (projectId: string, t: string) => p.read(Buffer.from(t), 'text/plain', { projectId });
    const docs = [of('prj_a', 'a1'), of('prj_b', 'b1'), of('prj_a', 'a2'), of('prj_b', 'b2'), of('prj_b', 'b3')];
    await first;
    const texts = (await Promise.all(docs)).map((d) => d.text);
    expect(texts).toEqual(['group of 2', 'group of 3', 'group of 2', 'group of 3', 'group of 3']);
  });

  it('a group past its deadline fails no document for it: each is read again alone, the stalling one failing on its own deadline', async () => {
    const timers = new HandTimers();
    const p = pool(timers);
    const first = read(p, 'text/plain', Buffer.from('first'));
    const group = ['a', 'hang', 'c'].map((t) => read(p, 'text/plain', Buffer.from(t)).catch((e: Error) => e));
    await first;
    expect(timers.armed.size).toBe(1); // the group's one deadline
    timers.fireAll();
    // the thread is replaced; the three are read one at a time, 'a' first and alone
    const a = await group[0];
    expect(a).toMatchObject({ title: 'text/plain', text: '1' });
    expect(timers.armed.size).toBe(1); // 'hang', alone, under its own deadline
    timers.fireAll();
    const hung = await group[1];
    expect(hung).toBeInstanceOf(ExtractionError);
    expect((hung as Error).message).toContain('the document took longer than 5 s to read');
    expect(await group[2]).toMatchObject({ title: 'text/plain', text: '1' });
    expect(p.started).toBe(3);
  });

  it('a group that fills the heap fails only the document that did, read again alone', async () => {
    const p = pool(new HandTimers(), 32);
    const first = read(p, 'text/plain', Buffer.from('first'));
    const group = ['a', 'hog', 'c'].map((t) => read(p, 'text/plain', Buffer.from(t)).catch((e: Error) => e));
    await first;
    const [a, hog, c] = await Promise.all(group);
    expect(a).toMatchObject({ text: '1' });
    expect(c).toMatchObject({ text: '1' });
    expect(hog).toBeInstanceOf(ExtractionError);
    expect((hog as Error).message).toContain('the document needs more than 32 MB of memory to read');
    expect(p.started).toBe(3);
  });

  it('a thread with nothing to read stops after the idle time, and the next document starts a fresh one', async () => {
    const timers = new HandTimers();
    const p = pool(timers);
    await read(p, 'text/plain');
    expect([...timers.armed.values()].map((t) => t.ms)).toEqual([10_000]); // the idle countdown, nothing else
    // a document before the countdown ends: the same thread, the countdown started again
    await read(p, 'text/plain');
    expect(p.started).toBe(1);
    expect(timers.armed.size).toBe(1);
    // a document being read is never stopped for idleness: only its deadline is armed
    const hung = read(p, 'hang').catch((e: Error) => e);
    expect([...timers.armed.values()].map((t) => t.ms)).toEqual([5000]);
    timers.fireAll(); // the deadline: that thread replaced
    expect(await hung).toBeInstanceOf(ExtractionError);
    await read(p, 'text/plain');
    expect(p.started).toBe(2);
    timers.fireAll(); // ten idle seconds
    expect(p.threads).toBe(0);
    await expect(read(p, 'text/plain', Buffer.from('again'))).resolves.toMatchObject({ text: '5' });
    expect(p.started).toBe(3);
    expect(p.threads).toBe(1);
  });

  it('closing fails what is still waiting and refuses new documents', async () => {
    const p = pool();
    const hung = read(p, 'hang').catch((e: Error) => e.message);
    const waiting = read(p, 'text/plain').catch((e: Error) => e.message);
    await p.close();
    expect(await hung).toBe('the document reader closed');
    expect(await waiting).toBe('the document reader closed');
    await expect(read(p, 'text/plain')).rejects.toThrow('the document reader is closed');
  });
});
