import { existsSync, lstatSync, readdirSync, rename as renameCb, rmSync, writeFile as writeFileCb } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isId } from '../../core/ids';
import type { BlobStore, ProjectBlobs } from '../../ports';
import { decode, encode, pack, packSync, unpack } from './blob-encoding';
import { FILE_MODE, openPrivateDatabase, privateDir } from './private-files';
import { RecentBlobs } from './recent-blobs';
import { SmallBlobs } from './small-blobs';

export { compressible } from './blob-encoding';

const KEY = /^[a-z]+\/[a-z0-9_]+$/;
const writeFile = promisify(writeFileCb);
const rename = promisify(renameCb);

/** Blobs up to this size live in the project's small-blob database; larger ones in files of their own. */
const SMALL = 256 * 1024;
const SMALL_DB = 'small.db';

/**
 * Blobs of the embedded home under `<dir>/<project_id>/`: small ones (a typical document and its
 * extracted text) as rows of `small.db`, larger ones as files `<key>` holding their content type
 * and bytes. A row shadows an older file of the same key. Text-like blobs are kept compressed
 * (raw DEFLATE) when that saves an eighth or more, marked so, and inflated on read: `get` returns
 * the very bytes `put` was given.
 *
 * A small blob put with `readSoon` (a document's original, which this process's ingest queue
 * reads a moment later) is also held in memory until that read (`RecentBlobs`): the read then
 * costs neither a query nor inflating the row.
 */
export class FsBlobStore implements BlobStore {
  private readonly open = new Map<string, SmallBlobs>();

  constructor(
    private readonly dir: string,
    private readonly maxOpen = 64,
    /** the drop folder (`<data>/drop`), whose `<project_id>/` goes with the project's purge */
    private readonly dropDir: string | null = null,
    /** blobs just put to be read once soon, held in memory until then */
    private readonly recent: RecentBlobs = new RecentBlobs(),
  ) {
    privateDir(dir);
  }

  forProject(projectId: string): ProjectBlobs {
    if (!isId('project', projectId)) throw new Error('invalid project id for blobs');
    return new FsProjectBlobs(
      join(this.dir, projectId),
      (create) => this.small(projectId, create),
      projectId,
      this.recent,
    );
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
    private readonly projectId: string,
    private readonly recent: RecentBlobs,
  ) {}

  private path(key: string): string {
    if (!KEY.test(key)) throw new Error(`invalid blob key ${key}`);
    return join(this.root, key);
  }

  async put(key: string, bytes: Buffer, contentType: string, opts?: { readSoon?: boolean }) {
    const path = this.path(key);
    this.recent.forget(this.projectId, key);
    if (bytes.length <= SMALL) {
      const packed = packSync(bytes, contentType);
      // held from now, so that a delete of the key coming before the commit lets it go too
      if (opts?.readSoon) this.recent.put(this.projectId, key, bytes, contentType);
      try {
        await this.small(true)?.write(key, packed.encoding, packed.bytes, contentType);
      } catch (e) {
        this.recent.forget(this.projectId, key, bytes);
        throw e;
      }
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
    const held = this.recent.take(this.projectId, key);
    if (held) return held;
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
    if (blob) return { bytes: await unpack(blob.encoding, blob.bytes), contentType: blob.contentType };
    const contentType = await readFile(`${path}.type`, 'utf8').catch(() => 'application/octet-stream');
    return { bytes: file, contentType };
  }

  async delete(key: string) {
    const path = this.path(key);
    this.recent.forget(this.projectId, key);
    const row = (await this.small(false)?.remove(key)) ?? false;
    const existed = existsSync(path);
    rmSync(path, { force: true });
    rmSync(`${path}.type`, { force: true });
    return row || existed;
  }

  async deleteAll() {
    this.recent.forgetProject(this.projectId);
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
