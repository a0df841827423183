import { existsSync, lstatSync, readdirSync, rename as renameCb, rmSync, writeFile as writeFileCb } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Database from 'better-sqlite3';
import { isId } from '../../core/ids';
import type { BlobStore, ProjectBlobs } from '../../ports';
import { FILE_MODE, openPrivateDatabase, privateDir } from './private-files';

const KEY = /^[a-z]+\/[a-z0-9_]+$/;
const writeFile = promisify(writeFileCb);
const rename = promisify(renameCb);

type Blob = { bytes: Buffer; contentType: string };

/** Blobs up to this size live in the project's small-blob database; larger ones in files of their own. */
const SMALL = 256 * 1024;
const SMALL_DB = 'small.db';

/**
 * A blob file is: this marker, the content type's length (2 bytes), the content type, then the
 * bytes. Files written before the marker existed hold just the bytes, with the type in a `.type`
 * file beside them; they are still read.
 */
const MARK = Buffer.from('\x00oprag-blob-1\x00', 'latin1');

function encode(bytes: Buffer, contentType: string): Buffer {
  const type = Buffer.from(contentType, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(type.length);
  return Buffer.concat([MARK, length, type, bytes]);
}

function decode(file: Buffer): Blob | null {
  if (file.length < MARK.length + 2 || !file.subarray(0, MARK.length).equals(MARK)) return null;
  const length = file.readUInt16BE(MARK.length);
  const start = MARK.length + 2;
  return {
    contentType: file.subarray(start, start + length).toString('utf8'),
    bytes: file.subarray(start + length),
  };
}

type Pending = { run: () => void; resolve: () => void; reject: (e: unknown) => void };

/**
 * A project's small blobs in one SQLite file (WAL), rather than a file each: creating a file
 * costs the kernel far more than a row costs SQLite, and a document is two small blobs. The puts
 * of one event-loop turn share a commit; each resolves once its row is committed.
 */
class SmallBlobs {
  private pending: Pending[] = [];
  private readonly put: Database.Statement;
  private readonly get: Database.Statement;
  private readonly del: Database.Statement;

  constructor(readonly db: Database.Database) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(
      'CREATE TABLE IF NOT EXISTS blobs (key TEXT PRIMARY KEY, content_type TEXT NOT NULL, bytes BLOB NOT NULL) WITHOUT ROWID',
    );
    this.put = db.prepare(
      'INSERT INTO blobs (key, content_type, bytes) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET content_type = excluded.content_type, bytes = excluded.bytes',
    );
    this.get = db.prepare('SELECT content_type, bytes FROM blobs WHERE key = ?');
    this.del = db.prepare('DELETE FROM blobs WHERE key = ?');
  }

  write(key: string, bytes: Buffer, contentType: string): Promise<void> {
    return this.defer(() => this.put.run(key, contentType, bytes));
  }

  remove(key: string): Promise<boolean> {
    this.flush();
    return Promise.resolve(this.del.run(key).changes > 0);
  }

  read(key: string): Blob | null {
    const row = this.get.get(key) as { content_type: string; bytes: Buffer } | undefined;
    return row ? { bytes: row.bytes, contentType: row.content_type } : null;
  }

  keys(): string[] {
    this.flush();
    return (this.db.prepare('SELECT key FROM blobs').all() as { key: string }[]).map((r) => r.key);
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

  close(): void {
    this.flush();
    this.db.close();
  }
}

/**
 * Blobs of the embedded home under `<dir>/<project_id>/`: small ones (a typical document and its
 * extracted text) as rows of `small.db`, larger ones as files `<key>` holding their content type
 * and bytes. A row shadows an older file of the same key.
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
      await this.small(true)?.write(key, bytes, contentType);
      return;
    }
    privateDir(join(path, '..'));
    const tmp = `${path}.${process.pid}-${++tmpCounter}.tmp`; // unique: puts of one key may overlap
    await writeFile(tmp, encode(bytes, contentType), { mode: FILE_MODE });
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
    if (blob) return blob;
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
