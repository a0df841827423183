import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { makeDocx, makePdf } from '../fixtures/documents';
import { DOCX_TYPE } from '../fixtures/hostile';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * The local server against hostile clients, over real loopback sockets: bodies are read only for
 * a caller whose key or upload token holds, slow clients are closed, and every early answer
 * reaches the client. Timeouts are configured small; the tests wait for events, never for time.
 */

interface Raw {
  socket: Socket;
  /** everything received so far */
  received(): string;
  /** resolves once a whole response head (status line and headers) has arrived */
  head: Promise<string>;
  /** resolves when the server closed the connection */
  closed: Promise<void>;
}

/** A client writing raw bytes: the test decides exactly what is sent, and when. */
function raw(url: string, first: string | Buffer): Promise<Raw> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let data = '';
    let gotHead: (h: string) => void = () => undefined;
    const head = new Promise<string>((r) => {
      gotHead = r;
    });
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('data', (d) => {
      data += d.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      if (end >= 0) gotHead(data.slice(0, end));
    });
    socket.on('error', () => undefined); // a reset is what some tests expect
    socket.once('connect', () => {
      socket.write(first);
      resolve({ socket, received: () => data, head, closed });
    });
    socket.once('error', reject);
  });
}

const status = (head: string) => Number(head.split(' ')[1]);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** A key in the right format that no one holds, or one that shares the display prefix of `like`. */
const forgedKey = (like = 'oprag_pk_Q') => `${like}${'x'.repeat(49 - like.length)}`;

