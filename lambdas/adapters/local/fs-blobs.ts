import { existsSync, lstatSync, readdirSync, rename as renameCb, rmSync, writeFile as writeFileCb } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  constants,
  deflateRaw as deflateRawCb,
  deflateRawSync,
  inflateRaw as inflateRawCb,
  inflateRawSync,
} from 'node:zlib';
import type Database from 'better-sqlite3';
import { isId } from '../../core/ids';
import type { BlobStore, ProjectBlobs } from '../../ports';
import { FILE_MODE, openPrivateDatabase, privateDir } from './private-files';

const KEY = /^[a-z]+\/[a-z0-9_]+$/;
const writeFile = promisify(writeFileCb);
const rename = promisify(renameCb);
const deflateRaw = promisify(deflateRawCb);
const inflateRaw = promisify(inflateRawCb);

type Blob = { bytes: Buffer; contentType: string };

/** Blobs up to this size live in the project's small-blob database; larger ones in files of their own. */
const SMALL = 256 * 1024;
const SMALL_DB = 'small.db';

/** How a blob's bytes are kept: as they are, or raw DEFLATE (RFC 1951, no header). */
const STORED = 0;
const DEFLATED = 1;
type Encoding = typeof STORED | typeof DEFLATED;

/**
 * Level 4: of SciFact's text about 36 % of its size (level 6: 35 %, level 1: 40 %) for about
 * 23 ms of CPU a MB (level 6: 35 ms); inflating costs 4–7 ms a MB.
 */
const ZLIB = { level: 4, strategy: constants.Z_DEFAULT_STRATEGY };
/** Blobs shorter than this are kept as they are: DEFLATE has nothing to find in them. */
const MIN_COMPRESS = 128;

/**
 * Content types worth compressing: text and the text-based formats. PDF, DOCX, ZIP, images and
 * `application/octet-stream` (embedding checkpoints among them) are mostly compressed already or
 * random-looking, and are kept as they are without trying.
 */
export function compressible(contentType: string): boolean {
  const type = contentType.split(';')[0].trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript' ||
    type === 'application/csv' ||
    type === 'application/x-ndjson' ||
    type === 'application/jsonl'
  );
}

/** The compressed form is kept only when it saves at least an eighth of the bytes. */
const pays = (packed: Buffer, bytes: Buffer) => packed.length <= bytes.length - (bytes.length >> 3);

function packSync(bytes: Buffer, contentType: string): { encoding: Encoding; bytes: Buffer } {
  if (bytes.length < MIN_COMPRESS || !compressible(contentType)) return { encoding: STORED, bytes };
  const packed = deflateRawSync(bytes, ZLIB);
  return pays(packed, bytes) ? { encoding: DEFLATED, bytes: packed } : { encoding: STORED, bytes };
}

/** As `packSync`, on the thread pool: for the large blobs, which would hold the event loop. */
async function pack(bytes: Buffer, contentType: string): Promise<{ encoding: Encoding; bytes: Buffer }> {
  if (bytes.length < MIN_COMPRESS || !compressible(contentType)) return { encoding: STORED, bytes };
  const packed = await deflateRaw(bytes, ZLIB);
  return pays(packed, bytes) ? { encoding: DEFLATED, bytes: packed } : { encoding: STORED, bytes };
}

function unpackSync(encoding: number, bytes: Buffer): Buffer {
  if (encoding === STORED) return bytes;
  if (encoding === DEFLATED) return inflateRawSync(bytes);
  throw new Error(`unknown blob encoding ${encoding}`);
}

/**
 * A blob file is: this marker, the encoding (1 byte), the content type's length (2 bytes), the
 * content type, then the bytes as encoded. Files of the first format (`MARK_1`: no encoding byte,
 * the bytes as they are) and files older still (just the bytes, with the type in a `.type` file
 * beside them) are still read.
 */
const MARK = Buffer.from('\x00oprag-blob-2\x00', 'latin1');
const MARK_1 = Buffer.from('\x00oprag-blob-1\x00', 'latin1');

function encode(encoding: Encoding, bytes: Buffer, contentType: string): Buffer {
  const type = Buffer.from(contentType, 'utf8');
  const head = Buffer.alloc(3);
  head.writeUInt8(encoding, 0);
  head.writeUInt16BE(type.length, 1);
  return Buffer.concat([MARK, head, type, bytes]);
}

function decode(file: Buffer): { encoding: number; bytes: Buffer; contentType: string } | null {
  const marked = (mark: Buffer, extra: number) =>
    file.length >= mark.length + extra && file.subarray(0, mark.length).equals(mark);
  let encoding = STORED as number;
  let at: number;
  if (marked(MARK, 3)) {
    encoding = file.readUInt8(MARK.length);
    at = MARK.length + 1;
  } else if (marked(MARK_1, 2)) at = MARK_1.length;
  else return null;
  const length = file.readUInt16BE(at);
  const start = at + 2;
  return {
    encoding,
    contentType: file.subarray(start, start + length).toString('utf8'),
    bytes: file.subarray(start + length),
  };
}

