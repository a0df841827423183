import type { ApiClient } from '../../lambdas/client/api-client';
import type { PublicDocument as Doc } from '../../lambdas/service/document-view';
import { startTestServer, type TestServer } from '../helpers/server';

interface RetrieveResult {
  chunk_id: string;
  document_id: string;
  title: string | null;
  url: string | null;
  text: string;
  score: number;
}
interface ChatAnswer {
  answer: string;
  grounded: boolean;
  citations: { document_id: string; chunk_id: string; snippet: string }[];
}

const HTML_TAG = /<\/?[a-z][^>]*>/i;
const MD_HEADING = /(^|\n)\s*#{1,6}\s/;

/** A project with its own key; `base` is the long-form prefix of its data-plane routes. */
interface Project {
  id: string;
  key: string;
  client: ApiClient;
  base: string;
}

describe('documents over HTTP', () => {
  let t: TestServer;
  let p: Project;

  async function newProject(name: string): Promise<Project> {
    const created = await t.project(name);
    return { ...created, base: `/v1/projects/${created.id}` };
  }

  /** POSTs a multipart form built with the platform's FormData, as a browser or SDK would. */
  async function postForm(
    path: string,
    key: string,
    file: { bytes: string | Uint8Array; filename: string; type?: string },
    fields: Record<string, string> = {},
  ) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([file.bytes], file.type ? { type: file.type } : {}), file.filename);
    const res = await fetch(`${t.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: form,
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as { document: Doc } };
  }

  async function getDoc(client: ApiClient, base: string, id: string) {
    return client.get<{ document: Doc }>(`${base}/documents/${id}`);
  }

  /** Polls a document until it leaves queued/processing. */
  async function settled(client: ApiClient, base: string, id: string, timeoutMs = 10_000): Promise<Doc> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const res = await getDoc(client, base, id);
      expect(res.status).toBe(200);
      const doc = res.body.document;
      if (doc.status === 'ready' || doc.status === 'failed') return doc;
      if (Date.now() > until) throw new Error(`document ${id} still ${doc.status} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function retrieve(
    client: ApiClient,
    base: string,
    query: string,
    extra: Record<string, unknown> = {},
  ): Promise<RetrieveResult[]> {
    const res = await client.post<{ results: RetrieveResult[] }>(`${base}/retrieve`, { query, top_k: 50, ...extra });
    expect(res.status).toBe(200);
    return res.body.results;
  }

  async function ingestReady(client: ApiClient, base: string, body: Record<string, unknown>): Promise<Doc> {
    const res = await client.post<{ document: Doc }>(`${base}/documents?wait=true`, body);
    expect(res.status).toBe(201);
    expect(res.body.document.status).toBe('ready');
    return res.body.document;
  }

  beforeAll(async () => {
    t = await startTestServer();
    p = await newProject('documents');
  });
  afterAll(async () => t.close());

  describe('formats and transports', () => {
    const cases: {
      name: string;
      transport: 'text' | 'base64' | 'multipart';
      filename: string;
      contentType?: string;
      source: string;
      query: string;
      expectText: RegExp;
      expectType: string;
    }[] = [
      {
        name: 'plain text as JSON text',
        transport: 'text',
        filename: 'warranty.txt',
        source: 'Zephyrine turbines carry a warranty of five years.\n\nThe warranty excludes storm damage.',
        query: 'zephyrine turbine warranty',
        expectText: /Zephyrine turbines carry a warranty of five years\./,
        expectType: 'text/plain',
      },
      {
        name: 'Markdown as JSON content_base64',
        transport: 'base64',
        filename: 'glacier.md',
        contentType: 'text/markdown',
        source:
          '# Glacier handbook\n\n## Onboarding\n\nNew **glacierwalkers** receive _crampons_ on day one. Read [the crampon guide](https://example.com/c).\n',
        query: 'glacierwalkers crampons',
        expectText: /New glacierwalkers receive crampons on day one\. Read the crampon guide\./,
        expectType: 'text/markdown',
      },
      {
        name: 'plain text as multipart',
        transport: 'multipart',
        filename: 'quokka.txt',
        contentType: 'text/plain',
        source: 'Quokka deliveries arrive every Tuesday morning at the loading dock.',
        query: 'quokka deliveries',
        expectText: /Quokka deliveries arrive every Tuesday morning/,
        expectType: 'text/plain',
      },
      {
        name: 'Markdown as multipart, typed by its extension',
        transport: 'multipart',
        filename: 'ocelot.md',
        source: '# Ocelot care\n\n### Feeding\n\n* Ocelots are fed **twice** daily.\n* Water is changed at dusk.\n',
        query: 'ocelots fed daily',
        expectText: /Ocelots are fed twice daily/,
        expectType: 'text/markdown',
      },
      {
        name: 'HTML as multipart',
        transport: 'multipart',
        filename: 'pelican.html',
        contentType: 'text/html',
        source:
          '<!doctype html><html><head><title>Pelican policy</title><style>p{color:red}</style></head>' +
          '<body><nav>Home | About</nav><h1>Pelican policy</h1><p>Pelicans are <b>fed</b> at noon by the <a href="/k">keeper</a>.</p>' +
          '<script>var pelicanTracker = 1;</script></body></html>',
        query: 'pelicans fed noon',
        expectText: /Pelicans are fed at noon by the keeper\./,
        expectType: 'text/html',
      },
      {
        name: 'CSV as multipart',
        transport: 'multipart',
        filename: 'lamps.csv',
        contentType: 'text/csv',
        source: 'product,price,notes\nMarmoset lamp,42 dollars,"warm, dimmable light"\nOtter kettle,19 dollars,steel\n',
        query: 'marmoset lamp price',
        expectText: /product: Marmoset lamp; price: 42 dollars; notes: warm, dimmable light/,
        expectType: 'text/csv',
      },
      {
        name: 'JSON as multipart',
        transport: 'multipart',
        filename: 'narwhal.json',
        contentType: 'application/json',
        source: JSON.stringify({ offices: { narwhal: { city: 'Oslo', floor: 7 } }, motto: 'tusks up' }),
        query: 'narwhal office city',
        expectText: /offices\.narwhal: city: Oslo; floor: 7/,
        expectType: 'application/json',
      },
    ];

    it.each(cases)('ingests $name: 202, then ready, retrievable, original bytes kept', async (c) => {
      const fields = { title: `Doc ${c.filename}`, url: `/docs/${c.filename}` };
      let res: { status: number; body: { document: Doc } };
      if (c.transport === 'multipart') {
        res = await postForm(
          `${p.base}/documents`,
          p.key,
          { bytes: c.source, filename: c.filename, type: c.contentType },
          fields,
        );
      } else {
        const payload =
          c.transport === 'text' ? { text: c.source } : { content_base64: Buffer.from(c.source).toString('base64') };
        res = await p.client.post<{ document: Doc }>(`${p.base}/documents`, {
          ...payload,
          filename: c.filename,
          ...(c.contentType ? { content_type: c.contentType } : {}),
          ...fields,
        });
      }
      expect(res.status).toBe(202);
      expect(['queued', 'processing', 'ready']).toContain(res.body.document.status);
      expect(res.body.document.id).toMatch(/^doc_[0-9a-z]{26}$/);

      const doc = await settled(p.client, p.base, res.body.document.id);
      expect(doc).toMatchObject({
        status: 'ready',
        content_type: c.expectType,
        filename: c.filename,
        title: fields.title,
        url: fields.url,
        bytes: Buffer.byteLength(c.source),
      });
      expect(doc.chunks).toBeGreaterThan(0);
      expect(doc.error).toBeUndefined();

      const results = (await retrieve(p.client, p.base, c.query)).filter((r) => r.document_id === doc.id);
      expect(results.length).toBeGreaterThan(0);
      expect(results.map((r) => r.text).join('\n')).toMatch(c.expectText);
      for (const r of results) {
        expect(r.text).not.toMatch(HTML_TAG);
        expect(r.text).not.toMatch(MD_HEADING);
        expect(r.text).not.toContain('**');
        expect(r).toMatchObject({ title: fields.title, url: fields.url });
      }

      const content = await fetch(`${t.url}${p.base}/documents/${doc.id}/content`, {
        headers: { authorization: `Bearer ${p.key}` },
      });
      expect(content.status).toBe(200);
      expect(content.headers.get('content-type')).toContain(c.expectType);
      expect(content.headers.get('x-request-id')).toMatch(/^req_/);
      expect(Buffer.from(await content.arrayBuffer()).equals(Buffer.from(c.source))).toBe(true);
    });

    it('takes the document fields of a multipart form, tags as a JSON array or a comma list', async () => {
      const q = await newProject('multipart fields');
      const first = await postForm(
        `${q.base}/documents?wait=true`,
        q.key,
        { bytes: 'Toucan beaks are light and hollow.', filename: 'toucan.txt', type: 'text/plain; charset=utf-8' },
        {
          title: 'Toucans',
          url: '/kb/toucans',
          external_id: 'kb/toucans',
          tags: '["birds","tropics"]',
          metadata: '{"owner":"aviary"}',
        },
      );
      expect(first.status).toBe(201);
      expect(first.body.document).toMatchObject({
        title: 'Toucans',
        url: '/kb/toucans',
        filename: 'toucan.txt',
        content_type: 'text/plain',
        external_id: 'kb/toucans',
        tags: ['birds', 'tropics'],
        metadata: { owner: 'aviary' },
        status: 'ready',
      });
      const second = await postForm(
        `${q.base}/documents?wait=true`,
        q.key,
        { bytes: 'Macaw feathers are bright.', filename: 'macaw.txt' },
        { tags: 'birds, parrots' },
      );
      expect(second.status).toBe(201);
      expect(second.body.document.tags).toEqual(['birds', 'parrots']);
      const parrots = await retrieve(q.client, q.base, 'toucan macaw', { filter: { tags: ['parrots'] } });
      expect(parrots.map((r) => r.document_id)).toEqual([second.body.document.id]);

      const badTags = await postForm(
        `${q.base}/documents`,
        q.key,
        { bytes: 'x', filename: 'x.txt' },
        { tags: '[oops' },
      );
      expect(badTags.status).toBe(400);
    });

    it('keeps HTML and Markdown markup out of chunks and chat answers', async () => {
      const html = await ingestReady(p.client, p.base, {
        content_base64: Buffer.from(
          '<html><body><h2>Heron feeding</h2><p>Herons get <em>sardines</em> at <strong>four</strong> o&#39;clock.</p>' +
            '<script>document.write("<p>heron sardines injected</p>")</script></body></html>',
        ).toString('base64'),
        content_type: 'text/html',
      });
      const md = await ingestReady(p.client, p.base, {
        text: '# Heron handbook\n\n## Feeding heron chicks\n\nHeron chicks get `minced` **sardines** hourly.\n',
        content_type: 'text/markdown',
      });
      const results = (await retrieve(p.client, p.base, 'heron sardines')).filter((r) =>
        [html.id, md.id].includes(r.document_id),
      );
      expect(new Set(results.map((r) => r.document_id))).toEqual(new Set([html.id, md.id]));
      for (const r of results) {
        expect(r.text).not.toMatch(HTML_TAG);
        expect(r.text).not.toMatch(MD_HEADING);
        expect(r.text).not.toMatch(/\*\*|`|&#39;|injected/);
      }
      expect(results.map((r) => r.text).join('\n')).toContain("Herons get sardines at four o'clock.");

      const chat = await p.client.post<ChatAnswer>(`${p.base}/chat`, { question: 'When do herons get sardines?' });
      expect(chat.status).toBe(200);
      expect(chat.body.grounded).toBe(true);
      expect(chat.body.answer).not.toMatch(HTML_TAG);
      expect(chat.body.answer).not.toMatch(MD_HEADING);
      for (const c of chat.body.citations) expect(c.snippet).not.toMatch(HTML_TAG);
    });
  });

  it('?wait=true answers 201 with the document already ready', async () => {
    const res = await p.client.post<{ document: Doc }>(`${p.base}/documents?wait=true`, {
      text: 'Capybara baths are drawn at seven.',
    });
    expect(res.status).toBe(201);
    expect(res.body.document).toMatchObject({ status: 'ready', content_type: 'text/plain' });
    expect(res.body.document.chunks).toBeGreaterThan(0);
    const listed = await p.client.get<{ documents: Doc[] }>(`${p.base}/documents?status=ready&limit=200`);
    expect(listed.body.documents.map((d) => d.id)).toContain(res.body.document.id);
  });

  describe('external_id', () => {
    it('same content again is left alone: 200, unchanged: true, same document', async () => {
      const body = { text: 'Wombat burrows are inspected monthly.', external_id: 'kb/wombats.txt' };
      const first = await ingestReady(p.client, p.base, body);
      const again = await p.client.post<{ document: Doc; unchanged?: boolean }>(`${p.base}/documents`, body);
      expect(again.status).toBe(200);
      expect(again.body.unchanged).toBe(true);
      expect(again.body.document).toMatchObject({
        id: first.id,
        content_hash: first.content_hash,
        status: 'ready',
        updated_at: first.updated_at,
      });
      const withWait = await p.client.post<{ unchanged?: boolean }>(`${p.base}/documents?wait=true`, body);
      expect(withWait.status).toBe(200);
      expect(withWait.body.unchanged).toBe(true);
    });

    it('changed content replaces the document under the same id', async () => {
      const first = await ingestReady(p.client, p.base, {
        text: 'The lemur enclosure closes at dusk for the night.',
        external_id: 'kb/lemurs.txt',
        title: 'Opening hours',
      });
      expect((await retrieve(p.client, p.base, 'lemur enclosure dusk')).map((r) => r.document_id)).toContain(first.id);

      const replaced = await p.client.post<{ document: Doc; unchanged?: boolean }>(`${p.base}/documents`, {
        text: 'The tapir paddock opens at sunrise every day.',
        external_id: 'kb/lemurs.txt',
        title: 'Opening hours',
      });
      expect(replaced.status).toBe(202);
      expect(replaced.body.unchanged).toBeUndefined();
      expect(replaced.body.document.id).toBe(first.id);
      expect(replaced.body.document.content_hash).not.toBe(first.content_hash);
      const doc = await settled(p.client, p.base, first.id);
      expect(doc.status).toBe('ready');
      expect(doc.content_hash).toBe(replaced.body.document.content_hash);
      expect(doc.created_at).toBe(first.created_at);

      const old = await retrieve(p.client, p.base, 'lemur enclosure dusk');
      expect(old.filter((r) => r.document_id === first.id)).toEqual([]);
      expect(old.map((r) => r.text).join('\n')).not.toContain('lemur enclosure');
      const oldChat = await p.client.post<ChatAnswer>(`${p.base}/chat`, {
        question: 'When does the lemur enclosure close?',
      });
      expect(oldChat.body.grounded).toBe(false);
      expect(oldChat.body.answer).not.toContain('dusk');
      const fresh = await retrieve(p.client, p.base, 'tapir paddock sunrise');
      expect(fresh.find((r) => r.document_id === first.id)?.text).toContain('The tapir paddock opens at sunrise');

      const listed = await p.client.get<{ documents: Doc[] }>(`${p.base}/documents?limit=200`);
      expect(listed.body.documents.filter((d) => d.external_id === 'kb/lemurs.txt')).toHaveLength(1);

      const content = await p.client.get<string>(`${p.base}/documents/${first.id}/content`);
      expect(content.body).toBe('The tapir paddock opens at sunrise every day.');
    });
  });

  describe('listing', () => {
    it('pages newest first with limit and cursor, next_cursor null on the last page, and filters by status', async () => {
      const q = await newProject('listing');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await ingestReady(q.client, q.base, { text: `Listing document number ${i} about aardvarks.` })).id);
      }
      const failed = await q.client.post<{ document: Doc }>(`${q.base}/documents?wait=true`, {
        text: '{"broken": ',
        content_type: 'application/json',
      });
      expect(failed.status).toBe(422);
      const failedId = (failed.body.document as Doc).id;
      const newestFirst = [failedId, ...ids.reverse()];

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
        const page = await q.client.get<{ documents: Doc[]; next_cursor: string | null }>(
          `${q.base}/documents${query}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.documents.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.documents.map((d) => d.id));
        cursor = page.body.next_cursor;
        pages++;
        expect(pages).toBeLessThan(10);
      } while (cursor !== null);
      expect(pages).toBe(3);
      expect(seen).toEqual(newestFirst);

      const all = await q.client.get<{ documents: Doc[]; next_cursor: string | null }>(`${q.base}/documents`);
      expect(all.body.documents.map((d) => d.id)).toEqual(newestFirst);
      expect(all.body.next_cursor).toBeNull();

      const ready = await q.client.get<{ documents: Doc[]; next_cursor: string | null }>(
        `${q.base}/documents?status=ready`,
      );
      expect(ready.status).toBe(200);
      expect(ready.body.documents.map((d) => d.id)).toEqual(newestFirst.slice(1));
      expect(ready.body.documents.every((d) => d.status === 'ready')).toBe(true);

      const onlyFailed = await q.client.get<{ documents: Doc[] }>(`${q.base}/documents?status=failed`);
      expect(onlyFailed.body.documents.map((d) => d.id)).toEqual([failedId]);

      const bad = await q.client.get(`${q.base}/documents?status=sideways`);
      expect(bad.status).toBe(400);
    });

    it('GET one document answers every field of the contract', async () => {
      const doc = await ingestReady(p.client, p.base, {
        text: 'Axolotl tanks are kept at sixteen degrees.',
        filename: 'axolotl.txt',
        title: 'Axolotls',
        url: '/kb/axolotl',
        external_id: 'kb/axolotl',
        tags: ['amphibians', 'tanks'],
        metadata: { owner: 'aquarium', revision: 3 },
      });
      const res = await getDoc(p.client, p.base, doc.id);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.document).sort()).toEqual(
        [
          'id',
          'title',
          'url',
          'filename',
          'content_type',
          'external_id',
          'tags',
          'metadata',
          'status',
          'chunks',
          'bytes',
          'content_hash',
          'created_at',
          'updated_at',
        ].sort(),
      );
      expect(res.body.document).toEqual({
        ...doc,
        id: doc.id,
        title: 'Axolotls',
        url: '/kb/axolotl',
        filename: 'axolotl.txt',
        content_type: 'text/plain',
        external_id: 'kb/axolotl',
        tags: ['amphibians', 'tanks'],
        metadata: { owner: 'aquarium', revision: 3 },
        status: 'ready',
        bytes: Buffer.byteLength('Axolotl tanks are kept at sixteen degrees.'),
      });
      expect(res.body.document.content_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(new Date(res.body.document.created_at).toISOString()).toBe(res.body.document.created_at);
    });
  });

  it('DELETE removes the document from retrieve, chat and GET', async () => {
    const doc = await ingestReady(p.client, p.base, {
      text: 'Flamingo feathers turn pink from shrimp in their diet.\n\nFlamingos stand on one leg to save heat.',
      title: 'Flamingos',
    });
    const before = await p.client.post<ChatAnswer>(`${p.base}/chat`, {
      question: 'Why do flamingo feathers turn pink?',
    });
    expect(before.body.grounded).toBe(true);
    expect(before.body.citations.map((c) => c.document_id)).toContain(doc.id);

    const del = await p.client.delete<{ deleted: { document_id: string; chunks: number } }>(
      `${p.base}/documents/${doc.id}`,
    );
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ deleted: { document_id: doc.id, chunks: doc.chunks } });
    expect(doc.chunks).toBeGreaterThan(0);

    expect((await retrieve(p.client, p.base, 'flamingo feathers pink shrimp')).map((r) => r.document_id)).not.toContain(
      doc.id,
    );
    const after = await p.client.post<ChatAnswer>(`${p.base}/chat`, {
      question: 'Why do flamingo feathers turn pink?',
    });
    expect(after.status).toBe(200);
    expect(after.body.citations.map((c) => c.document_id)).not.toContain(doc.id);
    expect(after.body.answer).not.toContain('shrimp');

    const gone = await getDoc(p.client, p.base, doc.id);
    expect(gone.status).toBe(404);
    expect((gone.body as unknown as { error: { type: string } }).error.type).toBe('not_found');
    expect((await p.client.get(`${p.base}/documents/${doc.id}/content`)).status).toBe(404);
    expect((await p.client.delete(`${p.base}/documents/${doc.id}`)).status).toBe(404);
    const listed = await p.client.get<{ documents: Doc[] }>(`${p.base}/documents?limit=200`);
    expect(listed.body.documents.map((d) => d.id)).not.toContain(doc.id);
  });

  describe('documents that cannot be parsed', () => {
    const broken = [
      {
        name: 'invalid JSON declared as application/json',
        body: { text: '{"manatee": "slow swimmer", "broken": [1, 2', content_type: 'application/json' },
        query: 'manatee slow swimmer',
        error: /JSON/,
      },
      {
        name: 'a CSV with an unterminated quote',
        body: {
          text: 'animal,diet\nmanatee,"sea grass and lettuce\nhippo,grass\n',
          filename: 'diets.csv',
        },
        query: 'manatee sea grass lettuce',
        error: /quote/,
      },
    ];

    it.each(broken)('$name with ?wait=true is a 422, listed as failed with a readable error', async (c) => {
      const q = await newProject(`broken ${c.name}`);
      const res = await q.client.post<{ error: { type: string; message: string; request_id: string }; document: Doc }>(
        `${q.base}/documents?wait=true`,
        c.body,
      );
      expect(res.status).toBe(422);
      expect(res.body.error.type).toBe('unprocessable');
      expect(res.body.error.message).toMatch(c.error);
      expect(res.body.error.request_id).toBe(res.headers.get('x-request-id'));
      expect(res.body.document).toMatchObject({ status: 'failed', chunks: 0 });
      const id = res.body.document.id;

      const listed = await q.client.get<{ documents: Doc[] }>(`${q.base}/documents?status=failed`);
      const failed = listed.body.documents.find((d) => d.id === id);
      expect(failed).toBeDefined();
      expect(failed?.error).toMatch(c.error);
      expect(failed?.error).not.toMatch(/Error:|at \w+ \(|\/work\//); // no stack or internals
      expect((await getDoc(q.client, q.base, id)).body.document).toMatchObject({
        status: 'failed',
        error: failed?.error,
      });

      expect((await retrieve(q.client, q.base, c.query)).filter((r) => r.document_id === id)).toEqual([]);
      const chat = await q.client.post<ChatAnswer>(`${q.base}/chat`, { question: `What about ${c.query}?` });
      expect(chat.body.grounded).toBe(false);
    });

    it('without ?wait a broken document is accepted (202) and then turns failed', async () => {
      const res = await p.client.post<{ document: Doc }>(`${p.base}/documents`, {
        text: 'name,quote\nseal,"never closed\n',
        content_type: 'text/csv',
      });
      expect(res.status).toBe(202);
      const doc = await settled(p.client, p.base, res.body.document.id);
      expect(doc.status).toBe('failed');
      expect(doc.error).toMatch(/unterminated/);
      expect(doc.chunks).toBe(0);
    });
  });

  describe('retrieve filters', () => {
    let q: Project;
    let red: Doc;
    let blue: Doc;
    let plain: Doc;
    beforeAll(async () => {
      q = await newProject('filters');
      red = await ingestReady(q.client, q.base, {
        text: 'Penguin colonies huddle together in winter storms.',
        tags: ['birds', 'cold'],
      });
      blue = await ingestReady(q.client, q.base, {
        text: 'Penguin chicks molt their down in early summer.',
        tags: ['birds'],
      });
      plain = await ingestReady(q.client, q.base, { text: 'Penguin keepers wear waterproof boots.' });
    });

    it('without a filter every matching document is found', async () => {
      const ids = new Set((await retrieve(q.client, q.base, 'penguin')).map((r) => r.document_id));
      expect(ids).toEqual(new Set([red.id, blue.id, plain.id]));
    });

    it('filter.document_ids restricts results to those documents', async () => {
      const results = await retrieve(q.client, q.base, 'penguin', { filter: { document_ids: [blue.id, plain.id] } });
      expect(new Set(results.map((r) => r.document_id))).toEqual(new Set([blue.id, plain.id]));
      const malformed = await retrieve(q.client, q.base, 'penguin', { filter: { document_ids: ['nope'] } });
      expect(malformed).toEqual([]);
    });

    it('filter.tags restricts results to documents with any of those tags', async () => {
      const cold = await retrieve(q.client, q.base, 'penguin', { filter: { tags: ['cold'] } });
      expect(cold.map((r) => r.document_id)).toEqual([red.id]);
      const birds = await retrieve(q.client, q.base, 'penguin', { filter: { tags: ['birds'] } });
      expect(new Set(birds.map((r) => r.document_id))).toEqual(new Set([red.id, blue.id]));
      const none = await retrieve(q.client, q.base, 'penguin', { filter: { tags: ['fish'] } });
      expect(none).toEqual([]);
    });

    it('both filters together must both hold, and chat honours them too', async () => {
      const both = await retrieve(q.client, q.base, 'penguin', {
        filter: { tags: ['birds'], document_ids: [blue.id, plain.id] },
      });
      expect(both.map((r) => r.document_id)).toEqual([blue.id]);
      const chat = await q.client.post<ChatAnswer>(`${q.base}/chat`, {
        question: 'When do penguin chicks molt?',
        filter: { document_ids: [red.id] },
      });
      expect(chat.status).toBe(200);
      for (const c of chat.body.citations) expect(c.document_id).toBe(red.id);
    });
  });

  describe('short forms with a project key', () => {
    it('/v1/documents behaves like the long form', async () => {
      const q = await newProject('short forms');
      const admin = t.admin;

      const created = await q.client.post<{ document: Doc }>('/v1/documents?wait=true', {
        text: 'Meerkat sentries whistle when hawks approach.',
        title: 'Meerkats',
        external_id: 'kb/meerkats',
      });
      expect(created.status).toBe(201);
      const id = created.body.document.id;

      const longGet = await getDoc(admin, q.base, id);
      const shortGet = await q.client.get<{ document: Doc }>(`/v1/documents/${id}`);
      expect(shortGet.status).toBe(200);
      expect(shortGet.body).toEqual(longGet.body);

      const longList = await admin.get<{ documents: Doc[] }>(`${q.base}/documents`);
      const shortList = await q.client.get<{ documents: Doc[] }>('/v1/documents');
      expect(shortList.body).toEqual(longList.body);
      expect(shortList.body.documents.map((d) => d.id)).toEqual([id]);

      const form = await postForm('/v1/documents', q.key, {
        bytes: '# Meerkat diet\n\nMeerkats eat scorpions.',
        filename: 'diet.md',
      });
      expect(form.status).toBe(202);
      await settled(q.client, '/v1', form.body.document.id);

      const shortContent = await q.client.get<string>(`/v1/documents/${id}/content`);
      expect(shortContent.status).toBe(200);
      expect(shortContent.body).toBe('Meerkat sentries whistle when hawks approach.');

      const shortRetrieve = await q.client.post<{ results: RetrieveResult[] }>('/v1/retrieve', {
        query: 'meerkat sentries hawks',
      });
      const longRetrieve = await admin.post<{ results: RetrieveResult[] }>(`${q.base}/retrieve`, {
        query: 'meerkat sentries hawks',
      });
      expect(shortRetrieve.status).toBe(200);
      expect(shortRetrieve.body).toEqual(longRetrieve.body);
      expect(shortRetrieve.body.results[0].document_id).toBe(id);

      const unchanged = await q.client.post<{ unchanged?: boolean }>('/v1/documents', {
        text: 'Meerkat sentries whistle when hawks approach.',
        title: 'Meerkats',
        external_id: 'kb/meerkats',
      });
      expect(unchanged.status).toBe(200);
      expect(unchanged.body.unchanged).toBe(true);

      const del = await q.client.delete<{ deleted: { document_id: string; chunks: number } }>(`/v1/documents/${id}`);
      expect(del.status).toBe(200);
      expect(del.body.deleted.document_id).toBe(id);
      expect((await getDoc(admin, q.base, id)).status).toBe(404);
      expect((await q.client.get(`/v1/documents/${id}`)).status).toBe(404);

      // the short form acts on the key's own project only: the other project's documents stay out of reach
      const other = await q.client.get(
        `/v1/documents/${(await ingestReady(p.client, p.base, { text: 'Elsewhere.' })).id}`,
      );
      expect(other.status).toBe(404);
    });

    it('a company key cannot use the short forms (they need a project key)', async () => {
      const res = await t.admin.get<{ error: { type: string } }>('/v1/documents');
      expect(res.status).toBe(403);
      expect(res.body.error.type).toBe('forbidden');
    });
  });
});