describe('the local server sheds clients without a key before reading their bodies', () => {
  let t: TestServer;
  let p: Awaited<ReturnType<TestServer['project']>>;

  beforeAll(async () => {
    t = await startTestServer({
      settings: { maxBodyBytes: 64 * 1024, maxUploadBytes: 256 * 1024, failedAuthAuditPerMinute: 3 },
      // windows long enough that no test step trips them; the timeout tests use their own server
      limits: {
        discardBytes: 2 * 2 ** 20,
        bodyRateWindowMs: 60_000,
        minBodyBytesPerSecond: 1,
        maxConcurrentUploads: 1,
      },
    });
    p = await t.project('Shed');
  });
  afterAll(async () => t.close());

  it('answers 401 to a POST with a forged key before a byte of its body was sent, and buffers none', async () => {
    const before = t.server.stats();
    const c = await raw(
      t.url,
      `POST /v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${forgedKey()}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n',
    );
    expect(status(await c.head)).toBe(401);
    expect(c.received()).toContain('"type":"unauthorized"');
    // what the client sends after the answer is read and thrown away, never handed to the app
    c.socket.write(Buffer.alloc(512 * 1024, 'a'));
    c.socket.end();
    await c.closed;
    const after = t.server.stats();
    expect(after.bodyBytesRead - before.bodyBytesRead).toBe(0);
    expect(after.bodyBytesDiscarded - before.bodyBytesDiscarded).toBeLessThanOrEqual(512 * 1024);
  });

  it('says 100 Continue only to a caller whose key holds, and answers a forged key at once', async () => {
    const head = (key: string, length: number) =>
      `POST /v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\n` +
      `Expect: 100-continue\r\nContent-Length: ${length}\r\n\r\n`;
    const forged = await raw(t.url, head(forgedKey(), 4_000_000));
    expect(await forged.head).toMatch(/^HTTP\/1\.1 401/);
    expect(forged.received()).toMatch(/\r\nconnection: close\r\n/i);
    await forged.closed;

    const body = JSON.stringify({ text: 'Cranes rest when the wind passes force eight.' });
    const good = await raw(t.url, head(p.key, Buffer.byteLength(body)));
    expect(await good.head).toBe('HTTP/1.1 100 Continue');
    const final = new Promise<string>((resolve) =>
      good.socket.on('data', () => {
        if (/HTTP\/1\.1 202/.test(good.received())) resolve(good.received());
      }),
    );
    good.socket.write(body);
    expect(await final).toContain('"status":"queued"');
    good.socket.destroy();
  });

  it('answers 404 to PUTs on unknown upload tokens before their bodies, and closes a connection past the discard bound', async () => {
    const before = t.server.stats();
    const clients = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        raw(t.url, `PUT /v1/uploads/not-a-token-${i} HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n`),
      ),
    );
    for (const c of clients) expect(status(await c.head)).toBe(404);
    // one keeps sending: after 2 MB thrown away the server closes its connection
    const [first, ...rest] = clients;
    const chunk = Buffer.alloc(256 * 1024, 'b');
    const pump = () => {
      while (!first.socket.destroyed && first.socket.write(chunk)) {
        // fill the socket's buffer; 'drain' calls again
      }
    };
    first.socket.on('drain', pump);
    pump();
    await first.closed;
    const after = t.server.stats();
    expect(after.bodyBytesRead - before.bodyBytesRead).toBe(0);
    expect(after.connectionsShed - before.connectionsShed).toBeGreaterThanOrEqual(1);
    expect(after.bodyBytesDiscarded - before.bodyBytesDiscarded).toBeLessThanOrEqual(2 * 2 ** 20 + 256 * 1024);
    for (const c of rest) c.socket.destroy();
  });

  it('answers an oversize body with a 413 that fetch receives, on a fresh and on a reused connection', async () => {
    const big = Buffer.alloc(1024 * 1024, 'a');
    const count = async () => (await p.client.get<{ documents: unknown[] }>('/v1/documents')).body.documents.length;
    const kept = await count();
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${t.url}/v1/documents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${p.key}`, 'content-type': 'application/json' },
        body: big,
      });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { type: string } }).error.type).toBe('payload_too_large');
    }
    // without a declared length: the limit is counted as the body arrives
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(256 * 1024));
        controller.close();
      },
    });
    const streamed = await fetch(`${t.url}/v1/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.key}`, 'content-type': 'application/json' },
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    // a forged key on the same oversize body: the key is judged first
    const forged = await fetch(`${t.url}/v1/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${forgedKey()}`, 'content-type': 'application/json' },
      body: big,
    });
    expect(forged.status).toBe(401);
    // an upload over maxUploadBytes
    const up = await p.client.post<{ upload: { url: string; headers: Record<string, string> } }>('/v1/uploads', {
      filename: 'big.txt',
      content_type: 'text/plain',
    });
    const put = await fetch(up.body.upload.url, { method: 'PUT', headers: up.body.upload.headers, body: big });
    expect(put.status).toBe(413);
    expect(((await put.json()) as { error: { message: string } }).error.message).toBe(
      'the file may be at most 0.25 MB',
    );
    // nothing of it was kept
    expect(await count()).toBe(kept);
  });

  it('takes one upload body at a time when so configured: the next PUT gets 429 and its URL stays good', async () => {
    const create = async (name: string) =>
      (
        await p.client.post<{ upload: { url: string; headers: Record<string, string> } }>('/v1/uploads', {
          filename: name,
          content_type: 'text/plain',
        })
      ).body.upload;
    const a = await create('a.txt');
    const b = await create('b.txt');
    const text = 'Uploads are read one at a time. '.repeat(32);
    const path = new URL(a.url).pathname;
    const held = await raw(
      t.url,
      `PUT ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text.slice(0, 10)}`,
    );
    // the held upload's body is being read once the server counts it
    for (let i = 0; t.server.stats().uploadsActive === 0 && i < 1000; i++) await new Promise(setImmediate);
    expect(t.server.stats().uploadsActive).toBe(1);
    const busy = await fetch(b.url, { method: 'PUT', headers: b.headers, body: text });
    expect(busy.status).toBe(429);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(((await busy.json()) as { error: { type: string } }).error.type).toBe('rate_limited');

    held.socket.write(text.slice(10));
    expect(status(await held.head)).toBe(200);
    held.socket.destroy();
    const again = await fetch(b.url, { method: 'PUT', headers: b.headers, body: text });
    expect(again.status).toBe(200);
  });

  it('refuses a JSON body holding invalid UTF-8 with 400 naming the byte offset, and keeps nothing of it', async () => {
    const bad = Buffer.concat([Buffer.from('{"question":"caf'), Buffer.from([0xff]), Buffer.from('"}')]);
    const chat = await fetch(`${t.url}/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.key}`, 'content-type': 'application/json' },
      body: bad,
    });
    expect(chat.status).toBe(400);
    const body = (await chat.json()) as { error: { type: string; message: string; request_id: string } };
    expect(body.error.type).toBe('invalid_request');
    expect(body.error.message).toBe('the body is not valid UTF-8: the sequence at byte offset 16 is malformed');
    expect(body.error.request_id).toBe(chat.headers.get('x-request-id'));
    const count = async () => (await p.client.get<{ documents: unknown[] }>('/v1/documents')).body.documents.length;
    const before = await count();

    // a truncated sequence at the end of a document's text
    const doc = Buffer.concat([Buffer.from('{"text":"Price: 5 '), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]);
    const posted = await fetch(`${t.url}/v1/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.key}`, 'content-type': 'application/json' },
      body: doc,
    });
    expect(posted.status).toBe(400);
    expect(((await posted.json()) as { error: { message: string } }).error.message).toContain('byte offset 18');
    expect(await count()).toBe(before);
  });

  it('serves 1,000 sequential uploads of mixed formats on keep-alive connections, each read whole and as sent', async () => {
    // seven formats, every file different, so each one is read, chunked and indexed before its answer
    const kinds: { ext: string; type: string; make: (n: number) => Promise<Buffer> | Buffer }[] = [
      { ext: 'txt', type: 'text/plain', make: (n) => Buffer.from(`Plain notes ${n} about the harbour crane.`) },
      { ext: 'md', type: 'text/markdown', make: (n) => Buffer.from(`# Guide ${n}\n\nThe crane lifts ${n} tonnes.`) },
      {
        ext: 'html',
        type: 'text/html',
        make: (n) => Buffer.from(`<html><body><h1>Crane ${n}</h1><p>Lifts ship ${n}.</p></body></html>`),
      },
      { ext: 'csv', type: 'text/csv', make: (n) => Buffer.from(`part,weight\nhook,${n}\nboom,40\n`) },
      { ext: 'json', type: 'application/json', make: (n) => Buffer.from(`{"crane":{"tonnes":${n}}}`) },
      {
        ext: 'docx',
        type: DOCX_TYPE,
        make: (n) => makeDocx([`# Crane ${n}`, `The boom of crane ${n} is forty metres.`]),
      },
      { ext: 'pdf', type: 'application/pdf', make: (n) => makePdf([[`Crane ${n}`, `It lifts ${n} tonnes.`]]) },
    ];
    const before = t.server.stats();
    const errors: unknown[] = [];
    const wrong: unknown[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const kind = kinds[i % kinds.length];
      const bytes = await kind.make(i);
      const filename = `keepalive-${i}.${kind.ext}`;
      const form = new FormData();
      form.set('file', new Blob([bytes], { type: kind.type }), filename);
      try {
        const res = await fetch(`${t.url}/v1/documents?wait=true`, {
          method: 'POST',
          headers: { authorization: `Bearer ${p.key}` },
          body: form,
        });
        const body = (await res.json()) as { document?: Record<string, unknown> };
        // the idle time announced is the one configured; the server closes 999 ms after it
        if (i === 0) expect(res.headers.get('keep-alive')).toBe('timeout=5');
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        // the body the server read is exactly the one this request sent, and it was read whole
        const d = body.document ?? {};
        const sent = { filename, content_type: kind.type, content_hash: sha256(bytes), status: 'ready' };
        const got = {
          filename: d.filename,
          content_type: d.content_type,
          content_hash: d.content_hash,
          status: d.status,
        };
        if (JSON.stringify(got) !== JSON.stringify(sent) || !((d.chunks as number) >= 1)) wrong.push({ i, sent, got });
      } catch (e) {
        errors.push(e);
      }
    }
    expect(errors).toEqual([]);
    expect(wrong).toEqual([]);
    expect(Object.fromEntries(statuses)).toEqual({ 201: 1000 });
    // the connection was reused, not opened per request
    expect(t.server.stats().connectionsAccepted - before.connectionsAccepted).toBeLessThan(20);
  }, 180_000);

  describe('failed authentications in the company audit', () => {
    type Events = {
      events: {
        action: string;
        actor: { type: string; key_id: string | null };
        detail?: Record<string, unknown>;
        outcome: string;
      }[];
    };
    const failed = async (client = t.admin) =>
      (await client.get<Events>('/v1/company/audit?action=auth.failed&limit=100')).body.events;

    it('records a key with a known prefix in that company only, by prefix, and never a prefix no one holds', async () => {
      t.clock.freeze();
      t.clock.advance(120_000); // a fresh minute for the rate limit
      const other = await t.server.services.keys.createCompany('Other Co');
      const otherAdmin = t.client(other.api_key.key);
      const start = (await failed()).length;

      const sameprefix = forgedKey(t.adminKey.slice(0, 12));
      expect((await t.client(sameprefix).get('/v1/me')).status).toBe(401);
      const events = await failed();
      expect(events.length).toBe(start + 1);
      expect(events[0]).toMatchObject({
        action: 'auth.failed',
        outcome: 'denied',
        actor: { type: 'company_key', key_id: null },
        detail: { key_prefix: t.adminKey.slice(0, 12), reason: 'unknown_key', route: 'me' },
      });
      expect(await failed(otherAdmin)).toEqual([]);

      // a prefix that names no company is recorded nowhere
      const keys = [t.adminKey, other.api_key.key, p.key].map((k) => k.slice(0, 12));
      const stranger = ['oprag_ak_ZZZ', 'oprag_ak_YYY', 'oprag_ak_XXX'].find((k) => !keys.includes(k)) as string;
      expect((await t.client(forgedKey(stranger)).get('/v1/me')).status).toBe(401);
      expect((await failed()).length).toBe(start + 1);
      expect(await failed(otherAdmin)).toEqual([]);
      t.clock.resume();
    });

    it('records a revoked project key with its id in the company audit, not the project audit', async () => {
      t.clock.freeze();
      t.clock.advance(120_000);
      const created = await t.admin.post<{ api_key: { id: string; key: string } }>(`/v1/projects/${p.id}/keys`, {
        name: 'soon revoked',
      });
      await t.admin.delete(`/v1/projects/${p.id}/keys/${created.body.api_key.id}`);
      expect((await t.client(created.body.api_key.key).post('/v1/retrieve', { query: 'crane' })).status).toBe(401);
      const [event] = await failed();
      expect(event).toMatchObject({
        actor: { type: 'project_key', key_id: created.body.api_key.id },
        detail: { reason: 'revoked', route: 'retrieve', key_prefix: created.body.api_key.key.slice(0, 12) },
      });
      const project = await t.admin.get<Events>(`/v1/projects/${p.id}/audit?action=auth.failed`);
      expect(project.body.events).toEqual([]);
      t.clock.resume();
    });

    it('writes at most the configured number a minute and counts the rest on the next one', async () => {
      t.clock.freeze(new Date(Math.ceil(t.clock.now().getTime() / 60_000) * 60_000 + 60_000));
      const start = (await failed()).length;
      const key = forgedKey(t.adminKey.slice(0, 12));
      for (let i = 0; i < 10; i++) expect((await t.client(key).get('/v1/me')).status).toBe(401);
      expect((await failed()).length).toBe(start + 3);

      t.clock.advance(60_000);
      expect((await t.client(key).get('/v1/me')).status).toBe(401);
      const events = await failed();
      expect(events.length).toBe(start + 4);
      expect(events[0].detail).toMatchObject({ unrecorded_before: 7 });
      t.clock.resume();
    });
  });
});

