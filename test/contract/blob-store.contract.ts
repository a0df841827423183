import { newId } from '../../lambdas/core/ids';
import type { BlobStore, ProjectBlobs } from '../../lambdas/ports';

export type MakeBlobStore = () => Promise<{
  blobs: BlobStore;
  close(): Promise<void>;
  /** puts an object at a landing key the way files land there (a PUT to S3), for stores with landing areas */
  land?(key: string, bytes: Buffer, contentType?: string): Promise<void>;
}>;

const BINARY = Buffer.from([0x00, 0xff, 0x10, 0x00, 0x7f, 0x80, 0xfe, 0xff, 0x0a, 0x0d]);
const originalKey = () => `originals/${newId('document')}`;

/** The BlobStore port contract: every adapter that can run here runs this very suite. */
export function describeBlobStoreContract(name: string, make: MakeBlobStore, landing = false): void {
  describe(`BlobStore contract: ${name}`, () => {
    let current: Awaited<ReturnType<MakeBlobStore>>;
    let blobs: ProjectBlobs;
    beforeEach(async () => {
      current = await make();
      blobs = current.blobs.forProject(newId('project'));
    });
    afterEach(async () => {
      await current.close();
    });

    it('round-trips binary bytes with their content type', async () => {
      const key = originalKey();
      await blobs.put(key, BINARY, 'application/pdf');

      const got = await blobs.get(key);

      expect(got?.contentType).toBe('application/pdf');
      expect(got?.bytes.equals(BINARY)).toBe(true);
      expect(got?.bytes).toHaveLength(BINARY.length);
    });

    it('round-trips large and small text and random bytes exactly, each with its type', async () => {
      const text = Buffer.from('Résumé of the leave policy: ✓ 10 days, ✗ none in May.\r\n'.repeat(6000)); // ~370 KB
      const random = Buffer.from(Array.from({ length: 300 * 1024 }, (_, i) => (i * 2654435761) >>> 24));
      const blobsToPut: [string, Buffer, string][] = [
        [originalKey(), text, 'text/plain; charset=utf-8'],
        [originalKey(), text.subarray(0, 5000), 'text/markdown'],
        [originalKey(), random, 'application/pdf'],
        [originalKey(), random.subarray(0, 5000), 'text/plain'], // claims text, does not compress
        [`text/${newId('document')}`, Buffer.from('short'), 'text/plain'],
      ];
      for (const [key, bytes, type] of blobsToPut) await blobs.put(key, bytes, type);

      for (const [key, bytes, type] of blobsToPut) {
        const got = await blobs.get(key);
        expect(got?.contentType).toBe(type);
        expect(got?.bytes.length).toBe(bytes.length);
        expect(got?.bytes.equals(bytes)).toBe(true);
      }
    });

    it('round-trips an empty blob', async () => {
      const key = `text/${newId('document')}`;
      await blobs.put(key, Buffer.alloc(0), 'text/plain');

      const got = await blobs.get(key);

      expect(got?.bytes).toHaveLength(0);
      expect(got?.contentType).toBe('text/plain');
    });

    it('returns null for a missing key', async () => {
      await blobs.put(originalKey(), BINARY, 'application/pdf');

      expect(await blobs.get(originalKey())).toBeNull();
    });

    it('overwrites bytes and content type', async () => {
      const key = originalKey();
      await blobs.put(key, BINARY, 'application/pdf');

      await blobs.put(key, Buffer.from('second version'), 'text/markdown');

      const got = await blobs.get(key);
      expect(got?.bytes.toString('utf8')).toBe('second version');
      expect(got?.contentType).toBe('text/markdown');
    });

    it('delete returns true, then false, and the blob is gone', async () => {
      const key = originalKey();
      const kept = originalKey();
      await blobs.put(key, BINARY, 'application/pdf');
      await blobs.put(kept, BINARY, 'application/pdf');

      expect(await blobs.delete(key)).toBe(true);
      expect(await blobs.delete(key)).toBe(false);
      expect(await blobs.get(key)).toBeNull();
      expect(await blobs.get(kept)).not.toBeNull();
    });

    it('deleteAll returns how many blobs there were and empties the project', async () => {
      const keys = [originalKey(), originalKey(), `text/${newId('document')}`];
      for (const k of keys) await blobs.put(k, BINARY, 'application/octet-stream');
      await blobs.put(keys[0], Buffer.from('overwritten'), 'text/plain'); // still one blob

      expect(await blobs.deleteAll()).toBe(3);

      for (const k of keys) expect(await blobs.get(k)).toBeNull();
      expect(await blobs.deleteAll()).toBe(0);
    });

    it("never shows another project's blobs, and deleteAll leaves them", async () => {
      const other = current.blobs.forProject(newId('project'));
      const key = originalKey();
      await blobs.put(key, BINARY, 'application/pdf');

      expect(await other.get(key)).toBeNull();
      expect(await other.delete(key)).toBe(false);
      expect(await other.deleteAll()).toBe(0);
      expect((await blobs.get(key))?.bytes.equals(BINARY)).toBe(true);
    });

    it('keeps the same key apart in two projects', async () => {
      const other = current.blobs.forProject(newId('project'));
      const key = originalKey();
      await blobs.put(key, Buffer.from('mine'), 'text/plain');
      await other.put(key, Buffer.from('theirs'), 'text/plain');

      expect((await blobs.get(key))?.bytes.toString()).toBe('mine');
      expect((await other.get(key))?.bytes.toString()).toBe('theirs');
    });

    it('refuses keys that could escape the project', async () => {
      for (const bad of ['../x', 'a/../../b', '/etc/passwd', `originals/../../${newId('project')}/x`]) {
        await expect(blobs.put(bad, BINARY, 'text/plain')).rejects.toThrow();
        await expect(blobs.get(bad)).rejects.toThrow();
        await expect(blobs.delete(bad)).rejects.toThrow();
      }
    });

    it('refuses an invalid project id', () => {
      for (const bad of ['../x', 'prj_bad', '']) expect(() => current.blobs.forProject(bad)).toThrow();
    });

    if (landing) {
      const landed = () => current.blobs as Required<BlobStore>;

      it('reads a landed drop or upload with its type, and deletes it once its bytes are kept', async () => {
        const projectId = newId('project');
        const drop = `drop/${projectId}/hand book/leave policy.md`;
        const upload = `uploads/${projectId}/${newId('upload')}`;
        await current.land?.(drop, Buffer.from('# Leave'), 'text/markdown');
        await current.land?.(upload, BINARY);

        expect(await landed().readLanded(drop)).toEqual({
          bytes: Buffer.from('# Leave'),
          contentType: 'text/markdown',
          metadata: {}, // none was written
        });
        expect((await landed().readLanded(upload))?.bytes.equals(BINARY)).toBe(true);

        await landed().deleteLanded(upload);
        await landed().deleteLanded(upload); // already gone: no error

        expect(await landed().readLanded(upload)).toBeNull();
        expect(await landed().readLanded(drop)).not.toBeNull();
        expect(await landed().readLanded(`drop/${projectId}/never-written.txt`)).toBeNull();
      });

      it("purges a project's landing areas, and nothing of another project", async () => {
        const gone = newId('project');
        const kept = newId('project');
        await current.land?.(`drop/${gone}/a.txt`, Buffer.from('a'), 'text/plain');
        await current.land?.(`drop/${gone}/deep/b.txt`, Buffer.from('b'), 'text/plain');
        await current.land?.(`uploads/${gone}/${newId('upload')}`, BINARY);
        await current.land?.(`drop/${kept}/c.txt`, Buffer.from('c'), 'text/plain');

        expect(await landed().purgeLanded(gone)).toBe(3);

        expect(await landed().readLanded(`drop/${gone}/a.txt`)).toBeNull();
        expect(await landed().readLanded(`drop/${gone}/deep/b.txt`)).toBeNull();
        expect(await landed().readLanded(`drop/${kept}/c.txt`)).not.toBeNull();
        expect(await landed().purgeLanded(gone)).toBe(0);
      });

      it("refuses keys outside the landing areas, a project's own blobs among them", async () => {
        const projectId = newId('project');
        const key = originalKey();
        await current.blobs.forProject(projectId).put(key, BINARY, 'application/pdf');
        for (const bad of [
          `projects/${projectId}/${key}`,
          `../projects/${projectId}/${key}`,
          `drop/${projectId}`,
          'drop/prj_bad/x.txt',
          `other/${projectId}/x.txt`,
        ]) {
          await expect(landed().readLanded(bad)).rejects.toThrow();
          await expect(landed().deleteLanded(bad)).rejects.toThrow();
        }
        expect((await current.blobs.forProject(projectId).get(key))?.bytes.equals(BINARY)).toBe(true);
      });
    }
  });
}
