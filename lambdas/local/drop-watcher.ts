import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isId } from '../core/ids';
import type { Logger } from '../ports';
import type { LocalServices } from '../service/local-home';

interface Seen {
  signature: string;
  /** set once the file has looked the same for one whole scan: it is done being written */
  stable: boolean;
}

/**
 * The local drop folder: files under `<data>/drop/<project_id>/` are ingested like S3 drops on
 * AWS, with `drop/<project_id>/<path>` as their external id, so dropping a file again replaces
 * its document. A file is taken once its size and time have held still for one scan.
 */
export class DropFolderWatcher {
  private readonly seen = new Map<string, Seen>();
  private timer: NodeJS.Timeout | null = null;
  private scanning = false;

  constructor(
    private readonly root: string,
    /** the drop folder's system paths: no key, the folder names the project */
    private readonly documents: Pick<LocalServices['documents'], 'acceptsDrops' | 'ingestDropped'>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.scan(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass over the folder; returns how many files it handed to ingestion. */
  async scan(): Promise<number> {
    if (this.scanning || !existsSync(this.root)) return 0;
    this.scanning = true;
    let taken = 0;
    try {
      for (const projectId of readdirSync(this.root)) {
        if (!isId('project', projectId)) continue;
        if (!(await this.documents.acceptsDrops(projectId))) continue;
        for (const file of walk(join(this.root, projectId))) {
          if (await this.consider(projectId, file)) taken++;
        }
      }
    } finally {
      this.scanning = false;
    }
    return taken;
  }

  private async consider(projectId: string, file: string): Promise<boolean> {
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(file);
    } catch {
      return false;
    }
    const signature = `${stat.size}:${stat.mtimeMs}`;
    const before = this.seen.get(file);
    if (!before || before.signature !== signature) {
      this.seen.set(file, { signature, stable: false });
      return false;
    }
    if (before.stable) return false;
    before.stable = true;
    const externalId = `drop/${projectId}/${relative(join(this.root, projectId), file).split('\\').join('/')}`;
    try {
      await this.documents.ingestDropped(projectId, {
        bytes: readFileSync(file),
        filename: file.split('/').pop() ?? null,
        external_id: externalId,
      });
      return true;
    } catch (e) {
      this.logger.warn('dropped file not ingested', {
        external_id: externalId,
        error: (e as Error).message,
      });
      return false;
    }
  }
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}
