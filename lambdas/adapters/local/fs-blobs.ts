import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isId } from '../../core/ids';
import type { BlobStore, ProjectBlobs } from '../../ports';

const KEY = /^[a-z]+\/[a-z0-9_]+$/;

/** Blobs on the file system: `<dir>/<project_id>/<key>`, with the content type beside each. */
export class FsBlobStore implements BlobStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  forProject(projectId: string): ProjectBlobs {
    if (!isId('project', projectId)) throw new Error('invalid project id for blobs');
    return new FsProjectBlobs(join(this.dir, projectId));
  }
}

class FsProjectBlobs implements ProjectBlobs {
  constructor(private readonly root: string) {}

  private path(key: string): string {
    if (!KEY.test(key)) throw new Error(`invalid blob key ${key}`);
    return join(this.root, key);
  }

  async put(key: string, bytes: Buffer, contentType: string) {
    const path = this.path(key);
    mkdirSync(join(path, '..'), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes);
    writeFileSync(`${path}.type`, contentType);
    renameSync(tmp, path); // readers see the whole file or none of it
  }

  async get(key: string) {
    const path = this.path(key);
    if (!existsSync(path)) return null;
    const contentType = existsSync(`${path}.type`) ? readFileSync(`${path}.type`, 'utf8') : 'application/octet-stream';
    return { bytes: readFileSync(path), contentType };
  }

  async delete(key: string) {
    const path = this.path(key);
    const existed = existsSync(path);
    rmSync(path, { force: true });
    rmSync(`${path}.type`, { force: true });
    return existed;
  }

  async deleteAll() {
    if (!existsSync(this.root)) return 0;
    let count = 0;
    for (const folder of readdirSync(this.root)) {
      count += readdirSync(join(this.root, folder)).filter((f) => !f.endsWith('.type') && !f.endsWith('.tmp')).length;
    }
    rmSync(this.root, { recursive: true, force: true });
    return count;
  }
}
