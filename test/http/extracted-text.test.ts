import type { SupportedType } from '../../lambdas/core/formats/detect';
import { parseDocument } from '../../lambdas/core/parse-document';
import { DERIVED_TEXT_TYPE } from '../../lambdas/core/stored-text';
import type { PublicDocument as Doc } from '../../lambdas/service/document-view';
import { keepTextOfReplaced } from '../../lambdas/service/ingest/accept';
import { makePdf } from '../fixtures/documents';
import { startTestServer, type TestServer, uploadReady } from '../helpers/server';

type Line = { type: string; id?: string; text?: string | null; content_base64?: string };

const lines = (ndjson: string) =>
  ndjson
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

/**
 * A text document's extracted text is not kept a second time beside its original: a marker
 * says how the original gives it back. The export shows the very text the reader made, whether
 * it was kept as a marker, in full, or in full by an older version of the data directory.
 */
describe('extracted text kept once, exported whole', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  const upload = (key: string, bytes: Uint8Array, filename: string, type: string) =>
    uploadReady(t.url, key, { bytes, filename, type });

  async function exportJob(projectId: string): Promise<Line[]> {
    const created = await t.admin.post<{ export: { id: string } }>(`/v1/projects/${projectId}/exports?originals=true`);
    expect(created.status).toBe(202);
    await t.server.home.jobs.idle();
    const job = await t.admin.get<{ export: { url: string } }>(
      `/v1/projects/${projectId}/exports/${created.body.export.id}`,
    );
    return lines(await (await fetch(job.body.export.url)).text());
  }

  it('keeps markers for text documents, the text for the rest, and exports what the reader made', async () => {
    const p = await t.project('kept once');
    const sent: [Buffer, string, SupportedType][] = [
      [
        Buffer.from('Refunds\r\n\r\n  Refunds take five days.  \r\n\r\n\r\nShipping is free.\r\n'),
        'policy.txt',
        'text/plain',
      ],
      [Buffer.from('The café opens at seven — every day ✓.'), 'hours.txt', 'text/plain'],
      [Buffer.from('# Returns\n\nReturns take **ten** days.\n'), 'returns.md', 'text/markdown'],
      [Buffer.from(await makePdf([['The warranty lasts two years.']])), 'warranty.pdf', 'application/pdf'],
    ];
    const docs: Doc[] = [];
    for (const [bytes, filename, type] of sent) docs.push(await upload(p.key, bytes, filename, type));
    const json = await p.client.post<{ document: Doc }>('/v1/documents?wait=true', {
      title: 'Posted',
      text: '  Gift cards never expire.\n',
    });
    expect(json.status).toBe(201);
    docs.push(json.body.document);
    sent.push([Buffer.from('  Gift cards never expire.\n'), 'posted', 'text/plain']);

    const blobs = t.server.home.blobs.forProject(p.id);
    const kept = await Promise.all(docs.map((d) => blobs.get(`text/${d.id}`)));
    expect(kept.map((k) => k?.contentType)).toEqual([
      DERIVED_TEXT_TYPE,
      DERIVED_TEXT_TYPE,
      'text/plain',
      'text/plain',
      DERIVED_TEXT_TYPE,
    ]);

    // what the reader makes of each (the PDF's text layer, read in the server's worker, is its one line)
    const expected = await Promise.all(
      sent.map(async ([bytes, , type]) =>
        type === 'application/pdf' ? 'The warranty lasts two years.' : (await parseDocument(bytes, type)).text,
      ),
    );
    expect(expected.slice(0, 3)).toEqual([
      'Refunds\n\nRefunds take five days.\n\nShipping is free.',
      'The café opens at seven — every day ✓.',
      'Returns\n\nReturns take ten days.',
    ]);
    const inline = await t.admin.get<string>(`/v1/projects/${p.id}/export`);
    expect(inline.status).toBe(200);
    const job = await exportJob(p.id);
    for (const exported of [lines(inline.body), job]) {
      const texts = docs.map((d) => exported.find((l) => l.type === 'document' && l.id === d.id)?.text);
      expect(texts).toEqual(expected);
    }
    // the job's originals are still the bytes sent
    for (const [i, d] of docs.entries()) {
      const line = job.find((l) => l.type === 'document' && l.id === d.id);
      expect(Buffer.from(String(line?.content_base64), 'base64').equals(sent[i][0])).toBe(true);
    }
  });

  it('exports text kept in full by an older data directory as it is, and a replaced document by its new text', async () => {
    const p = await t.project('older rows');
    const post = (text: string) =>
      p.client.post<{ document: Doc }>('/v1/documents?wait=true', { text, external_id: 'orders', title: 'Orders' });
    const doc = (await post('Orders ship in two days.')).body.document;
    expect(doc.status).toBe('ready');
    // as an older version kept it: the extracted text itself
    const blobs = t.server.home.blobs.forProject(p.id);
    await blobs.put(`text/${doc.id}`, Buffer.from('Orders ship in two days.'), 'text/plain');
    let exported = lines((await t.admin.get<string>(`/v1/projects/${p.id}/export`)).body);
    expect(exported.find((l) => l.id === doc.id)?.text).toBe('Orders ship in two days.');

    // a new version of the same document (by its external id) replaces the text it exports
    const again = await post('Orders ship in one day.\n');
    expect([again.status, again.body.document.id]).toEqual([201, doc.id]);
    expect((await blobs.get(`text/${doc.id}`))?.contentType).toBe(DERIVED_TEXT_TYPE);
    exported = lines((await t.admin.get<string>(`/v1/projects/${p.id}/export`)).body);
    expect(exported.find((l) => l.id === doc.id)?.text).toBe('Orders ship in one day.');
  });

  it("keeps the previous version's text, not a marker, once a new original replaces the one it derives from", async () => {
    const p = await t.project('replaced while waiting');
    const doc = (
      await p.client.post<{ document: Doc }>('/v1/documents?wait=true', {
        text: 'Parcels leave within two days.',
        external_id: 'parcels',
      })
    ).body.document;
    const blobs = t.server.home.blobs.forProject(p.id);
    expect((await blobs.get(`text/${doc.id}`))?.contentType).toBe(DERIVED_TEXT_TYPE);
    // what accepting a new version does before it writes the new original
    await keepTextOfReplaced(blobs, doc.id);
    const kept = await blobs.get(`text/${doc.id}`);
    expect([kept?.contentType, kept?.bytes.toString('utf8')]).toEqual(['text/plain', 'Parcels leave within two days.']);
    // the new original, not yet read: the export still shows the previous version's text
    await blobs.put(`originals/${doc.id}`, Buffer.from('Parcels leave the same day.'), 'text/plain');
    const exported = lines((await t.admin.get<string>(`/v1/projects/${p.id}/export`)).body);
    expect(exported.find((l) => l.id === doc.id)?.text).toBe('Parcels leave within two days.');
    // a text kept in full is left as it is
    await keepTextOfReplaced(blobs, doc.id);
    expect((await blobs.get(`text/${doc.id}`))?.bytes.toString('utf8')).toBe('Parcels leave within two days.');
  });

  it("never exports one project's text to another project's key", async () => {
    const a = await t.project('text owner');
    const b = await t.project('text outsider');
    await upload(a.key, Buffer.from('Only the owner reads this.'), 'secret.txt', 'text/plain');
    for (const path of [`/v1/projects/${a.id}/export`, `/v1/projects/${a.id}/exports`]) {
      const res = await fetch(`${t.url}${path}`, {
        method: path.endsWith('exports') ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${b.key}` },
      });
      const text = await res.text();
      expect([path, res.status === 404 || res.status === 403, text.includes('Only the owner')]).toEqual([
        path,
        true,
        false,
      ]);
    }
  });
});
