/** The files `oprag ingest` sends, and running over them a few at a time. */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';

export interface IngestFile {
  path: string;
  externalId: string;
}

/** A problem that stops the whole run (bad key, missing scope, unknown project, unreachable API). */
export class IngestAbort extends Error {}

/** Every file under the inputs: directories recursively (dotfiles and dot-folders skipped), files as given. */
export async function collectFiles(inputs: string[]): Promise<IngestFile[]> {
  const files: IngestFile[] = [];
  const walk = async (root: string, dir: string) => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const path = join(dir, e.name);
      const kind = e.isSymbolicLink() ? await stat(path).catch(() => null) : e;
      if (kind?.isDirectory() && !e.isSymbolicLink()) await walk(root, path);
      else if (kind?.isFile()) files.push({ path, externalId: relative(root, path).split(sep).join('/') });
    }
  };
  for (const input of inputs) {
    const path = resolve(input);
    const info = await stat(path).catch(() => null);
    if (!info) throw new IngestAbort(`no such file or directory: ${input}`);
    if (info.isDirectory()) await walk(path, path);
    else files.push({ path, externalId: basename(path) });
  }
  const seen = new Map<string, string>();
  for (const f of files) {
    const other = seen.get(f.externalId);
    if (other) throw new IngestAbort(`${other} and ${f.path} would both have external_id "${f.externalId}"`);
    seen.set(f.externalId, f.path);
  }
  return files;
}

/** Runs fn over items with at most n in flight; the first thrown error stops new work and is rethrown. */
export async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failed: { error?: unknown } = {};
  const worker = async () => {
    while (!('error' in failed) && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (e) {
        if (!('error' in failed)) failed.error = e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  if ('error' in failed) throw failed.error;
}
