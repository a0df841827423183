import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDropped, StillChanging } from '../../lambdas/local/drop-watcher';

/**
 * The moment a dropped file is read, whatever the scan saw before: a file swapped for a link, or a
 * folder swapped for a link to one elsewhere, between the scan and the read is refused by the
 * descriptor that was opened, not by a second look at the path.
 */
describe('reading a dropped file', () => {
  let root: string;
  let folder: string;
  let outside: string;
  const signature = (path: string) => {
    const s = statSync(path);
    return `${s.size}:${s.mtimeMs}/-`;
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'oprag-drop-read-'));
    folder = join(root, 'drop', 'project');
    outside = join(root, 'outside');
    mkdirSync(folder, { recursive: true });
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), 'The outside secret is plover.');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads a plain file that is still what the scan saw', () => {
    const file = join(folder, 'notes.txt');
    writeFileSync(file, 'Dropped notes.');
    expect(readDropped(folder, file, signature(file)).toString()).toBe('Dropped notes.');
  });

  it('refuses a file swapped for a link after the scan took its signature', () => {
    const file = join(folder, 'notes.txt');
    writeFileSync(file, 'Dropped notes.');
    const seen = signature(file);
    unlinkSync(file);
    symlinkSync(join(outside, 'secret.txt'), file);
    expect(() => readDropped(folder, file, seen)).toThrow(/ELOOP|symbolic link/i);
  });

  it('refuses a file reached through a folder swapped for a link to one elsewhere', () => {
    const sub = join(folder, 'sub');
    mkdirSync(sub);
    writeFileSync(join(sub, 'secret.txt'), 'Inside.');
    const seen = signature(join(sub, 'secret.txt'));
    renameSync(sub, join(root, 'moved'));
    symlinkSync(outside, sub);
    expect(() => readDropped(folder, join(sub, 'secret.txt'), seen)).toThrow("not inside the project's drop folder");
  });

  it('refuses a file that changed after the scan, to be read once it is still', () => {
    const file = join(folder, 'notes.txt');
    writeFileSync(file, 'Dropped notes.');
    const seen = signature(file);
    writeFileSync(file, 'Dropped notes, and more written since.');
    expect(() => readDropped(folder, file, seen)).toThrow(StillChanging);
  });
});
