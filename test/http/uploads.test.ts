import type { ApiClient } from '../../lambdas/client/api-client';
import type { ErrorBody, UploadCreated } from '../../lambdas/http/wire';
import type { PublicDocument as Doc } from '../../lambdas/service/document-view';
import { startTestServer, type TestServer } from '../helpers/server';

type Upload = UploadCreated['upload'];

describe('upload URLs over HTTP', () => {
  let t: TestServer;
  let p: { id: string; key: string; client: ApiClient };
  let base: string;

  async function createUpload(client: ApiClient, path: string, body: Record<string, unknown>) {
    return client.post<{ upload: Upload } & Partial<ErrorBody>>(path, body);
  }

  /** PUTs bytes to an upload URL exactly as a browser or curl would: no API key, the given headers. */
  async function put(upload: Upload, bytes: string | Buffer) {
    const res = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: JSON.parse(text) as { document: Doc } & ErrorBody };
  }

  async function settled(id: string, timeoutMs = 10_000): Promise<Doc> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      let res: Awaited<ReturnType<typeof p.client.get<{ document: Doc }>>>;
      try {
        res = await p.client.get<{ document: Doc }>(`${base}/documents/${id}`);
      } catch (e) {
        // ingesting a large file holds this process's event loop (the server's too) for longer than
        // the server keeps an idle connection open: a poll can go out on a connection just closed
        if ((e as Error).message !== 'fetch failed' || Date.now() > until) throw e;
        continue;
      }
      expect(res.status).toBe(200);
      if (res.body.document.status === 'ready' || res.body.document.status === 'failed') return res.body.document;
      if (Date.now() > until) throw new Error(`document ${id} still ${res.body.document.status}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function retrieveTexts(query: string, documentId: string): Promise<string[]> {
    const res = await p.client.post<{ results: { document_id: string; text: string }[] }>(`${base}/retrieve`, {
      query,
      top_k: 50,
    });
    expect(res.status).toBe(200);
    return res.body.results.filter((r) => r.document_id === documentId).map((r) => r.text);
  }

  beforeAll(async () => {
    t = await startTestServer();
    p = await t.project('uploads');
    base = `/v1/projects/${p.id}`;
  });
  afterAll(async () => t.close());

  it('creates a one-time PUT URL, ingests the bytes under its document_id, and refuses the URL a second time', async () => {
    const now = t.clock.freeze().getTime();
    const created = await createUpload(p.client, `${base}/uploads`, {
      filename: 'iguana-guide.md',
      content_type: 'text/markdown',
      title: 'Iguana guide',
      url: '/kb/iguanas',
      tags: ['reptiles'],
    });
    expect(created.status).toBe(201);
    const upload = created.body.upload;
    expect(Object.keys(upload).sort()).toEqual(['document_id', 'expires_at', 'headers', 'method', 'url']);
    expect(upload.method).toBe('PUT');
    expect(upload.url.startsWith(`${t.url}/`)).toBe(true);
    expect(upload.url).not.toContain(p.key);
    expect(upload.headers).toMatchObject({ 'content-type': 'text/markdown' });
    expect(upload.document_id).toMatch(/^doc_[0-9a-z]{26}$/);
    const expires = Date.parse(upload.expires_at);
    expect(new Date(expires).toISOString()).toBe(upload.expires_at);
    t.clock.resume();
    // short-lived: the default 15 minutes from when it was made
    expect(expires).toBe(now + 15 * 60_000);

    // nothing is listed before the bytes land
    expect((await p.client.get(`${base}/documents/${upload.document_id}`)).status).toBe(404);

    const source = '# Iguanas\n\n## Basking\n\nIguanas bask under a heat lamp for ten hours a day.\n';
    const landed = await put(upload, source);
    expect(landed.status).toBeLessThan(300);
    expect(landed.body.document.id).toBe(upload.document_id);

    const doc = await settled(upload.document_id);
    expect(doc).toMatchObject({
      id: upload.document_id,
      status: 'ready',
      title: 'Iguana guide',
      url: '/kb/iguanas',
      filename: 'iguana-guide.md',
      content_type: 'text/markdown',
      tags: ['reptiles'],
      bytes: Buffer.byteLength(source),
    });
    expect(doc.chunks).toBeGreaterThan(0);
    expect((await retrieveTexts('iguanas bask heat lamp', doc.id)).join('\n')).toContain(
      'Iguanas bask under a heat lamp for ten hours a day.',
    );
    const content = await p.client.get<string>(`${base}/documents/${doc.id}/content`);
    expect(content.body).toBe(source);

    const again = await put(upload, 'Iguanas bask all day long, someone replaced this.');
    expect(again.status).toBe(404);
    expect(again.body.error.type).toBe('not_found');
    expect(again.body.error.request_id).toBe(again.headers.get('x-request-id'));
    const unchanged = await settled(upload.document_id);
    expect(unchanged.content_hash).toBe(doc.content_hash);
    expect((await retrieveTexts('someone replaced', doc.id)).join('\n')).not.toContain('someone replaced');
  });

  it('takes a file far larger than the request-body limit', async () => {
    const paragraph = 'Tortoise shells grow in rings each season, and keepers log the rings yearly.\n\n';
    const source = `${paragraph.repeat(Math.ceil((11 * 1024 * 1024) / paragraph.length))}The oldest tortoise is named Harriet.\n`;
    expect(Buffer.byteLength(source)).toBeGreaterThan(11 * 1024 * 1024);
    const created = await createUpload(p.client, `${base}/uploads`, {
      filename: 'tortoises.txt',
      content_type: 'text/plain',
    });
    expect(created.status).toBe(201);
    const landed = await put(created.body.upload, source);
    expect(landed.status).toBeLessThan(300);
    const doc = await settled(created.body.upload.document_id, 60_000);
    expect(doc).toMatchObject({ status: 'ready', bytes: Buffer.byteLength(source) });
    expect((await retrieveTexts('oldest tortoise Harriet', doc.id)).join('\n')).toContain(
      'The oldest tortoise is named Harriet.',
    );
  }, 90_000);

  it('an unknown upload token is a 404 and ingests nothing', async () => {
    const res = await fetch(`${t.url}/v1/uploads/not-a-real-token`, { method: 'PUT', body: 'Hello there' });
    expect(res.status).toBe(404);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.type).toBe('not_found');
  });

  it('refuses an unsupported content_type at creation with 415', async () => {
    for (const content_type of ['image/png', 'application/zip', 'video/mp4']) {
      const res = await createUpload(p.client, `${base}/uploads`, { filename: 'picture.png', content_type });
      expect(res.status).toBe(415);
      expect(res.body.error?.type).toBe('unsupported_media_type');
      expect(res.body.error?.request_id).toBe(res.headers.get('x-request-id'));
    }
  });

  it('an upload with the external_id of an existing document replaces that document', async () => {
    const first = await p.client.post<{ document: Doc }>(`${base}/documents?wait=true`, {
      text: 'Gecko terrariums are misted twice a day.',
      external_id: 'kb/geckos.txt',
      title: 'Geckos',
    });
    expect(first.status).toBe(201);
    const original = first.body.document;

    const created = await createUpload(p.client, `${base}/uploads`, {
      filename: 'geckos.txt',
      content_type: 'text/plain',
      external_id: 'kb/geckos.txt',
      title: 'Geckos',
    });
    expect(created.status).toBe(201);
    expect(created.body.upload.document_id).toBe(original.id);

    const landed = await put(created.body.upload, 'Chameleon vivariums need a dripper instead of misting.');
    expect(landed.status).toBeLessThan(300);
    const doc = await settled(original.id);
    expect(doc.status).toBe('ready');
    expect(doc.id).toBe(original.id);
    expect(doc.external_id).toBe('kb/geckos.txt');
    expect(doc.content_hash).not.toBe(original.content_hash);
    expect(doc.created_at).toBe(original.created_at);

    const old = await retrieveTexts('gecko terrariums misted twice', original.id);
    expect(old.join('\n')).not.toContain('Gecko terrariums');
    expect((await retrieveTexts('chameleon vivariums dripper', original.id)).join('\n')).toContain(
      'Chameleon vivariums need a dripper',
    );
    const listed = await p.client.get<{ documents: Doc[] }>(`${base}/documents?limit=200`);
    expect(listed.body.documents.filter((d) => d.external_id === 'kb/geckos.txt').map((d) => d.id)).toEqual([
      original.id,
    ]);
  });

  it('the short form /v1/uploads works with a project key, and other projects cannot see the document', async () => {
    const created = await createUpload(p.client, '/v1/uploads', { filename: 'newts.txt', content_type: 'text/plain' });
    expect(created.status).toBe(201);
    const landed = await put(created.body.upload, 'Newts hibernate under damp logs.');
    expect(landed.status).toBeLessThan(300);
    const doc = await settled(created.body.upload.document_id);
    expect(doc.status).toBe('ready');

    const other = await t.project('someone else');
    expect((await other.client.get(`/v1/documents/${doc.id}`)).status).toBe(404);
    const otherRetrieve = await other.client.post<{ results: unknown[] }>('/v1/retrieve', { query: 'newts hibernate' });
    expect(otherRetrieve.body.results).toEqual([]);
  });

  it('uploaded bytes that do not match a supported format end as a failed document, not a crash', async () => {
    const created = await createUpload(p.client, `${base}/uploads`, {
      filename: 'data.json',
      content_type: 'application/json',
    });
    expect(created.status).toBe(201);
    const landed = await put(created.body.upload, '{"salamander": ');
    expect(landed.status).toBeLessThan(300);
    const doc = await settled(created.body.upload.document_id);
    expect(doc.status).toBe('failed');
    expect(doc.error).toMatch(/JSON/);
    expect(await retrieveTexts('salamander', doc.id)).toEqual([]);
  });

  it('creating an upload needs a key with the ingest scope', async () => {
    const noKey = await t
      .client()
      .post<ErrorBody>(`${base}/uploads`, { filename: 'a.txt', content_type: 'text/plain' });
    expect(noKey.status).toBe(401);
    const keyRes = await t.admin.post<{ api_key: { key: string } }>(`${base}/keys`, { scopes: ['query'] });
    expect(keyRes.status).toBe(201);
    const queryOnly = t.client(keyRes.body.api_key.key);
    const denied = await queryOnly.post<ErrorBody>('/v1/uploads', { filename: 'a.txt', content_type: 'text/plain' });
    expect(denied.status).toBe(403);
    expect(denied.body.error.type).toBe('forbidden');
  });
});