type Pending = { run: () => void; resolve: () => void; reject: (e: unknown) => void };

/**
 * A project's small blobs in one SQLite file (WAL), rather than a file each: creating a file
 * costs the kernel far more than a row costs SQLite, and a document is two small blobs. The puts
 * of one event-loop turn share a commit; each resolves once its row is committed.
 *
 * Rows live in `blob`, an ordinary (rowid) table: a row of up to about 4 KB stays on its page.
 * The first format, `blobs` (WITHOUT ROWID, bytes as they are), kept at most about 1 KB of a row
 * on its page and the rest on overflow pages of their own, mostly empty: 2.7 bytes of file per
 * byte of a typical abstract. A database of that format is still read; a put or delete of a key
 * removes its old row, and nothing new is written there.
 */
class SmallBlobs {
  private pending: Pending[] = [];
  private readonly put: Database.Statement;
  private readonly get: Database.Statement;
  private readonly del: Database.Statement;
  /** the first format's table, when the file has one */
  private readonly legacy: { get: Database.Statement; del: Database.Statement } | null;

  constructor(readonly db: Database.Database) {
    // only a file without tables takes it (others would need a VACUUM): freed pages can be returned
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    // the log is checkpointed at 1 MB (not 4) and cut back to 1 MB after, so an open project's
    // `-wal` stays small; it is removed when the file is closed
    db.pragma('wal_autocheckpoint = 256');
    db.pragma(`journal_size_limit = ${1024 * 1024}`);
    db.exec(
      'CREATE TABLE IF NOT EXISTS blob (key TEXT PRIMARY KEY, content_type TEXT NOT NULL, encoding INTEGER NOT NULL, bytes BLOB NOT NULL)',
    );
    const hasLegacy = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blobs'").get();
    this.legacy = hasLegacy
      ? {
          get: db.prepare('SELECT content_type, 0 AS encoding, bytes FROM blobs WHERE key = ?'),
          del: db.prepare('DELETE FROM blobs WHERE key = ?'),
        }
      : null;
    this.put = db.prepare(
      'INSERT INTO blob (key, content_type, encoding, bytes) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET content_type = excluded.content_type, encoding = excluded.encoding, bytes = excluded.bytes',
    );
    this.get = db.prepare('SELECT content_type, encoding, bytes FROM blob WHERE key = ?');
    this.del = db.prepare('DELETE FROM blob WHERE key = ?');
  }

  write(key: string, encoding: Encoding, bytes: Buffer, contentType: string): Promise<void> {
    return this.defer(() => {
      this.put.run(key, contentType, encoding, bytes);
      this.legacy?.del.run(key);
    });
  }

  remove(key: string): Promise<boolean> {
    this.flush();
    const removed = this.db.transaction(() => {
      const here = this.del.run(key).changes > 0;
      const before = (this.legacy?.del.run(key).changes ?? 0) > 0;
      return here || before;
    })();
    return Promise.resolve(removed);
  }

  read(key: string): Blob | null {
    type Row = { content_type: string; encoding: number; bytes: Buffer };
    const row = (this.get.get(key) ?? this.legacy?.get.get(key)) as Row | undefined;
    return row ? { bytes: unpackSync(row.encoding, row.bytes), contentType: row.content_type } : null;
  }

  keys(): string[] {
    this.flush();
    const sql = this.legacy ? 'SELECT key FROM blob UNION SELECT key FROM blobs' : 'SELECT key FROM blob';
    return (this.db.prepare(sql).all() as { key: string }[]).map((r) => r.key);
  }

  private defer(run: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ run, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  flush(): void {
    if (this.pending.length === 0 || !this.db.open) return;
    const batch = this.pending;
    this.pending = [];
    const failed = new Map<Pending, unknown>();
    try {
      this.db.transaction(() => {
        for (const p of batch) {
          try {
            p.run();
          } catch (e) {
            if (!this.db.inTransaction) throw e; // the transaction is gone: none of them happened
            failed.set(p, e);
          }
        }
      })();
    } catch (e) {
      for (const p of batch) p.reject(e);
      return;
    }
    for (const p of batch) {
      if (failed.has(p)) p.reject(failed.get(p));
      else p.resolve();
    }
  }

  /**
   * Returns the free pages to the file system when they are more than a quarter of the file (and
   * over 256 KB), then closes; the last connection's close checkpoints and removes the `-wal`.
   * Files of the first format have no auto-vacuum: their free pages are reused by later puts.
   */
  close(): void {
    this.flush();
    if (!this.db.open) return;
    try {
      const free = this.db.pragma('freelist_count', { simple: true }) as number;
      const pages = this.db.pragma('page_count', { simple: true }) as number;
      if (free > 64 && free * 4 > pages) this.db.pragma('incremental_vacuum');
    } catch {
      // another connection is writing: the pages stay free for the next puts
    }
    this.db.close();
  }
}

/**
 * Blobs of the embedded home under `<dir>/<project_id>/`: small ones (a typical document and its
 * extracted text) as rows of `small.db`, larger ones as files `<key>` holding their content type
 * and bytes. A row shadows an older file of the same key. Text-like blobs are kept compressed
 * (raw DEFLATE) when that saves an eighth or more, marked so, and inflated on read: `get` returns
 * the very bytes `put` was given.
 */
export class FsBlobStore implements BlobStore {
  private readonly open = new Map<string, SmallBlobs>();

