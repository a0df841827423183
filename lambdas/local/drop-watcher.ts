import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
} from 'node:fs';
import { join, relative, sep } from 'node:path';
import { type DropFields, isSidecar, parseSidecar, SIDECAR_SUFFIX } from '../core/drop-metadata';
import { isId } from '../core/ids';
import type { Logger } from '../ports';
import type { LocalServices } from '../service/local-home';

interface Seen {
  projectId: string;
  externalId: string;
  signature: string;
  /** set once the file has looked the same for one whole scan: it is done being written, and taken */
  stable: boolean;
}

type DropServices = Pick<
  LocalServices['documents'],
  'acceptsDrops' | 'ingestDropped' | 'removeDropped' | 'droppedExternalIds'
>;

/** A dropped file that changed between its last scan and its opening: it is looked at again. */
export class StillChanging extends Error {}

/**
 * The local drop folder: files under `<data>/drop/<project_id>/` are ingested like S3 drops on
 * AWS, with `drop/<project_id>/<path>` as their external id, so dropping a file again replaces
 * its document and removing it deletes the document. A file is taken once its size and time
 * (and its sidecar's, `<file>.oprag.json`) have held still for one scan. Links are never
 * followed: the walk skips them, and a file is opened with O_NOFOLLOW and judged by what the
 * opened descriptor is, not by its path.
 */
export class DropFolderWatcher {
  private readonly seen = new Map<string, Seen>();
  /** projects whose documents were compared with their folder once (removals while stopped) */
  private readonly reconciled = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private scanning = false;

  constructor(
    private readonly root: string,
    /** the drop folder's system paths: no key, the folder names the project */
    private readonly documents: DropServices,
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
    const present = new Set<string>();
    try {
      for (const projectId of readdirSync(this.root)) {
        if (!isId('project', projectId)) continue;
        const folder = join(this.root, projectId);
        if (!lstatSync(folder).isDirectory()) continue; // a link to a folder elsewhere is not a drop folder
        if (!(await this.documents.acceptsDrops(projectId))) continue;
        const files = [...walk(folder)];
        for (const file of files) present.add(file);
        for (const file of files) {
          if (await this.consider(projectId, folder, file)) taken++;
        }
        await this.reconcile(projectId, folder, files);
      }
      await this.removeGone(present);
    } finally {
      this.scanning = false;
    }
    return taken;
  }

  /** Files taken earlier and gone now (removed, or replaced by a link): their documents go. */
  private async removeGone(present: Set<string>) {
    for (const [file, seen] of [...this.seen]) {
      if (present.has(file)) continue;
      this.seen.delete(file);
      if (seen.stable) await this.remove(seen.projectId, seen.externalId);
    }
  }

  /** Once per project and start: documents whose file was removed while the server was stopped. */
  private async reconcile(projectId: string, folder: string, files: string[]) {
    if (this.reconciled.has(projectId)) return;
    this.reconciled.add(projectId);
    const here = new Set(files.map((f) => externalIdOf(projectId, folder, f)));
    for (const id of await this.documents.droppedExternalIds(projectId)) {
      if (!here.has(id)) await this.remove(projectId, id);
    }
  }

  private async remove(projectId: string, externalId: string) {
    try {
      await this.documents.removeDropped(projectId, externalId);
    } catch (e) {
      this.logger.warn('removed drop file: document not deleted', {
        external_id: externalId,
        error: (e as Error).message,
      });
    }
  }

  private async consider(projectId: string, folder: string, file: string): Promise<boolean> {
    const signature = signatureOf(file);
    if (signature === null) return false;
    const externalId = externalIdOf(projectId, folder, file);
    const before = this.seen.get(file);
    if (!before || before.signature !== signature) {
      this.seen.set(file, { projectId, externalId, signature, stable: false });
      return false;
    }
    if (before.stable) return false;
    try {
      const bytes = readDropped(folder, file, signature);
      before.stable = true;
      await this.documents.ingestDropped(projectId, {
        bytes,
        filename: file.split(sep).pop() ?? null,
        external_id: externalId,
        ...this.sidecarOf(folder, file, externalId),
      });
      return true;
    } catch (e) {
      if (e instanceof StillChanging) {
        this.seen.delete(file);
        return false;
      }
      this.logger.warn('dropped file not ingested', { external_id: externalId, error: (e as Error).message });
      return false;
    }
  }

  /** The sidecar's title, url, tags and metadata; none when there is no sidecar or it is not valid. */
  private sidecarOf(folder: string, file: string, externalId: string): DropFields {
    const sidecar = `${file}${SIDECAR_SUFFIX}`;
    if (signatureOf(sidecar) === null) return {};
    let parsed: ReturnType<typeof parseSidecar>;
    try {
      parsed = parseSidecar(readDropped(folder, sidecar, null));
    } catch (e) {
      parsed = { problem: `could not be read (${(e as Error).message})` };
    }
    if ('fields' in parsed) return parsed.fields;
    this.logger.warn('drop sidecar not used', { external_id: externalId, problem: `the sidecar ${parsed.problem}` });
    return {};
  }
}

const externalIdOf = (projectId: string, folder: string, file: string) =>
  `drop/${projectId}/${relative(folder, file).split(sep).join('/')}`;

/** Size and time of a plain file at `path` (its sidecar's too, for a document), read without following a link; null otherwise. */
function signatureOf(path: string): string | null {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(path);
  } catch {
    return null;
  }
  if (!stat.isFile()) return null;
  if (isSidecar(path)) return `${stat.size}:${stat.mtimeMs}`;
  return `${stat.size}:${stat.mtimeMs}/${signatureOf(`${path}${SIDECAR_SUFFIX}`) ?? '-'}`;
}

/**
 * A dropped file's bytes, read through one descriptor: opened without following a link in its
 * last component, then checked to be a plain file, inside the project's drop folder (the
 * descriptor's own path, where /proc says it), and still of the size and time it was taken at.
 */
export function readDropped(folder: string, path: string, signature: string | null): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error('not a plain file');
    const opened = openedPath(fd);
    if (opened !== null && !opened.startsWith(`${realpathSync(folder)}${sep}`)) {
      throw new Error("the file is not inside the project's drop folder");
    }
    if (signature !== null && !signature.startsWith(`${stat.size}:${stat.mtimeMs}/`)) throw new StillChanging();
    const bytes = Buffer.alloc(stat.size);
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) break;
      read += n;
    }
    if (read !== bytes.length) throw new StillChanging();
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/** Where an open descriptor really is (Linux); null where the system does not say. */
function openedPath(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/** Plain files below `dir`: no dot-files, no sidecars, and links (to files or folders) never followed. */
function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile() && !isSidecar(entry.name)) yield path;
  }
}
