import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../lambdas/client/api-client';
import { runCli, spawnServer as serve } from '../helpers/cli';

describe('the oprag command', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'oprag-cli-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serve: creates the demo company once, saves its key 0600, and stops cleanly on SIGTERM', async () => {
    const first = serve(dataDir);
    const url = await first.ready;
    const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    expect(key).toMatch(/^oprag_ak_/);
    expect(statSync(join(dataDir, 'admin-key')).mode & 0o777).toBe(0o600);
    expect(first.output()).toContain(key);
    expect((await new ApiClient(url, key).get('/v1/company')).status).toBe(200);

    // ask, against the live server, with the saved admin key and a project
    const created = await new ApiClient(url, key).post<{ project: { id: string }; api_key: { key: string } }>(
      '/v1/projects',
      { name: 'cli' },
    );
    await new ApiClient(url, created.body.api_key.key).post('/v1/documents?wait=true', {
      title: 'Opening hours',
      url: '/help/hours',
      text: 'The support desk is open from 9 to 17 on weekdays.',
    });
    const asked = await runCli([
      'ask',
      '--base-url',
      url,
      '--key',
      created.body.api_key.key,
      'When is the support desk open?',
    ]);
    expect(asked.status).toBe(0);
    expect(asked.stdout).toMatch(/open from 9 to 17 on weekdays \[1\]/);
    expect(asked.stdout).toContain('[1] Opening hours </help/hours>');
    const refused = await runCli([
      'ask',
      '--base-url',
      url,
      '--key',
      created.body.api_key.key,
      'Who painted the Mona Lisa?',
    ]);
    expect(refused.stdout).toContain('refused');

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('stopped');

    const second = serve(dataDir);
    const url2 = await second.ready;
    expect(second.output()).not.toContain('oprag_ak_');
    expect((await new ApiClient(url2, key).get(`/v1/projects/${created.body.project.id}`)).status).toBe(200);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 60_000);

  it('admin create-company prints a working admin key once', async () => {
    const out = await runCli(['admin', 'create-company', '--name', 'Globex', '--data-dir', dataDir, '--json']);
    expect(out.status).toBe(0);
    const body = JSON.parse(out.stdout) as { company: { name: string }; api_key: { key: string } };
    expect(body.company.name).toBe('Globex');
    const server = serve(dataDir);
    const url = await server.ready;
    const res = await new ApiClient(url, body.api_key.key).get<{ company: { name: string } }>('/v1/company');
    expect(res.body.company.name).toBe('Globex');
    server.child.kill('SIGTERM');
    await server.exited;
    const bad = await runCli(['admin', 'create-company', '--name', '', '--data-dir', dataDir]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/name must be 1 to 200 characters/);
  }, 60_000);
});
