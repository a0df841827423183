import { randomBytes } from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server';

const REQUIRED = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

function expectSecurityHeaders(headers: Headers) {
  for (const [name, value] of Object.entries(REQUIRED)) expect(headers.get(name)).toBe(value);
  expect(headers.get('content-security-policy')).toMatch(/default-src 'none'.*sandbox/);
  expect(headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
}

describe('hostile input and security headers', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('sends the security headers on answers, errors, oversize bodies and original files', async () => {
    const p = await t.project();
    const html = '<html><body><script>alert(document.cookie)</script><p>Harmless text about kites.</p></body></html>';
    const doc = await p.client.post<{ document: { id: string } }>('/v1/documents?wait=true', {
      filename: 'page.html',
      content_type: 'text/html',
      text: html,
    });
    const responses = await Promise.all([
      fetch(`${t.url}/v1/company`, { headers: { authorization: `Bearer ${t.adminKey}` } }),
      fetch(`${t.url}/v1/company`),
      fetch(`${t.url}/v1/nowhere`, { headers: { authorization: `Bearer ${t.adminKey}` } }),
      fetch(`${t.url}/v1/documents/${doc.body.document.id}/content`, { headers: { authorization: `Bearer ${p.key}` } }),
      fetch(`${t.url}/v1/documents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${p.key}`, 'content-type': 'application/json' },
        body: Buffer.alloc(11 * 1024 * 1024, 'a'),
      }),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 401, 404, 200, 413]);
    for (const res of responses) expectSecurityHeaders(res.headers);
    // the stored HTML comes back as it was, but under a sandboxing policy: it cannot run
    const content = responses[3];
    expect(await content.text()).toBe(html);
    expect(content.headers.get('content-type')).toBe('text/html');
    expect(content.headers.get('cache-control')).toBe('no-store');
  });

  it('gives every response a request id, the dashboard and unknown paths too', async () => {
    const ids: string[] = [];
    for (const path of ['/', '/favicon.ico', '/v2/nothing', '/v1/nothing']) {
      const res = await fetch(`${t.url}${path}`);
      expect({ path, id: res.headers.get('x-request-id') }).toEqual({ path, id: expect.stringMatching(/^req_/) });
      ids.push(res.headers.get('x-request-id') as string);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refuses webhook URLs that point inside the network', async () => {
    const p = await t.project();
    for (const webhook_url of [
      'https://169.254.169.254/latest',
      'https://127.0.0.1/hook',
      'https://localhost/hook',
      'http://hooks.example.com/x',
    ]) {
      const res = await t.admin.request<{ error: { type: string; message: string } }>('PATCH', `/v1/projects/${p.id}`, {
        webhook_url,
      });
      expect({ webhook_url, status: res.status, type: res.body.error?.type }).toEqual({
        webhook_url,
        status: 400,
        type: 'invalid_request',
      });
    }
    const ok = await t.admin.request<{ project: { webhook_url: string } }>('PATCH', `/v1/projects/${p.id}`, {
      webhook_url: 'https://hooks.example.com/oprag',
    });
    expect(ok.status).toBe(200);
    expect(ok.body.project.webhook_url).toBe('https://hooks.example.com/oprag');
  });

  it("one tenant's flood never throttles another", async () => {
    const a = await t.project('flooded');
    const b = await t.project('neighbour');
    await t.admin.request('PATCH', `/v1/projects/${a.id}`, { limits: { chat_per_minute: 5 } });
    await t.admin.request('PATCH', `/v1/projects/${b.id}`, { limits: { chat_per_minute: 5 } });
    const flood = await Promise.all(
      Array.from({ length: 12 }, () => a.client.post('/v1/chat', { question: 'kites?' })),
    );
    const limited = flood.filter((r) => r.status === 429);
    // a minute boundary during the flood can open a new window; at least the overflow of one window is refused
    expect(limited.length).toBeGreaterThanOrEqual(2);
    expect(limited[0].headers.get('retry-after')).toMatch(/^\d+$/);
    const neighbour = await Promise.all(
      Array.from({ length: 4 }, () => b.client.post('/v1/chat', { question: 'kites?' })),
    );
    expect(neighbour.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it('audits every chat with a hash of the question, the cited documents and the outcome, never the text', async () => {
    const p = await t.project('audited answers');
    const secret = `Orchid${randomBytes(4).toString('hex')}`;
    const doc = await p.client.post<{ document: { id: string } }>('/v1/documents?wait=true', {
      text: `The greenhouse grows the ${secret} variety at 24 degrees.`,
    });
    const question = `At what temperature does the ${secret} variety grow?`;
    const answered = await p.client.post<{ grounded: boolean }>('/v1/chat', { question });
    expect(answered.body.grounded).toBe(true);
    await p.client.post('/v1/chat', { question: 'Who won the 1998 world cup?', stream: true });
    const audit = await t.admin.get<{ events: { action: string; detail?: Record<string, unknown> }[] }>(
      `/v1/projects/${p.id}/audit`,
    );
    const chats = audit.body.events.filter((e) => e.action === 'chat');
    expect(chats).toHaveLength(2);
    const [refused, grounded] = chats;
    const { createHash } = await import('node:crypto');
    expect(grounded.detail).toEqual({
      question_sha256: createHash('sha256').update(question).digest('hex'),
      cited_document_ids: [doc.body.document.id],
      grounded: true,
      refused: false,
      latency_ms: expect.any(Number),
    });
    expect(refused.detail).toMatchObject({ grounded: false, refused: true, cited_document_ids: [] });
    expect(JSON.stringify(audit.body)).not.toContain(secret);
  });

  it('drops audit events past the retention period', async () => {
    const p = await t.project('retention');
    await p.client.post('/v1/chat', { question: 'anything?' });
    const records = t.server.home.store.forProject(p.id);
    const old = new Date(Date.now() - 500 * 86_400_000).toISOString();
    await records.appendAudit({
      id: 'req_00000000000000000000000000',
      at: old,
      actor: { type: 'system', key_id: null },
      action: 'ancient',
      resource: '/',
      outcome: 'success',
      request_id: 'req_00000000000000000000000000',
    });
    expect((await records.listAudit({ limit: 50 })).items.map((e) => e.action)).toContain('ancient');
    expect(await t.server.services.audit.prune()).toBeGreaterThanOrEqual(1);
    const after = (await records.listAudit({ limit: 50 })).items.map((e) => e.action);
    expect(after).not.toContain('ancient');
    expect(after).toContain('chat');
  });
});
