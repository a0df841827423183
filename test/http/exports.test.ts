import { startTestServer, type TestServer } from '../helpers/server';

type ExportJob = {
  id: string;
  status: 'running' | 'ready' | 'failed';
  created_at: string;
  bytes?: number;
  url?: string;
  expires_at?: string;
};

const lines = (ndjson: string) =>
  ndjson
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Export jobs on the local home, and the 1.0 export's size limit. */
describe('export jobs', () => {
  let t: TestServer;
  beforeAll(async () => {
    // a small inline limit, so the 409 past it needs no 5 MB project
    t = await startTestServer({ settings: { inlineExportMaxBytes: 4096 } });
  });
  afterAll(async () => t.close());

  async function exportReady(projectId: string, query = '') {
    const created = await t.admin.post<{ export: ExportJob }>(`/v1/projects/${projectId}/exports${query}`);
    expect(created.status).toBe(202);
    expect(created.body.export.status).toBe('running');
    await t.server.home.jobs.idle();
    const read = await t.admin.get<{ export: ExportJob }>(
      `/v1/projects/${projectId}/exports/${created.body.export.id}`,
    );
    expect(read.status).toBe(200);
    return read.body.export;
  }

  it('writes the NDJSON in the background and serves it once from a one-time link', async () => {
    const p = await t.project('exported');
    await p.client.post('/v1/documents?wait=true', { title: 'Refunds', text: 'Refunds take five days.' });
    await t.admin.post(`/v1/projects/${p.id}/golden-questions`, { question: 'How long do refunds take?' });

    const job = await exportReady(p.id);
    expect(job).toMatchObject({ status: 'ready' });
    expect(job.bytes).toBeGreaterThan(0);
    expect(job.url).toMatch(new RegExp(`^${t.url}/v1/exports/`));
    expect(Date.parse(job.expires_at as string)).toBeGreaterThan(Date.parse(job.created_at));

    // the download needs no key: the link is the right, once
    const res = await fetch(job.url as string);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const body = await res.text();
    expect(Buffer.byteLength(body)).toBe(job.bytes);
    const records = lines(body);
    expect(records.map((r) => r.type)).toEqual(
      expect.arrayContaining(['project', 'document', 'golden_question', 'key', 'audit']),
    );
    expect(records.find((r) => r.type === 'document')).toMatchObject({ title: 'Refunds', text: expect.any(String) });
    expect(JSON.stringify(records.filter((r) => r.type === 'key'))).not.toMatch(/oprag_pk_\w{20}|"hash"/);
    expect((await fetch(job.url as string)).status).toBe(404);

    // once downloaded, the export has no more link
    const after = await t.admin.get<{ export: ExportJob }>(`/v1/projects/${p.id}/exports/${job.id}`);
    expect(after.body.export.status).toBe('ready');
    expect(after.body.export.url).toBeUndefined();
  });

  it('includes the originals base64 with ?originals=true, and a new link replaces the last one', async () => {
    const p = await t.project('originals');
    await p.client.post('/v1/documents?wait=true', { text: 'Original bytes here.', filename: 'a.txt' });
    const job = await exportReady(p.id, '?originals=true');
    const again = await t.admin.get<{ export: ExportJob }>(`/v1/projects/${p.id}/exports/${job.id}`);
    expect((await fetch(job.url as string)).status).toBe(404);
    const doc = lines(await (await fetch(again.body.export.url as string)).text()).find((r) => r.type === 'document');
    expect(Buffer.from(String(doc?.content_base64), 'base64').toString()).toBe('Original bytes here.');
    const bad = await t.admin.post<{ error: { type: string } }>(`/v1/projects/${p.id}/exports?originals=maybe`);
    expect([bad.status, bad.body.error.type]).toEqual([400, 'invalid_request']);
  });

  it('keeps GET .../export for small projects and answers 409 pointing to export jobs past the limit', async () => {
    const p = await t.project('big');
    const small = await t.admin.get<string>(`/v1/projects/${p.id}/export`);
    expect(small.status).toBe(200);
    expect(lines(small.body)[0]).toMatchObject({ type: 'project', id: p.id });

    await p.client.post('/v1/documents?wait=true', {
      title: 'Long',
      text: 'All the words of the manual. '.repeat(300),
    });
    const big = await t.admin.get<{ error: { type: string; message: string } }>(`/v1/projects/${p.id}/export`);
    expect(big.status).toBe(409);
    expect(big.body.error.type).toBe('conflict');
    expect(big.body.error.message).toContain(`POST /v1/projects/${p.id}/exports`);
    // the same project exports as a job
    expect((await exportReady(p.id)).status).toBe('ready');
  });

  it("never lets another project's key or a forged link reach an export", async () => {
    const a = await t.project('export owner');
    const b = await t.project('export outsider');
    const job = await exportReady(a.id);
    for (const [path, method, status] of [
      [`/v1/projects/${a.id}/exports/${job.id}`, 'GET', 404],
      [`/v1/projects/${a.id}/exports`, 'POST', 404],
      // its own project, where a project key may not export at all
      [`/v1/projects/${b.id}/exports/${job.id}`, 'GET', 403],
    ] as const) {
      const res = await b.client.request<{ error: { type: string } }>(method, path);
      expect([path, res.status]).toEqual([path, status]);
    }
    // a link with B's project in it, or with another secret, is not A's export
    const token = (job.url as string).split('/v1/exports/')[1];
    const [, exportId, secret] = token.split('.');
    for (const forged of [
      `${b.id}.${exportId}.${secret}`,
      `${a.id}.${exportId}.${secret[0] === 'x' ? 'y' : 'x'}${secret.slice(1)}`,
      'nonsense',
    ]) {
      expect((await fetch(`${t.url}/v1/exports/${forged}`)).status).toBe(404);
    }
    // a viewer cannot export
    const viewer = await t.admin.post<{ api_key: { key: string } }>('/v1/company/keys', { name: 'v', role: 'viewer' });
    const v = t.client(viewer.body.api_key.key);
    expect((await v.post(`/v1/projects/${a.id}/exports`)).status).toBe(403);
    // the real link still works after all that
    expect((await fetch(job.url as string)).status).toBe(200);
  });

  it('a download link lapses after five minutes by the clock', async () => {
    const p = await t.project('lapsed');
    const job = await exportReady(p.id);
    t.clock.advance(5 * 60_000 + 1);
    expect((await fetch(job.url as string)).status).toBe(404);
  });
});
