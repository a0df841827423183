import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isId } from '../../core/ids';
import type { BlobStore, ProjectBlobs } from '../../ports';

const KEY = /^[a-z]+\/[a-z0-9_]+$/;

type Blob = { bytes: Buffer; contentType: string };

/**
 * A blob is one file: this marker, the content type's length (2 bytes), the content type, then
 * the bytes — one file to create per blob, not two. Files written before the marker existed hold
 * just the bytes, with the type in a `.type` file beside them; they are still read.
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

/**
 * The blobs written last, kept in memory up to a byte budget (oldest out first): a document is
 * read back right after it is stored, when the queue processes it, and that read need not touch
 * the disk. Shared by every project's handle; entries are keyed by full path.
 */
class RecentBlobs {
  private readonly entries = new Map<string, Blob>();
  private size = 0;

  constructor(private readonly budget: number) {}

  get(path: string): Blob | undefined {
    return this.entries.get(path);
  }

  set(path: string, blob: Blob): void {
    this.delete(path);
    if (blob.bytes.length > this.budget / 8) return;
    this.entries.set(path, blob);
    this.size += blob.bytes.length;
    for (const [oldest, b] of this.entries) {
      if (this.size <= this.budget) break;
      this.entries.delete(oldest);
      this.size -= b.bytes.length;
    }
  }

  delete(path: string): void {
    const b = this.entries.get(path);
    if (!b) return;
    this.entries.delete(path);
    this.size -= b.bytes.length;
  }

  deleteUnder(root: string): void {
    for (const path of [...this.entries.keys()]) if (path.startsWith(root)) this.delete(path);
  }
}

/** Blobs on the file system: `<dir>/<project_id>/<key>`, each file holding its content type and bytes. */
export class FsBlobStore implements BlobStore {
  private readonly recent: RecentBlobs;
  private readonly folders = new Set<string>();

  constructor(
    private readonly dir: string,
    recentBytes = 32 * 2 ** 20,
  ) {
    mkdirSync(dir, { recursive: true });
    this.recent = new RecentBlobs(recentBytes);
  }

  forProject(projectId: string): ProjectBlobs {
    if (!isId('project', projectId)) throw new Error('invalid project id for blobs');
    return new FsProjectBlobs(join(this.dir, projectId), this.recent, this.folders);
  }
}

let tmpCounter = 0;

class FsProjectBlobs implements ProjectBlobs {
  constructor(
    private readonly root: string,
    private readonly recent: RecentBlobs,
    /** folders known to exist, so that a put costs no mkdir */
    private readonly folders: Set<string>,
  ) {}

  private path(key: string): string {
    if (!KEY.test(key)) throw new Error(`invalid blob key ${key}`);
    return join(this.root, key);
  }

  /** Writes on the I/O threads, off the event loop; resolves once the blob is in place. */
  async put(key: string, bytes: Buffer, contentType: string) {
    const path = this.path(key);
    const folder = join(path, '..');
    if (!this.folders.has(folder)) {
      mkdirSync(folder, { recursive: true });
      this.folders.add(folder);
    }
    const tmp = `${path}.${process.pid}-${++tmpCounter}.tmp`; // unique: puts of one key may overlap
    const write = () => writeFile(tmp, encode(bytes, contentType));
    try {
      await write();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(folder, { recursive: true }); // removed behind this process's back
      await write();
    }
    await rename(tmp, path); // readers see the whole file or none of it
    this.recent.set(path, { bytes, contentType });
  }

  async get(key: string) {
    const path = this.path(key);
    const cached = this.recent.get(path);
    if (cached) return { bytes: cached.bytes, contentType: cached.contentType };
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
    this.recent.delete(path);
    const existed = existsSync(path);
    rmSync(path, { force: true });
    rmSync(`${path}.type`, { force: true });
    return existed;
  }

  async deleteAll() {
    this.recent.deleteUnder(`${this.root}/`);
    for (const folder of [...this.folders]) if (folder.startsWith(`${this.root}/`)) this.folders.delete(folder);
    if (!existsSync(this.root)) return 0;
    let count = 0;
    for (const folder of readdirSync(this.root)) {
      count += readdirSync(join(this.root, folder)).filter((f) => !f.endsWith('.type') && !f.endsWith('.tmp')).length;
    }
    rmSync(this.root, { recursive: true, force: true });
    return count;
  }
}
