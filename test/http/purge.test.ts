import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startTestServer } from '../helpers/server';

/** Every file under `dir` (links included, never followed), with its path relative to `dir`. */
function walk(dir: string, root = dir): { path: string; dir: boolean; mode: number }[] {
  const out: { path: string; dir: boolean; mode: number }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    out.push({ path: relative(root, path), dir: stat.isDirectory(), mode: stat.mode & 0o777 });
    if (stat.isDirectory()) out.push(...walk(path, root));
  }
  return out;
}

/** Markers found anywhere in the bytes of the files under `dir`, with the file they were in. */
function findMarkers(dir: string, markers: string[]): string[] {
  const found: string[] = [];
  for (const f of walk(dir)) {
    if (f.dir) continue;
    const bytes = readFileSync(join(dir, f.path));
    for (const m of markers) {
      for (const encoded of [Buffer.from(m, 'utf8'), Buffer.from(m, 'utf16le')]) {
        if (bytes.includes(encoded)) found.push(`${m} in ${f.path}`);
      }
    }
  }
  return found;
}

describe('a project purge on the local home', () => {
  it('leaves no drop file, and after a clean shutdown no deleted title, url, file name or project name in any file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'oprag-purge-'));
    try {
      const t = await startTestServer({ dataDir });
      const gone = await t.project('Kestrelvane Holdings');
      const kept = await t.project('Ordinary project');
      await t.admin.request('PATCH', `/v1/projects/${gone.id}`, { name: 'Kestrelvane Renamed' });
      for (const n of [1, 2, 3]) {
        const res = await gone.client.post('/v1/documents?wait=true', {
          text: `# Notes ${n}\n\nThe quillfeather${n} budget is secret and lives only here.`,
          title: `Marrowgate Title ${n}`,
          url: `/viewer/thistledown-${n}`,
          filename: `brambleworth-${n}.md`,
        });
        expect(res.status).toBe(201);
      }
      // a document deleted on its own: its rows go too, from the control database and the index file
      const lone = await kept.client.post<{ document: { id: string } }>('/v1/documents?wait=true', {
        text: 'The larkspurious figure is forty.',
        title: 'Wickerbasin Title',
        filename: 'wickerbasin.txt',
      });
      expect((await kept.client.delete(`/v1/documents/${lone.body.document.id}`)).status).toBe(200);
      await kept.client.post('/v1/documents?wait=true', { text: 'Kept text stays.', title: 'Kept Title' });

      const drop = join(dataDir, 'drop', gone.id, 'sub');
      mkdirSync(drop, { recursive: true });
      writeFileSync(join(drop, 'dropped.txt'), 'a dropped file');
      writeFileSync(join(dataDir, 'drop', gone.id, 'top.txt'), 'another dropped file');
      mkdirSync(join(dataDir, 'drop', kept.id), { recursive: true });
      writeFileSync(join(dataDir, 'drop', kept.id, 'stays.txt'), 'the other project keeps its drops');

      const deleted = await t.admin.delete<{ deleted: { documents: number; blobs: number } }>(
        `/v1/projects/${gone.id}`,
      );
      expect(deleted.status).toBe(200);
      expect(deleted.body.deleted.documents).toBe(3);
      // two blobs per document (original and extracted text) and the two dropped files
      expect(deleted.body.deleted.blobs).toBe(8);
      expect(readdirSync(join(dataDir, 'drop'))).toEqual([kept.id]);
      expect(readFileSync(join(dataDir, 'drop', kept.id, 'stays.txt'), 'utf8')).toContain('keeps');
      await t.close();

      const markers = [
        'Kestrelvane',
        'Marrowgate Title',
        'thistledown',
        'brambleworth',
        'quillfeather',
        'Wickerbasin',
        'larkspurious',
      ];
      expect(findMarkers(dataDir, markers)).toEqual([]);
      // the check can fail: what was not deleted is still there to find
      expect(findMarkers(dataDir, ['Ordinary project', 'Kept Title'])).toEqual([
        'Ordinary project in control.db',
        'Kept Title in control.db',
        expect.stringMatching(/^Kept Title in projects\/prj_\w+\.db$/),
      ]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("removes the links in a deleted project's drop folder and never what they point at", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'oprag-purge-links-'));
    const elsewhere = mkdtempSync(join(tmpdir(), 'oprag-elsewhere-'));
    try {
      const t = await startTestServer({ dataDir });
      const gone = await t.project('linked drops');
      // a file and a folder outside the data directory, each reached through a link in the drop folder
      writeFileSync(join(elsewhere, 'outside.txt'), "not the project's to delete");
      mkdirSync(join(elsewhere, 'folder'));
      writeFileSync(join(elsewhere, 'folder', 'inside.txt'), 'nor this');
      const drop = join(dataDir, 'drop', gone.id);
      mkdirSync(drop, { recursive: true });
      writeFileSync(join(drop, 'own.txt'), 'a dropped file');
      symlinkSync(join(elsewhere, 'outside.txt'), join(drop, 'file-link.txt'));
      symlinkSync(join(elsewhere, 'folder'), join(drop, 'folder-link'));

      const deleted = await t.admin.delete<{ deleted: { blobs: number } }>(`/v1/projects/${gone.id}`);
      expect(deleted.status).toBe(200);
      // the dropped file and the two links, each counted once: the linked folder was not entered
      expect(deleted.body.deleted.blobs).toBe(3);
      expect(existsSync(drop)).toBe(false);
      expect(readFileSync(join(elsewhere, 'outside.txt'), 'utf8')).toBe("not the project's to delete");
      expect(readdirSync(join(elsewhere, 'folder'))).toEqual(['inside.txt']);
      await t.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('keeps the data directory to its user: folders 0700, files 0600, an older 0755 directory narrowed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'oprag-modes-'));
    try {
      // a data directory made before this rule, as mkdir makes it
      mkdirSync(join(dataDir, 'projects'), { recursive: true, mode: 0o755 });
      const t = await startTestServer({ dataDir });
      const p = await t.project('modes');
      await p.client.post('/v1/documents?wait=true', { text: 'Small document.', title: 'small' });
      await p.client.post('/v1/documents?wait=true', { text: `${'Large document text. '.repeat(20_000)}` });
      await t.admin.request('PATCH', `/v1/projects/${p.id}`, { webhook_url: 'https://hooks.example.com/x' });
      const files = walk(dataDir);
      // the control database, a project index, a small-blob database, a large blob file and the admin key
      expect(files.filter((f) => !f.dir).length).toBeGreaterThanOrEqual(5);
      expect(files.some((f) => /^blobs\/prj_\w+\/(originals|text)\/doc_\w+$/.test(f.path))).toBe(true);
      expect(lstatSync(dataDir).mode & 0o777).toBe(0o700);
      const wrong = files.filter((f) => f.mode !== (f.dir ? 0o700 : 0o600));
      expect(wrong).toEqual([]);
      await t.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
