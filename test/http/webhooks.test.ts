import { verifySignature } from '../../lambdas/core/webhook-signature';
import { startTestServer, type TestServer } from '../helpers/server';
import { type Delivery, deadUrl, type Receiver, startReceiver } from '../helpers/webhook-receiver';

type Project = { id: string; webhook_url?: string | null; webhook_secret?: string };
type AuditEvent = {
  action: string;
  outcome: string;
  resource: string;
  actor: { type: string };
  detail?: Record<string, unknown>;
};

const SECRET = /^whsec_[A-Za-z0-9_-]{43}$/;

function verifies(secret: string, d: Delivery): boolean {
  return verifySignature(
    secret,
    d.headers['x-oprag-timestamp'] as string,
    d.body,
    d.headers['x-oprag-signature'] as string,
    300,
  );
}

describe('signed document webhooks', () => {
  let t: TestServer;
  const receivers: Receiver[] = [];
  const receiver = async (opts?: Parameters<typeof startReceiver>[0]) => {
    const r = await startReceiver(opts);
    receivers.push(r);
    return r;
  };
  beforeAll(async () => {
    t = await startTestServer({ settings: { allowPrivateUrls: true, webhookRetryDelaysMs: [20, 40, 80, 160] } });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  const setHook = (projectId: string, body: Record<string, unknown>) =>
    t.admin.request<{ project: Project }>('PATCH', `/v1/projects/${projectId}`, body);

  /** A project whose webhook points at `url`; returns it with the secret shown at setting time. */
  async function hooked(url: string) {
    const p = await t.project('webhook tenant');
    const res = await setHook(p.id, { webhook_url: url });
    expect(res.status).toBe(200);
    return { ...p, secret: res.body.project.webhook_secret as string };
  }

  const ingest = (client: TestServer['admin'], text: string, extra: Record<string, unknown> = {}) =>
    client.post<{ document: { id: string; status: string } }>('/v1/documents?wait=true', { text, ...extra });
  const deliveries = async () => t.server.services.webhooks.idle();
  const webhookAudit = async (projectId: string) => {
    const res = await t.admin.get<{ events: AuditEvent[] }>(`/v1/projects/${projectId}/audit?limit=200`);
    return res.body.events.filter((e) => e.action === 'webhook.delivery');
  };

  it('shows the signing secret once, when the URL is first set, and never in a project object', async () => {
    const r = await receiver();
    const p = await t.project('secret shown once');
    const set = await setHook(p.id, { webhook_url: r.url });
    expect(set.body.project.webhook_url).toBe(r.url);
    expect(set.body.project.webhook_secret).toMatch(SECRET);

    const renamed = await setHook(p.id, { name: 'renamed' });
    const moved = await setHook(p.id, { webhook_url: `${r.url}/v2` });
    const got = await t.admin.get<{ project: Project }>(`/v1/projects/${p.id}`);
    const listed = await t.admin.get<{ projects: Project[] }>('/v1/projects?limit=200');
    const exported = await t.admin.get<string>(`/v1/projects/${p.id}/export`);
    for (const shown of [renamed.body.project, moved.body.project, got.body.project]) {
      expect(shown).not.toHaveProperty('webhook_secret');
    }
    expect(listed.body.projects.find((x) => x.id === p.id)).not.toHaveProperty('webhook_secret');
    expect(String(exported.body)).not.toContain(set.body.project.webhook_secret);
    expect(got.body.project.webhook_url).toBe(`${r.url}/v2`);
  });

  it('posts a signed document.ready event once a good document is ready', async () => {
    const r = await receiver();
    const p = await hooked(r.url);
    const doc = await ingest(p.client, 'Refunds are accepted within 30 days of purchase.', { title: 'Refunds' });
    expect(doc.status).toBe(201);
    await deliveries();

    expect(r.deliveries).toHaveLength(1);
    const [d] = r.deliveries;
    expect(d.json).toMatchObject({
      type: 'document.ready',
      project_id: p.id,
      document: { id: doc.body.document.id, status: 'ready' },
    });
    expect(d.json.id).toMatch(/^evt_/);
    expect(d.headers['x-oprag-event-id']).toBe(d.json.id);
    expect(d.headers['content-type']).toBe('application/json');
    // the server's clock, in seconds, when it signed
    const signedAt = Number(d.headers['x-oprag-timestamp']);
    expect(signedAt).toBeGreaterThanOrEqual(Math.floor(Date.parse(d.json.created_at) / 1000));
    expect(signedAt).toBeLessThanOrEqual(t.clock.now().getTime() / 1000);
    expect(d.headers['x-oprag-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifies(p.secret, d)).toBe(true);
    expect(verifies(p.secret, { ...d, body: d.body.replace('ready', 'failed') })).toBe(false);
    expect(d.body).not.toContain(p.secret);
  });

  it('posts document.failed, with the error, for a broken document', async () => {
    const r = await receiver();
    const p = await hooked(r.url);
    const doc = await ingest(p.client, '{"broken": ', { content_type: 'application/json' });
    expect(doc.status).toBe(422);
    await deliveries();

    expect(r.deliveries.map((d) => d.json.type)).toEqual(['document.failed']);
    expect(r.deliveries[0].json.document).toMatchObject({ id: doc.body.document.id, status: 'failed' });
    expect(r.deliveries[0].json.document.error).toEqual(expect.any(String));
    expect(verifies(p.secret, r.deliveries[0])).toBe(true);
  });

  it('retries a 500 and records the delivery that succeeds on the third attempt', async () => {
    const r = await receiver({ script: [500, 500], fallback: 200 });
    const p = await hooked(r.url);
    await ingest(p.client, 'Shipping takes five working days.');
    await deliveries();

    expect(r.deliveries).toHaveLength(3);
    expect(new Set(r.deliveries.map((d) => d.json.id)).size).toBe(1);
    for (const d of r.deliveries) expect(verifies(p.secret, d)).toBe(true);
    const audit = await webhookAudit(p.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      outcome: 'success',
      actor: { type: 'system' },
      detail: { event_id: r.deliveries[0].json.id, type: 'document.ready', attempts: 3, status: 200 },
    });
  });

  it('takes a 400 as final: one attempt, recorded as failed without secret or text', async () => {
    const r = await receiver({ fallback: 400 });
    const p = await hooked(r.url);
    const marker = 'zebra-marker-7731 lives in this document only.';
    await ingest(p.client, marker);
    await deliveries();

    expect(r.deliveries).toHaveLength(1);
    const audit = await webhookAudit(p.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ outcome: 'failed', detail: { attempts: 1, status: 400 } });
    const all = JSON.stringify(audit);
    expect(all).not.toContain(p.secret);
    expect(all).not.toContain('zebra-marker-7731');
  });

  it('retries a receiver that is down, then records the failure', async () => {
    const p = await hooked(await deadUrl());
    await ingest(p.client, 'Nobody is listening for this document.');
    await deliveries();

    const audit = await webhookAudit(p.id);
    expect(audit).toHaveLength(1);
    expect(audit[0].outcome).toBe('failed');
    expect(audit[0].detail).toMatchObject({ attempts: 5, error: expect.stringMatching(/^network error/) });
  });

  it('answers the ingest without waiting for a slow receiver', async () => {
    // the receiver answers only when the test lets it: an ingest that waited for it would never return
    let answer = () => {};
    const r = await receiver({ hold: new Promise<void>((resolve) => (answer = resolve)) });
    const p = await hooked(r.url);
    const doc = await ingest(p.client, 'A quick document for a slow receiver.');
    expect(doc.status).toBe(201);
    expect(t.server.services.webhooks.pending()).toBe(1);
    answer();
    await deliveries();
    expect(r.deliveries).toHaveLength(1);
    expect(t.server.services.webhooks.pending()).toBe(0);
  });

  it('signs with the new secret after a rotation, shown once', async () => {
    const r = await receiver();
    const p = await hooked(r.url);
    const rotated = await setHook(p.id, { rotate_webhook_secret: true });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.project.webhook_secret as string;
    expect(fresh).toMatch(SECRET);
    expect(fresh).not.toBe(p.secret);
    expect((await t.admin.get<{ project: Project }>(`/v1/projects/${p.id}`)).body.project).not.toHaveProperty(
      'webhook_secret',
    );

    await ingest(p.client, 'Signed after the rotation.');
    await deliveries();
    expect(r.deliveries).toHaveLength(1);
    expect(verifies(fresh, r.deliveries[0])).toBe(true);
    expect(verifies(p.secret, r.deliveries[0])).toBe(false);
  });

  it('refuses to rotate a secret when there is no webhook_url', async () => {
    const p = await t.project('no hook');
    const res = await setHook(p.id, { rotate_webhook_secret: true });
    expect(res.status).toBe(400);
  });

  it("never sends one project's events to another project's receiver", async () => {
    const mine = await receiver();
    const theirs = await receiver();
    const a = await hooked(mine.url);
    const b = await hooked(theirs.url);
    const silent = await t.project('no webhook');
    const docA = await ingest(a.client, 'Project A owns this document about otters.');
    const docB = await ingest(b.client, 'Project B owns this document about badgers.');
    await ingest(silent.client, 'Project C has no webhook at all.');
    await deliveries();

    expect(mine.deliveries.map((d) => [d.json.project_id, d.json.document.id])).toEqual([
      [a.id, docA.body.document.id],
    ]);
    expect(theirs.deliveries.map((d) => [d.json.project_id, d.json.document.id])).toEqual([
      [b.id, docB.body.document.id],
    ]);
    expect(verifies(b.secret, mine.deliveries[0])).toBe(false);
  });
});

describe('webhook URLs without allowPrivateUrls', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('refuses a loopback webhook_url and issues no secret', async () => {
    const r = await startReceiver();
    try {
      const p = await t.project();
      for (const webhook_url of [r.url, r.url.replace('http:', 'https:')]) {
        const res = await t.admin.request<{ error: { type: string } }>('PATCH', `/v1/projects/${p.id}`, {
          webhook_url,
        });
        expect({ webhook_url, status: res.status, type: res.body.error?.type }).toEqual({
          webhook_url,
          status: 400,
          type: 'invalid_request',
        });
      }
      const got = await t.admin.get<{ project: Project }>(`/v1/projects/${p.id}`);
      expect(got.body.project.webhook_url).toBeNull();
    } finally {
      await r.close();
    }
  });
});