describe('the local server closes slow and surplus connections', () => {
  let t: TestServer;
  let key: string;

  beforeAll(async () => {
    t = await startTestServer({
      limits: {
        headersTimeoutMs: 300,
        checkIntervalMs: 50,
        bodyRateWindowMs: 200,
        minBodyBytesPerSecond: 1000,
        maxConnections: 3,
      },
    });
    key = (await t.project('Slow')).key;
  });
  afterAll(async () => t.close());

  it('closes a connection whose headers never end', async () => {
    const c = await raw(t.url, 'POST /v1/documents HTTP/1.1\r\nHost: x\r\nX-Slow: a');
    await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection whose body comes slower than the minimum rate, and hands the app nothing', async () => {
    const before = t.server.stats();
    const c = await raw(
      t.url,
      `POST /v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 100000\r\n\r\n{"te',
    );
    await c.closed;
    expect(c.received()).toBe('');
    const after = t.server.stats();
    expect(after.connectionsShed - before.connectionsShed).toBe(1);
    expect((await t.client(key).get<{ documents: unknown[] }>('/v1/documents')).body.documents).toEqual([]);
  });

  it('closes a connection past the cap as it is accepted', async () => {
    // the connection that created the project may still be open, idle: it counts
    const open = t.server.stats().connectionsOpen;
    const held = await Promise.all(
      Array.from({ length: 3 - open }, () =>
        raw(t.url, `GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`),
      ),
    );
    for (const c of held) expect(status(await c.head)).toBe(200);
    const surplus = await raw(t.url, `GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`);
    await surplus.closed;
    expect(surplus.received()).toBe('');
    for (const c of held) c.socket.destroy();
  });
});

describe('the local server bounds the time of a whole request', () => {
  let t: TestServer;
  let key: string;

  beforeAll(async () => {
    t = await startTestServer({
      // a body rate any client meets, so only the request's own deadline can end it
      limits: {
        requestTimeoutMs: 400,
        headersTimeoutMs: 400,
        checkIntervalMs: 50,
        bodyRateWindowMs: 60_000,
        minBodyBytesPerSecond: 1,
      },
    });
    key = (await t.project('Deadline')).key;
  });
  afterAll(async () => t.close());

  it('answers 408 and closes a connection whose body is still coming at the request deadline, keeping nothing', async () => {
    const c = await raw(
      t.url,
      `POST /v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\n` +
        `Content-Length: 100000\r\n\r\n{"text":"${'a'.repeat(200)}`,
    );
    await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(t.server.stats().connectionsShed).toBe(0); // the rate was met: the deadline closed it
    expect((await t.client(key).get<{ documents: unknown[] }>('/v1/documents')).body.documents).toEqual([]);
  });
});
