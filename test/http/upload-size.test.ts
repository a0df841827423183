import { request } from 'node:http';
import type { ApiClient } from '../../lambdas/client/api-client';
import { Oprag } from '../../lambdas/client/oprag';
import type { ErrorBody, UploadCreated } from '../../lambdas/http/wire';
import type { PublicDocument as Doc } from '../../lambdas/service/document-view';
import { startTestServer, type TestServer } from '../helpers/server';

type Upload = UploadCreated['upload'];
interface Reply {
  status: number;
  requestId: string | undefined;
  body: { document?: Doc } & Partial<ErrorBody>;
}

const MB = 2 ** 20;

/**
 * PUTs to an upload URL with exactly the given `content-length` (or none: a chunked body), as a
 * client that lies about, or does not know, its length would; `body` is what is sent.
 */
function putRaw(url: string, body: Buffer, contentLength: number | null): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'text/plain' };
    if (contentLength !== null) headers['content-length'] = String(contentLength);
    const req = request(url, { method: 'PUT', headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          requestId: res.headers['x-request-id'] as string | undefined,
          body: JSON.parse(Buffer.concat(parts).toString('utf8')),
        }),
      );
    });
    // the server may answer and close before the whole (mislabelled) body is written
    req.on('error', (e) => (/EPIPE|ECONNRESET/.test(String(e)) ? undefined : reject(e)));
    if (contentLength === null) {
      // chunked: the server learns the length only as it reads
      req.write(body.subarray(0, 1));
      req.end(body.subarray(1));
    } else req.end(body);
  });
}

describe('upload URLs bound to a size (local home)', () => {
  let t: TestServer;
  let p: { id: string; key: string; client: ApiClient };
  let base: string;

  async function documentCount(): Promise<number> {
    const res = await p.client.get<{ documents: Doc[] }>(`${base}/documents?limit=200`);
    expect(res.status).toBe(200);
    return res.body.documents.length;
  }

  beforeAll(async () => {
    t = await startTestServer();
    p = await t.project('sized uploads');
    base = `/v1/projects/${p.id}`;
  });
  afterAll(async () => t.close());

  it('refuses a size over 100 MB at creation with 413 and the error body, and promises no document', async () => {
    const before = await documentCount();

    const res = await p.client.post<ErrorBody>(`${base}/uploads`, {
      filename: 'huge.txt',
      content_type: 'text/plain',
      size: 100 * MB + 1,
    });

    expect(res.status).toBe(413);
    expect(res.body.error.type).toBe('payload_too_large');
    expect(res.body.error.message).toMatch(/104857600/);
    expect(res.body.error.request_id).toBe(res.headers.get('x-request-id'));
    expect(await documentCount()).toBe(before);
  });

  it('takes exactly 100 MB as a size, and refuses sizes that are not a positive whole number with 400', async () => {
    const most = await p.client.post<{ upload: Upload }>(`${base}/uploads`, {
      filename: 'big.txt',
      content_type: 'text/plain',
      size: 100 * MB,
    });
    expect(most.status).toBe(201);
    expect(most.body.upload.headers['content-length']).toBe(String(100 * MB));

    for (const size of [0, -5, 1.5, '12', null]) {
      const res = await p.client.post<ErrorBody>(`${base}/uploads`, {
        filename: 'a.txt',
        content_type: 'text/plain',
        size,
      });
      expect(res.status).toBe(400);
      expect(res.body.error.type).toBe('invalid_request');
      expect(res.body.error.message).toMatch(/size/);
    }
  });

  it("another project's key gets 404 for this project's uploads, with or without an oversized size", async () => {
    const other = await t.project('another tenant');
    for (const size of [10, 100 * MB + 1]) {
      const res = await other.client.post<ErrorBody>(`${base}/uploads`, {
        filename: 'a.txt',
        content_type: 'text/plain',
        size,
      });
      expect(res.status).toBe(404);
      expect(res.body.error.type).toBe('not_found');
    }
  });

  it('a PUT of another length is refused (413 longer, 400 shorter) and leaves the URL and the project untouched', async () => {
    const source = Buffer.from('Axolotls regrow their limbs within weeks.\n');
    const created = await p.client.post<{ upload: Upload }>(`${base}/uploads`, {
      filename: 'axolotls.txt',
      content_type: 'text/plain',
      size: source.length,
    });
    expect(created.status).toBe(201);
    const upload = created.body.upload;
    expect(upload.headers).toEqual({ 'content-type': 'text/plain', 'content-length': String(source.length) });
    const before = await documentCount();

    const longer = Buffer.concat([source, Buffer.from('and more bytes than promised')]);
    const declaredLonger = await putRaw(upload.url, longer, longer.length);
    const chunkedLonger = await putRaw(upload.url, longer, null);
    const shorter = await putRaw(upload.url, source.subarray(0, 10), 10);

    expect(declaredLonger.status).toBe(413);
    expect(declaredLonger.body.error?.type).toBe('payload_too_large');
    expect(declaredLonger.body.error?.message).toMatch(new RegExp(`exactly ${source.length} bytes`));
    expect(declaredLonger.body.error?.request_id).toBe(declaredLonger.requestId);
    expect(chunkedLonger.status).toBe(413);
    expect(chunkedLonger.body.error?.type).toBe('payload_too_large');
    expect(shorter.status).toBe(400);
    expect(shorter.body.error?.type).toBe('invalid_request');
    expect((await p.client.get(`${base}/documents/${upload.document_id}`)).status).toBe(404);
    expect(await documentCount()).toBe(before);

    // the refused PUTs used nothing up: the right bytes still land through the same URL
    const landed = await putRaw(upload.url, source, source.length);
    expect(landed.status).toBe(200);
    expect(landed.body.document?.id).toBe(upload.document_id);
    expect(landed.body.document?.bytes).toBe(source.length);
  });

  it('a URL created without a size takes any length up to the cap, as before', async () => {
    const created = await p.client.post<{ upload: Upload }>(`${base}/uploads`, {
      filename: 'frogs.txt',
      content_type: 'text/plain',
    });
    expect(created.status).toBe(201);
    expect(created.body.upload.headers).toEqual({ 'content-type': 'text/plain' });

    const landed = await putRaw(created.body.upload.url, Buffer.from('Tree frogs sleep by day.'), null);

    expect(landed.status).toBe(200);
    expect(landed.body.document?.id).toBe(created.body.upload.document_id);
  });

  it('the typed client sends the file through a URL bound to its length', async () => {
    const client = new Oprag({ baseUrl: t.url, key: p.key }).project();
    const bytes = Buffer.from('Salamanders breathe through their skin.\n');

    const sent = await client.uploads.send(bytes, { filename: 'salamanders.txt', content_type: 'text/plain' });

    expect(sent.upload.headers['content-length']).toBe(String(bytes.length));
    expect(sent.document?.id).toBe(sent.upload.document_id);
    expect(sent.document?.bytes).toBe(bytes.length);
  });
});
