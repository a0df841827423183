import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, type ApiResponse } from '../../lambdas/client/api-client';
import { DEFAULT_CHUNKING } from '../../lambdas/core/chunking';
import type { PublicDocument } from '../../lambdas/service/document-view';
import { docxBomb, encryptedPdf, makeDocx, makePdf, random, zip, entry as zipEntry } from '../fixtures/documents';
import { spawnServer } from '../helpers/cli';

/**
 * The files customers send by accident, each against a real `oprag serve` child process (PDF and
 * DOCX readers run there as in production): every one ends as a 4xx with API.md's error body or a
 * `failed` document with a reason a person can act on; the server stays up, and the documents of
 * this and another project are untouched.
 */

jest.setTimeout(120_000);

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
type Doc = PublicDocument;
interface ErrorBody {
  error: { type: string; message: string; request_id: string };
  document?: Doc;
}

/**
 * A 5 MB line of words with one sentinel, built when the file loads: built between two requests,
 * its seconds of blocking on a loaded machine outlast the server's keep-alive, and the next
 * request goes out on a connection the server has just closed.
 */
const ONE_LINE = (() => {
  const rand = random(5);
  const words = ['ledger', 'balance', 'account', 'entry', 'credit', 'debit', 'period', 'closing'];
  const parts: string[] = [];
  let size = 0;
  while (size < 3.9 * 2 ** 20) {
    const w = words[Math.floor(rand() * words.length)];
    parts.push(w);
    size += w.length + 1;
  }
  parts.splice(Math.floor(parts.length * 0.7), 0, 'sentinel-WALRUS-991');
  return parts.join(' ');
})();

let server: ReturnType<typeof spawnServer>;
let dataDir: string;
let admin: ApiClient;
let projectA: string;
let projectB: string;
const reference: Record<string, string> = {};

const docs = (p: string) => `/v1/projects/${p}/documents`;

/** POSTs bytes as JSON (`content_base64`) and waits for the outcome. */
function sendBytes(project: string, bytes: Buffer, fields: Record<string, unknown>) {
  return admin.post<{ document: Doc } & ErrorBody>(`${docs(project)}?wait=true`, {
    content_base64: bytes.toString('base64'),
    ...fields,
  });
}

async function sendMultipart(project: string, bytes: Buffer, filename: string, type: string) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), filename);
  const res = await fetch(`${admin.baseUrl}${docs(project)}?wait=true`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as { document: Doc } & ErrorBody };
}

let key: string;

function expectError(res: ApiResponse<ErrorBody>, status: number, type: string, message: RegExp) {
  expect({ status: res.status, type: res.body.error?.type }).toEqual({ status, type });
  expect(res.body.error.message).toMatch(message);
  expect(res.body.error.request_id).toMatch(/^req_/);
}

/** A failed `?wait=true` ingest: 422 with the failed document beside the error. */
function expectFailed(res: ApiResponse<ErrorBody>, reason: RegExp) {
  expect(res.status).toBe(422);
  expect(res.body.error.type).toBe('unprocessable');
  expect(res.body.error.message).toMatch(reason);
  expect(res.body.document?.status).toBe('failed');
  expect(res.body.document?.error).toMatch(reason);
  expect(res.body.document?.chunks).toBe(0);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'oprag-bad-input-'));
  server = spawnServer(dataDir);
  const url = await server.ready;
  key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
  admin = new ApiClient(url, key);
  for (const name of ['A', 'B']) {
    const res = await admin.post<{ project: { id: string } }>('/v1/projects', { name: `project ${name}` });
    if (name === 'A') projectA = res.body.project.id;
    else projectB = res.body.project.id;
  }
  for (const [p, text] of [
    [projectA, 'The staging cluster password rotates every ninety days under policy KESTREL.'],
    [projectB, 'Invoices from project B are archived for seven years under policy OSPREY.'],
  ]) {
    const res = await admin.post<{ document: Doc }>(`${docs(p)}?wait=true`, { text, external_id: 'reference' });
    expect(res.status).toBe(201);
    reference[p] = res.body.document.id;
  }
});

afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

