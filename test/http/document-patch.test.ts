import type { ApiClient } from '../../lambdas/client/api-client';
import type { PublicDocument as Doc } from '../../lambdas/service/document-view';
import { startTestServer, type TestServer } from '../helpers/server';

interface RetrieveResult {
  chunk_id: string;
  document_id: string;
  title: string | null;
  url: string | null;
}
interface Citation {
  document_id: string;
  title: string | null;
  url: string | null;
}
interface ErrorBody {
  error: { type: string; message: string; request_id: string };
}

const TEXT = [
  '# Refunds',
  '',
  'Refunds are accepted within 45 days of purchase, with the receipt.',
  '',
  '# Shipping',
  '',
  'Parcels leave the warehouse within two business days.',
].join('\n');

describe('PATCH a document over HTTP', () => {
  let t: TestServer;
  let project: { id: string; key: string; client: ApiClient };
  let base: string;

  beforeAll(async () => {
    t = await startTestServer();
    project = await t.project('patching');
  });
  afterAll(async () => {
    await t.close();
  });

  async function ingest(client: ApiClient, at: string, fields: Record<string, unknown> = {}): Promise<Doc> {
    const res = await client.post<{ document: Doc }>(`${at}/documents?wait=true`, {
      text: TEXT,
      filename: 'policy.md',
      title: 'Old policy name',
      url: '/help/old',
      tags: ['draft'],
      metadata: { owner: 'support' },
      ...fields,
    });
    expect(res.status).toBe(201);
    return res.body.document;
  }

  const retrieve = async (query: string, filter?: object) => {
    const res = await project.client.post<{ results: RetrieveResult[] }>(`${base}/retrieve`, {
      query,
      top_k: 20,
      ...(filter ? { filter } : {}),
    });
    expect(res.status).toBe(200);
    return res.body.results;
  };

  beforeEach(() => {
    base = `/v1/projects/${project.id}`;
  });
  afterEach(() => {
    t.clock.resume();
  });

  it('changes title, url, tags and metadata, and the next answers cite and filter by the new values', async () => {
    const doc = await ingest(project.client, base);
    const at = t.clock.freeze(t.clock.advance(60_000));

    const res = await project.client.request<{ document: Doc }>('PATCH', `${base}/documents/${doc.id}`, {
      title: '  Returns handbook ',
      url: 'https://help.example.com/returns',
      tags: ['billing', 'returns'],
      metadata: { owner: 'finance', reviewed: true },
    });

    expect(res.status).toBe(200);
    expect(res.body.document).toEqual({
      ...doc,
      title: 'Returns handbook',
      url: 'https://help.example.com/returns',
      tags: ['billing', 'returns'],
      metadata: { owner: 'finance', reviewed: true },
      updated_at: at.toISOString(),
    });
    expect((await project.client.get<{ document: Doc }>(`${base}/documents/${doc.id}`)).body.document).toEqual(
      res.body.document,
    );

    const hits = await retrieve('refunds receipt');
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits.filter((x) => x.document_id === doc.id)) {
      expect(h.title).toBe('Returns handbook');
      expect(h.url).toBe('https://help.example.com/returns');
    }
    // the new title is searched, the old one no longer
    expect((await retrieve('handbook')).map((h) => h.document_id)).toContain(doc.id);
    expect((await retrieve('old policy name')).map((h) => h.document_id)).not.toContain(doc.id);
    // a tags filter sees the new tags only
    expect((await retrieve('refunds', { tags: ['returns'] })).map((h) => h.document_id)).toContain(doc.id);
    expect(await retrieve('refunds', { tags: ['draft'] })).toEqual([]);

    const chat = await project.client.post<{ grounded: boolean; citations: Citation[] }>(`${base}/chat`, {
      question: 'Within how many days are refunds accepted?',
    });
    expect(chat.status).toBe(200);
    expect(chat.body.grounded).toBe(true);
    expect(chat.body.citations.length).toBeGreaterThan(0);
    for (const c of chat.body.citations) {
      expect(c).toMatchObject({
        document_id: doc.id,
        title: 'Returns handbook',
        url: 'https://help.example.com/returns',
      });
    }
  });

  it('changes only the fields given, clears url with null, and works on the short form', async () => {
    const doc = await ingest(project.client, base);

    const res = await project.client.request<{ document: Doc }>('PATCH', `/v1/documents/${doc.id}`, { url: null });

    expect(res.status).toBe(200);
    expect(res.body.document).toMatchObject({
      title: 'Old policy name',
      url: null,
      tags: ['draft'],
      metadata: { owner: 'support' },
    });
    const hits = (await retrieve('parcels warehouse')).filter((h) => h.document_id === doc.id);
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits) expect(h).toMatchObject({ title: 'Old policy name', url: null });
  });

  it('is written to the audit with the names of the fields changed', async () => {
    const doc = await ingest(project.client, base);

    const res = await t.admin.request('PATCH', `${base}/documents/${doc.id}`, { tags: ['x'], title: 'Audited' });
    expect(res.status).toBe(200);

    const audit = await t.admin.get<{
      events: { action: string; resource: string; outcome: string; detail?: object }[];
    }>(`${base}/audit?action=documents.update`);
    expect(audit.body.events[0]).toMatchObject({ action: 'documents.update', outcome: 'success' });
    expect(audit.body.events[0].detail).toEqual({ fields: ['tags', 'title'] });
  });

  it("answers 404 to another project's key and to an unknown document, and changes nothing", async () => {
    const doc = await ingest(project.client, base);
    const other = await t.project('other tenant');
    const body = { title: 'Hijacked' };

    const attempts = [
      await other.client.request<ErrorBody>('PATCH', `${base}/documents/${doc.id}`, body),
      await other.client.request<ErrorBody>('PATCH', `/v1/documents/${doc.id}`, body),
      await other.client.request<ErrorBody>('PATCH', `/v1/projects/${other.id}/documents/${doc.id}`, body),
      await project.client.request<ErrorBody>('PATCH', `${base}/documents/doc_doesnotexist00000000`, body),
    ];

    for (const res of attempts) {
      expect(res.status).toBe(404);
      expect(res.body.error.type).toBe('not_found');
    }
    expect((await project.client.get<{ document: Doc }>(`${base}/documents/${doc.id}`)).body.document).toEqual(doc);
    const hits = (await retrieve('hijacked')).filter((h) => h.document_id === doc.id);
    expect(hits).toEqual([]);
  });

  it('answers 403 to keys that may not change documents', async () => {
    const doc = await ingest(project.client, base);
    const review = await t.admin.post<{ api_key: { key: string } }>(`${base}/keys`, { scopes: ['review'] });
    const query = await t.admin.post<{ api_key: { key: string } }>(`${base}/keys`, { scopes: ['query'] });
    const viewer = await t.admin.post<{ api_key: { key: string } }>('/v1/company/keys', {
      name: 'viewer',
      role: 'viewer',
    });

    for (const key of [review.body.api_key.key, query.body.api_key.key, viewer.body.api_key.key]) {
      const res = await t.client(key).request<ErrorBody>('PATCH', `${base}/documents/${doc.id}`, { title: 'No' });
      expect(res.status).toBe(403);
      expect(res.body.error.type).toBe('forbidden');
    }
    expect((await project.client.get<{ document: Doc }>(`${base}/documents/${doc.id}`)).body.document.title).toBe(
      'Old policy name',
    );
  });

  it.each([
    ['an empty body', {}],
    ['a field it does not change', { external_id: 'other' }],
    ['the text', { text: 'new text' }],
    ['an empty title', { title: '   ' }],
    ['a title that is not a string', { title: 42 }],
    ['a script url', { url: 'javascript:alert(1)' }],
    ['tags that are not a list', { tags: 'billing' }],
    ['an empty tag', { tags: [''] }],
    ['metadata that is not an object', { metadata: [1, 2] }],
  ])('answers 400 to %s and changes nothing', async (_, body) => {
    const doc = await ingest(project.client, base);

    const res = await project.client.request<ErrorBody>('PATCH', `${base}/documents/${doc.id}`, body);

    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      type: 'invalid_request',
      message: expect.any(String),
      request_id: expect.any(String),
    });
    expect((await project.client.get<{ document: Doc }>(`${base}/documents/${doc.id}`)).body.document).toEqual(doc);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const doc = await ingest(project.client, base);

    const res = await fetch(`${t.url}${base}/documents/${doc.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${project.key}`, 'content-type': 'application/json' },
      body: '{"title": ',
    });

    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.type).toBe('invalid_request');
    expect((await project.client.get<{ document: Doc }>(`${base}/documents/${doc.id}`)).body.document).toEqual(doc);
  });

  it('changes a failed document’s record (it has no chunks)', async () => {
    const res = await project.client.post<{ document: Doc }>(`${base}/documents?wait=true`, {
      content_base64: Buffer.from('%PDF-1.4 broken').toString('base64'),
      filename: 'broken.pdf',
    });
    expect(res.status).toBe(422);
    const failed = (res.body as unknown as { document: Doc }).document;

    const patched = await project.client.request<{ document: Doc }>('PATCH', `${base}/documents/${failed.id}`, {
      title: 'Broken scan',
    });

    expect(patched.status).toBe(200);
    expect(patched.body.document).toMatchObject({ status: 'failed', title: 'Broken scan', chunks: 0 });
  });
});
