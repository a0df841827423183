import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { PublicDocument as Doc } from '../../lambdas/service/document-view';
import { makePdf } from '../fixtures/documents';
import { startTestServer, type TestServer, uploadReady } from '../helpers/server';

/** The bytes of the files below `path`. */
function bytesBelow(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((n, name) => n + bytesBelow(join(path, name)), 0);
}

/**
 * The embedded home keeps text compressed; what a client reads back is still the very bytes it
 * sent: the content route and the export's originals, byte for byte, small and large, text and
 * binary.
 */
describe('document content over HTTP, with the blob store compressing', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  const handbook = (n: number) =>
    Array.from({ length: n }, (_, i) => `Rule ${i}: the café opens at ${7 + (i % 3)} o’clock — ✓ ${i % 11}.\r\n`).join(
      '',
    );

  const upload = (key: string, bytes: Uint8Array, filename: string, type: string) =>
    uploadReady(t.url, key, { bytes, filename, type });

  it('returns each original byte for byte, and exports them so, while text takes less room than it holds', async () => {
    const p = await t.project('content bytes');
    const smallText = Buffer.from(handbook(40), 'utf8'); // a row of small.db
    const largeText = Buffer.from(handbook(9000), 'utf8'); // about 500 KB: a file of its own
    const pdf = Buffer.from(await makePdf([['The café opens at seven.']], { noiseBytesPerPage: 20_000 }));
    const largePdf = Buffer.from(await makePdf([['Page one.'], ['Page two.']], { noiseBytesPerPage: 200_000 }));
    const sent: [Buffer, string, string][] = [
      [smallText, 'rules.txt', 'text/plain'],
      [largeText, 'handbook.md', 'text/markdown'],
      [pdf, 'scan.pdf', 'application/pdf'],
      [largePdf, 'big-scan.pdf', 'application/pdf'],
    ];
    const docs: Doc[] = [];
    for (const [bytes, filename, type] of sent) docs.push(await upload(p.key, bytes, filename, type));

    for (const [i, [bytes, , type]] of sent.entries()) {
      const res = await fetch(`${t.url}/v1/documents/${docs[i].id}/content`, {
        headers: { authorization: `Bearer ${p.key}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
      const got = Buffer.from(await res.arrayBuffer());
      expect([docs[i].filename, got.length, got.equals(bytes)]).toEqual([docs[i].filename, bytes.length, true]);
    }

    // the export's originals are the same bytes
    const created = await t.admin.post<{ export: { id: string } }>(`/v1/projects/${p.id}/exports?originals=true`);
    expect(created.status).toBe(202);
    await t.server.home.jobs.idle();
    const job = await t.admin.get<{ export: { url: string } }>(
      `/v1/projects/${p.id}/exports/${created.body.export.id}`,
    );
    const lines = (await (await fetch(job.body.export.url)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; id?: string; content_base64?: string });
    for (const [i, [bytes]] of sent.entries()) {
      const line = lines.find((l) => l.type === 'document' && l.id === docs[i].id);
      expect(Buffer.from(String(line?.content_base64), 'base64').equals(bytes)).toBe(true);
    }

    // on disk: the texts (each kept twice, original and extracted) in less than they hold once;
    // the PDFs' noise as it is
    const stored = bytesBelow(join(t.dataDir, 'blobs', p.id));
    expect(stored).toBeLessThan(smallText.length + largeText.length + pdf.length + largePdf.length);
    expect(stored).toBeGreaterThan(pdf.length + largePdf.length);
  });

  it("answers 404 for another project's document content", async () => {
    const a = await t.project('content owner');
    const b = await t.project('content outsider');
    const doc = await upload(a.key, Buffer.from(handbook(30)), 'mine.txt', 'text/plain');
    for (const path of [`/v1/documents/${doc.id}/content`, `/v1/projects/${a.id}/documents/${doc.id}/content`]) {
      const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${b.key}` } });
      const body = (await res.json()) as { error: { type: string } };
      expect([path, res.status, body.error.type]).toEqual([path, 404, 'not_found']);
    }
  });
});