describe('PDF and DOCX, end to end', () => {
  test('a PDF through an upload URL: pages become citation pages, its title the document title', async () => {
    const pages = [
      ['Travel handbook', 'Book flights through the portal.'],
      ['Hotels', 'Hotel stays are capped at 180 euros per night in Lisbon.'],
      ['Meals', 'Dinner allowance is 45 euros per day.'],
    ];
    const pdf = await makePdf(pages, { title: 'Travel handbook 2026' });
    const upload = await admin.post<{ upload: { url: string; document_id: string } }>(
      `/v1/projects/${projectA}/uploads`,
      { filename: 'travel.pdf', content_type: 'application/pdf', url: '/docs/travel' },
    );
    const put = await fetch(upload.body.upload.url, {
      method: 'PUT',
      headers: { 'content-type': 'application/pdf' },
      body: pdf,
    });
    expect(put.status).toBe(200);
    let doc: Doc | undefined;
    for (let i = 0; i < 100 && doc?.status !== 'ready' && doc?.status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      doc = (await admin.get<{ document: Doc }>(`${docs(projectA)}/${upload.body.upload.document_id}`)).body.document;
    }
    expect(doc).toMatchObject({ status: 'ready', title: 'Travel handbook 2026', content_type: 'application/pdf' });
    const chat = await admin.post<{
      grounded: boolean;
      answer: string;
      citations: { page: number | null; url: string | null; document_id: string }[];
    }>(`/v1/projects/${projectA}/chat`, { question: 'What is the hotel cap per night in Lisbon?' });
    expect(chat.body.grounded).toBe(true);
    expect(chat.body.answer).toContain('180 euros');
    expect(chat.body.citations[0]).toMatchObject({ page: 2, url: '/docs/travel', document_id: doc?.id });
  });

  test('a DOCX by multipart: headings become citation sections, text stays plain', async () => {
    const docx = makeDocx([
      '# Employee handbook',
      '## Parental leave',
      'Parents receive <sixteen> weeks of paid parental leave & may split them.',
      '## Equipment',
      'Laptops are replaced every three years.',
    ]);
    const res = await sendMultipart(projectA, docx, 'handbook.docx', DOCX);
    expect(res.status).toBe(201);
    expect(res.body.document).toMatchObject({ status: 'ready', title: 'Employee handbook' });
    const chat = await admin.post<{
      grounded: boolean;
      answer: string;
      citations: { section: string | null; snippet: string }[];
    }>(`/v1/projects/${projectA}/chat`, { question: 'How many weeks of parental leave do parents receive?' });
    expect(chat.body.grounded).toBe(true);
    expect(chat.body.answer).toContain('Parents receive <sixteen> weeks of paid parental leave & may split them');
    expect(chat.body.citations[0].section).toMatch(/Parental leave/);
    expect(chat.body.citations[0].snippet).not.toMatch(/&lt;|&amp;|<p>/);
  });
});