  constructor(
    private readonly dir: string,
    private readonly maxOpen = 64,
    /** the drop folder (`<data>/drop`), whose `<project_id>/` goes with the project's purge */
    private readonly dropDir: string | null = null,
  ) {
    privateDir(dir);
  }

  forProject(projectId: string): ProjectBlobs {
    if (!isId('project', projectId)) throw new Error('invalid project id for blobs');
    return new FsProjectBlobs(join(this.dir, projectId), (create) => this.small(projectId, create));
  }

  /** The project's small-blob database; opened on first use (created only when asked to). */
  private small(projectId: string, create: boolean): SmallBlobs | null {
    let s = this.open.get(projectId);
    if (s?.db.open) return s;
    const root = join(this.dir, projectId);
    const file = join(root, SMALL_DB);
    if (!create && !existsSync(file)) return null;
    privateDir(root);
    s = new SmallBlobs(openPrivateDatabase(file));
    this.open.set(projectId, s);
    if (this.open.size > this.maxOpen) {
      const [oldest, handle] = this.open.entries().next().value as [string, SmallBlobs];
      handle.close();
      this.open.delete(oldest);
    }
    return s;
  }

  /**
   * Removes the project's drop folder, `<drop>/<project_id>/`, and every file in it (a link is
   * removed, never followed); returns how many files it held.
   */
  async purgeLanded(projectId: string): Promise<number> {
    if (!isId('project', projectId) || !this.dropDir) return 0;
    const folder = join(this.dropDir, projectId);
    const count = countFiles(folder);
    rmSync(folder, { recursive: true, force: true });
    return count;
  }

  close(): void {
    for (const s of this.open.values()) s.close();
    this.open.clear();
  }
}

/** Files (and links) below `path`, without following links; 0 when there is nothing there. */
function countFiles(path: string): number {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return 1;
  return readdirSync(path).reduce((n, name) => n + countFiles(join(path, name)), 0);
}

let tmpCounter = 0;

class FsProjectBlobs implements ProjectBlobs {
  constructor(
    private readonly root: string,
    private readonly small: (create: boolean) => SmallBlobs | null,
  ) {}

  private path(key: string): string {
    if (!KEY.test(key)) throw new Error(`invalid blob key ${key}`);
    return join(this.root, key);
  }

  async put(key: string, bytes: Buffer, contentType: string) {
    const path = this.path(key);
    if (bytes.length <= SMALL) {
      const packed = packSync(bytes, contentType);
      await this.small(true)?.write(key, packed.encoding, packed.bytes, contentType);
      return;
    }
    const packed = await pack(bytes, contentType);
    privateDir(join(path, '..'));
    const tmp = `${path}.${process.pid}-${++tmpCounter}.tmp`; // unique: puts of one key may overlap
    await writeFile(tmp, encode(packed.encoding, packed.bytes, contentType), { mode: FILE_MODE });
    await rename(tmp, path); // readers see the whole file or none of it
    await this.small(false)?.remove(key); // no older small version may shadow it
  }

  async get(key: string) {
    const path = this.path(key);
    const row = this.small(false)?.read(key);
    if (row) return row;
    let file: Buffer;
    try {
      file = await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const blob = decode(file);
    if (blob) {
      if (blob.encoding === STORED) return { bytes: blob.bytes, contentType: blob.contentType };
      if (blob.encoding !== DEFLATED) throw new Error(`unknown blob encoding ${blob.encoding}`);
      return { bytes: await inflateRaw(blob.bytes), contentType: blob.contentType };
    }
    const contentType = await readFile(`${path}.type`, 'utf8').catch(() => 'application/octet-stream');
    return { bytes: file, contentType };
  }

  async delete(key: string) {
    const path = this.path(key);
    const row = (await this.small(false)?.remove(key)) ?? false;
    const existed = existsSync(path);
    rmSync(path, { force: true });
    rmSync(`${path}.type`, { force: true });
    return row || existed;
  }

  async deleteAll() {
    const small = this.small(false);
    const keys = new Set(small?.keys() ?? []);
    small?.close();
    if (!existsSync(this.root)) return keys.size;
    for (const folder of readdirSync(this.root, { withFileTypes: true })) {
      if (!folder.isDirectory()) continue;
      for (const f of readdirSync(join(this.root, folder.name))) {
        if (!f.endsWith('.type') && !f.endsWith('.tmp')) keys.add(`${folder.name}/${f}`);
      }
    }
    rmSync(this.root, { recursive: true, force: true });
    return keys.size;
  }
}
