import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../lambdas/client/api-client';
import { spawnServer } from '../helpers/cli';

describe('what the server writes to its logs', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'oprag-logs-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('holds no key, no document text and no question after a full run', async () => {
    const server = spawnServer(dataDir, { OPRAG_ALLOW_PRIVATE_URLS: '', OPRAG_LOG_LEVEL: 'debug' });
    const url = await server.ready;
    const adminKey = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    const admin = new ApiClient(url, adminKey);
    const secrets: string[] = [];
    const word = () => {
      const w = `zz${randomBytes(5).toString('hex')}q`;
      secrets.push(w);
      return w;
    };

    const created = await admin.post<{ project: { id: string }; api_key: { key: string } }>('/v1/projects', {
      name: 'p',
    });
    const projectKey = created.body.api_key.key;
    secrets.push(projectKey);
    const extra = await admin.post<{ api_key: { key: string } }>(`/v1/projects/${created.body.project.id}/keys`, {
      scopes: ['query'],
    });
    secrets.push(extra.body.api_key.key);
    const companyKey = await admin.post<{ api_key: { key: string } }>('/v1/company/keys', {
      name: 'n',
      role: 'viewer',
    });
    secrets.push(companyKey.body.api_key.key);
    const client = new ApiClient(url, projectKey);

    await client.post('/v1/documents?wait=true', { text: `The ${word()} valve opens at dawn.` });
    await client.post('/v1/documents?wait=true', { text: `{"broken": "${word()}"`, content_type: 'application/json' });
    await client.post('/v1/chat', { question: `When does the ${word()} valve open?` });
    await client.post('/v1/chat', { question: `Tell me about ${word()}`, stream: true });
    await client.post('/v1/retrieve', { query: word() });
    const upload = await client.post<{ upload: { url: string; headers: Record<string, string> } }>('/v1/uploads', {
      filename: 'a.txt',
      content_type: 'text/plain',
    });
    await fetch(upload.body.upload.url, {
      method: 'PUT',
      headers: upload.body.upload.headers,
      body: `Upload ${word()}.`,
    });
    const fake = `oprag_pk_${'Z'.repeat(40)}`;
    secrets.push(fake);
    await new ApiClient(url, fake).get('/v1/documents');
    await fetch(`${url}/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${projectKey}`, 'content-type': 'application/json' },
      body: `{"question": "${word()}"`,
    });
    const drop = join(dataDir, 'drop', created.body.project.id);
    mkdirSync(drop, { recursive: true });
    writeFileSync(join(drop, 'note.md'), `# Note\n\nThe ${word()} is stored in the shed.`);
    writeFileSync(join(drop, 'blob.bin'), Buffer.from([0, 1, 2, 3, word().length]));
    // the drop folder's scans take both files (the binary one as a failed document): wait for them
    const dropped = async () => {
      const docs = await client.get<{ documents: { external_id: string | null }[] }>('/v1/documents');
      return docs.body.documents.filter((d) => d.external_id?.startsWith('drop/')).length;
    };
    for (let waited = 0; (await dropped()) < 2 && waited < 30_000; waited += 100) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await dropped()).toBe(2);
    const docs = await client.get<{ documents: unknown[] }>('/v1/documents');
    expect(docs.body.documents.length).toBeGreaterThanOrEqual(4);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const logs = server.output();
    expect(logs).toContain('listening on');
    for (const secret of secrets) expect({ secret, logged: logs.includes(secret) }).toEqual({ secret, logged: false });
    // the admin key is printed once, by design, in the first-start announcement and nowhere else
    const adminLines = logs.split('\n').filter((l) => l.includes(adminKey));
    expect(adminLines).toHaveLength(1);
    expect(adminLines[0]).toMatch(/^its admin key \(shown once/);
    // one JSON line per request, each naming its request by the id its answer carried
    const requests = logs
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { message: string; request_id?: string; status?: number })
      .filter((l) => l.message === 'request');
    expect(requests.length).toBeGreaterThanOrEqual(12);
    for (const line of requests) expect(line.request_id).toMatch(/^req_[0-9a-z]{26}$/);
    expect(requests.map((l) => l.status)).toContain(401);
  }, 60_000);
});