describe('broken and hostile files', () => {
  test('a truncated PDF fails with a reason', async () => {
    const pdf = await makePdf([['Quarterly numbers'], ['More numbers']]);
    expectFailed(
      await sendBytes(projectA, pdf.subarray(0, Math.floor(pdf.length * 0.6)), { filename: 'report.pdf' }),
      /PDF is truncated/,
    );
  });

  test('an encrypted PDF fails asking for a copy without a password', async () => {
    expectFailed(await sendBytes(projectA, encryptedPdf(), { filename: 'locked.pdf' }), /password-protected/);
  });

  test('a DOCX that is a zip bomb fails before it is unzipped', async () => {
    const bomb = await docxBomb(400 * 2 ** 20);
    expect(bomb.length).toBeLessThan(2 * 2 ** 20);
    // refused from its directory's declared sizes, not after inflating 400 MB
    expectFailed(
      await sendBytes(projectA, bomb, { filename: 'bomb.docx', content_type: DOCX }),
      /expands to \d+ MB when unzipped \(at most 64 MB is read\); it may be a zip bomb/,
    );
  });

  test('a damaged DOCX fails with a reason', async () => {
    const docx = makeDocx(['# Title', 'Body text']);
    expectFailed(await sendBytes(projectA, docx.subarray(0, docx.length - 40), { filename: 'cut.docx' }), /DOCX/);
  });

  test('binary disguised as .txt is refused with 415', async () => {
    const rand = random(11);
    const bytes = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(rand() * 256)));
    expectError(
      await sendBytes(projectA, bytes, { filename: 'notes.txt', content_type: 'text/plain' }),
      415,
      'unsupported_media_type',
      /binary/,
    );
    const multipart = await sendMultipart(projectA, bytes, 'notes.txt', 'text/plain');
    expect(multipart.status).toBe(415);
  });

  test('a ZIP that is not a DOCX, and an RTF file, are refused with 415 and store nothing', async () => {
    const archive = zip([zipEntry('manual/intro.md', '# Intro\n\nThe archive holds a manual.')]);
    expectError(
      await sendBytes(projectA, archive, { filename: 'manual.docx', external_id: 'zip-not-docx' }),
      415,
      'unsupported_media_type',
      /ZIP archive but not a DOCX/,
    );
    expect((await sendMultipart(projectA, archive, 'manual.zip', 'application/octet-stream')).status).toBe(415);
    const rtf = Buffer.from('{\\rtf1\\ansi {\\fonttbl {\\f0 Times;}} The warehouse is in Lyon.}', 'latin1');
    expectError(
      await sendBytes(projectA, rtf, { filename: 'letter.rtf', external_id: 'rtf-letter' }),
      415,
      'unsupported_media_type',
      /RTF/,
    );
    const list = await admin.get<{ documents: { external_id: string | null }[] }>(
      `/v1/projects/${projectA}/documents?limit=200`,
    );
    const kept = list.body.documents.map((d) => d.external_id);
    expect(kept).not.toContain('zip-not-docx');
    expect(kept).not.toContain('rtf-letter');
  });

  test('a password-protected Office file is refused with 415 and told what to do', async () => {
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(2048)]);
    expectError(await sendBytes(projectA, ole, { filename: 'secret.docx' }), 415, 'unsupported_media_type', /\.docx/);
  });

  test('text that is not UTF-8 (a Latin-1 export) is read in its own encoding, not refused', async () => {
    const latin1 = Buffer.from('Le menu du café: crème brûlée et façade naïve, prix en francs.', 'latin1');
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(latin1)).toThrow();
    const res = await sendBytes(projectA, latin1, { filename: 'menu.txt', external_id: 'latin1' });
    expect(res.status).toBe(201);
    const found = await admin.post<{ results: { text: string }[] }>(`/v1/projects/${projectA}/retrieve`, {
      query: 'crème brûlée menu',
    });
    expect(found.body.results[0].text).toContain('crème brûlée et façade naïve');
  });

  test('an empty file and a 0-byte upload get 400 and leave no document', async () => {
    expectError(await sendBytes(projectA, Buffer.alloc(0), { filename: 'empty.txt' }), 400, 'invalid_request', /empty/);
    const created = await admin.post<{ upload: { url: string; document_id: string } }>(
      `/v1/projects/${projectA}/uploads`,
      { filename: 'empty.txt', content_type: 'text/plain' },
    );
    expect(created.status).toBe(201);
    const put = await fetch(created.body.upload.url, { method: 'PUT', headers: { 'content-type': 'text/plain' } });
    expect(put.status).toBe(400);
    expect(((await put.json()) as ErrorBody).error.message).toMatch(/empty/);
    expect((await admin.get(`${docs(projectA)}/${created.body.upload.document_id}`)).status).toBe(404);
  });

  test('a multipart body cut off inside its file part gets 400, and the server stays up', async () => {
    const cut = '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nunterminated';
    const res = await fetch(`${admin.baseUrl}${docs(projectA)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'multipart/form-data; boundary=XYZ' },
      body: cut,
    });
    const body = (await res.json()) as ErrorBody;
    expect({ status: res.status, type: body.error.type }).toEqual({ status: 400, type: 'invalid_request' });
    expect(body.error.message).toMatch(/ends inside a part/);
    expect(server.child.exitCode).toBeNull();
    expect((await admin.get('/v1/projects')).status).toBe(200);
  });

  test('an upload whose bytes are not what it declared ends as a failed document under the promised id', async () => {
    const created = await admin.post<{ upload: { url: string; headers: Record<string, string>; document_id: string } }>(
      `/v1/projects/${projectA}/uploads`,
      { filename: 'u.pdf', content_type: 'application/pdf' },
    );
    expect(created.status).toBe(201);
    const { url, headers, document_id } = created.body.upload;
    const put = await fetch(url, { method: 'PUT', headers, body: 'not a pdf' });
    expect(put.status).toBeLessThan(300);
    const doc = await admin.get<{ document: Doc }>(`${docs(projectA)}/${document_id}`);
    expect(doc.status).toBe(200);
    expect(doc.body.document).toMatchObject({ status: 'failed', chunks: 0, filename: 'u.pdf' });
    expect(doc.body.document.error).toMatch(/pdf/i);
  });

  test('a multipart file name in UTF-8 is kept as sent', async () => {
    const res = await sendMultipart(
      projectA,
      Buffer.from('Crème brûlée recipe notes.'),
      'naïve crème.txt',
      'text/plain',
    );
    expect(res.status).toBe(201);
    expect(res.body.document.filename).toBe('naïve crème.txt');
  });

  test('metadata nested too deep to measure is 400, not a server error', async () => {
    const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    const res = await fetch(`${admin.baseUrl}${docs(projectA)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: `{"text":"Deep metadata.","metadata":${deep}}`,
    });
    const body = (await res.json()) as ErrorBody;
    expect({ status: res.status, type: body.error.type }).toEqual({ status: 400, type: 'invalid_request' });
    expect(body.error.message).toMatch(/metadata/);
  });

  test('a document url that would run script or read local files is refused', async () => {
    for (const url of [
      'javascript:alert(1)',
      ' JavaScript:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html,x',
      'file:///etc/passwd',
    ]) {
      const res = await admin.post<ErrorBody>(docs(projectA), { text: 'Links.', url });
      expectError(res, 400, 'invalid_request', /scheme/);
    }
    for (const url of ['/kb/links', 'https://docs.example.com/links', 'acme-app://doc/7']) {
      const res = await admin.post<{ document: Doc }>(`${docs(projectA)}?wait=true`, { text: `Links ${url}.`, url });
      expect(res.status).toBe(201);
      expect(res.body.document.url).toBe(url);
    }
  });

  test('a 3.9 MB single line is cut into bounded chunks and stays findable', async () => {
    const line = ONE_LINE;
    expect(line.includes('\n')).toBe(false);
    const res = await sendBytes(projectA, Buffer.from(line), { filename: 'line.txt', external_id: 'one-line' });
    expect(res.status).toBe(201);
    expect(res.body.document.chunks).toBeGreaterThan(line.length / DEFAULT_CHUNKING.maxChars);
    const found = await admin.post<{ results: { text: string }[] }>(`/v1/projects/${projectA}/retrieve`, {
      query: 'sentinel-WALRUS-991',
      top_k: 3,
    });
    expect(found.body.results[0].text).toContain('WALRUS-991');
    for (const r of found.body.results) expect(r.text.length).toBeLessThanOrEqual(DEFAULT_CHUNKING.maxChars);
  });

  test('deeply nested JSON fails with a reason instead of overflowing the stack', async () => {
    const deep = `${'['.repeat(100_000)}"x"${']'.repeat(100_000)}`;
    expectFailed(await sendBytes(projectA, Buffer.from(deep), { filename: 'deep.json' }), /nests 100000 levels/);
    const objects = `${'{"a":'.repeat(5_000)}"x"${'}'.repeat(5_000)}`;
    expectFailed(await sendBytes(projectA, Buffer.from(objects), { filename: 'deep2.json' }), /nests 5000 levels/);
  });

  test('HTML full of script tags yields only its text, never markup or script', async () => {
    const html = `<html><head><script>var token = "SCRIPTSECRET";</script><style>p { color: red }</style></head><body>
      ${'<script>document.write("SCRIPTSECRET")</script>'.repeat(2_000)}
      <nav><a href="/">Home</a> <a href="/x">Menu</a></nav>
      <main><h1>Leave policy</h1><p>Employees accrue <b>two days</b> of leave per month &amp; may carry five over.</p></main>
      <script src="x.js"></script><noscript>Enable SCRIPTSECRET</noscript></body></html>`;
    const res = await sendBytes(projectA, Buffer.from(html), { filename: 'page.html', external_id: 'html' });
    expect(res.status).toBe(201);
    const content = await admin.post<{ results: { text: string; section: string | null }[] }>(
      `/v1/projects/${projectA}/retrieve`,
      { query: 'leave accrue per month', filter: { document_ids: [res.body.document.id] } },
    );
    expect(content.body.results[0].text).toContain(
      'Employees accrue two days of leave per month & may carry five over.',
    );
    const all = content.body.results.map((r) => r.text).join('\n');
    expect(all).not.toMatch(/SCRIPTSECRET|<\/?[a-z]+[\s>]|color: red/);
    const probe = await admin.post<{ results: unknown[] }>(`/v1/projects/${projectA}/retrieve`, {
      query: 'SCRIPTSECRET',
    });
    expect(probe.body.results).toEqual([]);
  });

  test('a file name with path traversal is kept as its last segment and never used as a path', async () => {
    const evil = '../../../../../../tmp/oprag-escape-check.txt';
    rmSync('/tmp/oprag-escape-check.txt', { force: true });
    const viaJson = await sendBytes(projectA, Buffer.from('Traversal test text about harbour pilots.'), {
      filename: evil,
      external_id: 'traversal-json',
    });
    expect(viaJson.status).toBe(201);
    expect(viaJson.body.document.filename).toBe('oprag-escape-check.txt');
    const viaForm = await sendMultipart(
      projectA,
      Buffer.from('More harbour pilots.'),
      '..\\..\\windows\\evil.txt',
      'text/plain',
    );
    expect(viaForm.status).toBe(201);
    expect(viaForm.body.document.filename).toBe('evil.txt');
    const upload = await admin.post<{ upload: { url: string; document_id: string } }>(
      `/v1/projects/${projectA}/uploads`,
      { filename: evil, content_type: 'text/plain' },
    );
    const put = await fetch(upload.body.upload.url, { method: 'PUT', body: 'Uploaded harbour pilots text.' });
    expect(put.status).toBe(200);
    expect(((await put.json()) as { document: Doc }).document.filename).toBe('oprag-escape-check.txt');
    expect(existsSync('/tmp/oprag-escape-check.txt')).toBe(false);
    // nothing landed beside the data directory either
    expect(readdirSync(join(dataDir, '..')).filter((f) => f.includes('escape-check'))).toEqual([]);
    const content = await fetch(`${admin.baseUrl}${docs(projectA)}/${viaJson.body.document.id}/content`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(content.headers.get('content-disposition')).toBe("inline; filename*=UTF-8''oprag-escape-check.txt");
  });

  test('after all of it the server is up and both projects are as they were', async () => {
    expect(server.child.exitCode).toBeNull();
    expect((await admin.get('/v1/projects')).status).toBe(200);
    for (const [p, word] of [
      [projectA, 'KESTREL'],
      [projectB, 'OSPREY'],
    ]) {
      const doc = await admin.get<{ document: Doc }>(`${docs(p)}/${reference[p]}`);
      expect(doc.body.document.status).toBe('ready');
      const found = await admin.post<{ results: { document_id: string; text: string }[] }>(
        `/v1/projects/${p}/retrieve`,
        { query: `policy ${word}` },
      );
      expect(found.body.results[0].document_id).toBe(reference[p]);
    }
    // project B saw none of A's files, good or bad
    const listB = await admin.get<{ documents: Doc[] }>(`${docs(projectB)}?limit=100`);
    expect(listB.body.documents.map((d) => d.id)).toEqual([reference[projectB]]);
    // nothing is stuck: every document of A is ready or failed
    const listA = await admin.get<{ documents: Doc[] }>(`${docs(projectA)}?limit=100`);
    expect(listA.body.documents.filter((d) => d.status !== 'ready' && d.status !== 'failed')).toEqual([]);
    expect(server.output()).not.toMatch(/uncaught|unhandled|FATAL/i);
  });
});
