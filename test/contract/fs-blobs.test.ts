import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { compressible, FsBlobStore } from '../../lambdas/adapters/local/fs-blobs';
import { newId } from '../../lambdas/core/ids';

/**
 * What the embedded blob store keeps on disk: text compressed, other bytes as they are, and the
 * formats written before compression still read.
 */
describe('FsBlobStore on disk', () => {
  let dir: string;
  let store: FsBlobStore;
  let projectId: string;
  const root = () => join(dir, projectId);
  const smallDb = () => join(root(), 'small.db');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oprag-fs-blobs-'));
    store = new FsBlobStore(dir);
    projectId = newId('project');
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const prose = (n: number) =>
    Buffer.from(
      Array.from({ length: n }, (_, i) => `Sentence ${i % 97} of the handbook: leave is ${i % 13} days. `).join(''),
    );
  /** bytes DEFLATE cannot shrink: a fixed pseudo-random sequence */
  const noise = (n: number) => {
    const out = Buffer.alloc(n);
    let x = 2463534242;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  };
  const rows = () => {
    store.close(); // commits and closes, so another connection sees everything
    const db = new Database(smallDb(), { readonly: true });
    try {
      return db.prepare('SELECT key, content_type, encoding, length(bytes) AS stored FROM blob ORDER BY key').all() as {
        key: string;
        content_type: string;
        encoding: number;
        stored: number;
      }[];
    } finally {
      db.close();
    }
  };

  it('keeps small text compressed and small binary as it is, and reads both back exactly', async () => {
    const blobs = store.forProject(projectId);
    const text = prose(60); // about 3.6 KB
    const pdf = noise(4000);
    await blobs.put('originals/a', text, 'text/plain; charset=utf-8');
    await blobs.put('originals/b', pdf, 'application/pdf');
    await blobs.put('originals/c', noise(4000), 'text/plain'); // text that does not compress

    const kept = rows();
    expect(kept.map((r) => [r.key, r.encoding])).toEqual([
      ['originals/a', 1],
      ['originals/b', 0],
      ['originals/c', 0],
    ]);
    expect(kept[0].stored).toBeLessThan(text.length / 4);
    expect(kept[1].stored).toBe(pdf.length);

    const again = new FsBlobStore(dir).forProject(projectId);
    expect((await again.get('originals/a'))?.bytes.equals(text)).toBe(true);
    expect((await again.get('originals/b'))?.bytes.equals(pdf)).toBe(true);
    expect((await again.get('originals/c'))?.bytes.equals(noise(4000))).toBe(true);
  });

  it('keeps a large text file compressed and a large binary file as it is', async () => {
    const blobs = store.forProject(projectId);
    const text = prose(8000); // about 480 KB: a file of its own
    const image = noise(400 * 1024);
    await blobs.put('originals/big', text, 'text/markdown');
    await blobs.put('originals/img', image, 'image/png');

    expect(statSync(join(root(), 'originals', 'big')).size).toBeLessThan(text.length / 4);
    expect(statSync(join(root(), 'originals', 'img')).size).toBeGreaterThan(image.length);
    const big = await blobs.get('originals/big');
    expect(big?.contentType).toBe('text/markdown');
    expect(big?.bytes.equals(text)).toBe(true);
    expect((await blobs.get('originals/img'))?.bytes.equals(image)).toBe(true);
  });

  it('reads a store written before compression: old rows, marked files and bare files with a .type', async () => {
    // the first format, as the previous code wrote it
    mkdirSync(join(root(), 'originals'), { recursive: true });
    const old = new Database(smallDb());
    old.pragma('journal_mode = WAL');
    old.exec(
      'CREATE TABLE blobs (key TEXT PRIMARY KEY, content_type TEXT NOT NULL, bytes BLOB NOT NULL) WITHOUT ROWID',
    );
    const oldText = prose(40);
    old.prepare('INSERT INTO blobs VALUES (?, ?, ?)').run('text/old', 'text/plain', oldText);
    old.prepare('INSERT INTO blobs VALUES (?, ?, ?)').run('originals/gone', 'text/plain', Buffer.from('x'));
    old.close();
    const marked = prose(6000);
    const type = Buffer.from('text/html', 'utf8');
    const length = Buffer.alloc(2);
    length.writeUInt16BE(type.length);
    writeFileSync(
      join(root(), 'originals', 'marked'),
      Buffer.concat([Buffer.from('\x00oprag-blob-1\x00', 'latin1'), length, type, marked]),
    );
    const bare = noise(300 * 1024);
    writeFileSync(join(root(), 'originals', 'bare'), bare);
    writeFileSync(join(root(), 'originals', 'bare.type'), 'application/pdf');

    const blobs = store.forProject(projectId);
    expect(await blobs.get('text/old')).toEqual({ bytes: oldText, contentType: 'text/plain' });
    const gotMarked = await blobs.get('originals/marked');
    expect([gotMarked?.contentType, gotMarked?.bytes.equals(marked)]).toEqual(['text/html', true]);
    const gotBare = await blobs.get('originals/bare');
    expect([gotBare?.contentType, gotBare?.bytes.equals(bare)]).toEqual(['application/pdf', true]);

    // a put replaces the old row (no stale copy shadows or outlives it); a delete finds old rows
    await blobs.put('text/old', Buffer.from('new text'), 'text/markdown');
    expect(await blobs.get('text/old')).toEqual({ bytes: Buffer.from('new text'), contentType: 'text/markdown' });
    expect(await blobs.delete('originals/gone')).toBe(true);
    expect(await blobs.get('originals/gone')).toBeNull();
    store.close();
    const db = new Database(smallDb(), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM blobs').get()).toEqual({ n: 0 });
    db.close();

    expect(await store.forProject(projectId).deleteAll()).toBe(3); // text/old, marked, bare
    expect(existsSync(root())).toBe(false);
  });

  it('counts old and new rows once each in deleteAll', async () => {
    mkdirSync(root(), { recursive: true });
    const old = new Database(smallDb());
    old.exec(
      'CREATE TABLE blobs (key TEXT PRIMARY KEY, content_type TEXT NOT NULL, bytes BLOB NOT NULL) WITHOUT ROWID',
    );
    old.prepare('INSERT INTO blobs VALUES (?, ?, ?)').run('originals/one', 'text/plain', Buffer.from('1'));
    old.prepare('INSERT INTO blobs VALUES (?, ?, ?)').run('originals/two', 'text/plain', Buffer.from('2'));
    old.close();
    const blobs = store.forProject(projectId);
    await blobs.put('originals/two', prose(30), 'text/plain'); // moves to the new table
    await blobs.put('originals/three', prose(30), 'text/plain');

    expect(await blobs.deleteAll()).toBe(3);
  });

  it('deletes compressed rows and files, returns free pages, and leaves no log once closed', async () => {
    const blobs = store.forProject(projectId);
    const keys = Array.from({ length: 400 }, (_, i) => `text/d${i}`);
    await Promise.all(keys.map((k, i) => blobs.put(k, Buffer.concat([prose(30), noise(3000 + i)]), 'text/plain')));
    await blobs.put('originals/big', prose(8000), 'text/plain');
    store.close();
    const full = statSync(smallDb()).size;

    for (const k of keys.slice(0, 300)) expect(await blobs.delete(k)).toBe(true);
    expect(await blobs.delete('originals/big')).toBe(true);
    expect(existsSync(join(root(), 'originals', 'big'))).toBe(false);
    expect(await blobs.get('text/d0')).toBeNull();
    expect((await blobs.get('text/d399'))?.bytes.length).toBe(prose(30).length + 3399);
    store.close();

    expect(statSync(smallDb()).size).toBeLessThan(full / 2);
    expect(existsSync(`${smallDb()}-wal`)).toBe(false);
  });

  describe('a blob put to be read soon (readSoon)', () => {
    const text = (s: string) => Buffer.from(s, 'utf8');

    it('is read once from memory, then from the store, the same bytes both times', async () => {
      const blobs = store.forProject(projectId);
      await blobs.put('originals/doc_1', text('the original'), 'text/plain', { readSoon: true });
      // the row is on disk whatever is held: a second store over the same folder reads it
      const other = new FsBlobStore(dir);
      expect((await other.forProject(projectId).get('originals/doc_1'))?.bytes.toString()).toBe('the original');
      other.close();
      expect(await blobs.get('originals/doc_1')).toEqual({ bytes: text('the original'), contentType: 'text/plain' });
      expect(await blobs.get('originals/doc_1')).toEqual({ bytes: text('the original'), contentType: 'text/plain' });
    });

    it('is never given to another project under the same key', async () => {
      await store.forProject(projectId).put('originals/doc_1', text('A'), 'text/plain', { readSoon: true });
      expect(await store.forProject(newId('project')).get('originals/doc_1')).toBeNull();
    });

    it('is let go by a delete, a purge or a newer put of its key, even one made before the first commit', async () => {
      const blobs = store.forProject(projectId);
      const put = blobs.put('originals/doc_1', text('v1'), 'text/plain', { readSoon: true });
      await blobs.delete('originals/doc_1');
      await put;
      expect(await blobs.get('originals/doc_1')).toBeNull();

      await blobs.put('originals/doc_2', text('v1'), 'text/plain', { readSoon: true });
      await blobs.put('originals/doc_2', text('v2'), 'text/plain');
      expect((await blobs.get('originals/doc_2'))?.bytes.toString()).toBe('v2');

      await blobs.put('originals/doc_3', text('v1'), 'text/plain', { readSoon: true });
      await blobs.put('originals/doc_3', prose(10_000), 'text/plain'); // a file, past the small limit
      expect((await blobs.get('originals/doc_3'))?.bytes.equals(prose(10_000))).toBe(true);

      await blobs.put('originals/doc_4', text('v1'), 'text/plain', { readSoon: true });
      expect(await blobs.deleteAll()).toBe(3);
      expect(await blobs.get('originals/doc_4')).toBeNull();
    });
  });

  it('compresses text-like types only', () => {
    for (const t of ['text/plain', 'text/html; charset=utf-8', 'application/json', 'application/ld+json'])
      expect([t, compressible(t)]).toEqual([t, true]);
    for (const t of ['application/pdf', 'application/octet-stream', 'image/png', 'application/zip'])
      expect([t, compressible(t)]).toEqual([t, false]);
    expect(compressible('application/vnd.openxmlformats-officedocument.wordprocessingml.document')).toBe(false);
  });
});
