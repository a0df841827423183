import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Oprag, OpragApiError, OpragNetworkError } from '../../lambdas/client/oprag';
import { runCli } from '../helpers/cli';
import { startTestServer, type TestServer } from '../helpers/server';

const ROOT = join(__dirname, '../..');
let t: TestServer;
const dir = mkdtempSync(join(tmpdir(), 'oprag-client-'));
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /v1/openapi.json', () => {
  it('is served without a key, naming the server it was asked on', async () => {
    const res = await fetch(`${t.url}/v1/openapi.json`);
    const doc = (await res.json()) as { openapi: string; servers: { url: string }[]; paths: Record<string, unknown> };

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: t.url }]);
    expect(Object.keys(doc.paths)).toContain('/v1/projects/{project_id}/chat');
  });
});

describe('the typed client', () => {
  it("covers a project's life through typed calls, and throws the API's error body with its status", async () => {
    const admin = new Oprag({ baseUrl: t.url, key: t.adminKey });
    const made = await admin.projects.create({ name: 'client project' });
    const mine = admin.withKey(made.api_key.key);
    const doc = await mine
      .project()
      .documents.create({ text: 'Refunds are accepted within 30 days of purchase.', title: 'Refunds' }, { wait: true });
    const answer = await mine.project().chat({ question: 'How many days do I have for a refund?' });
    const other = await admin.projects.create({ name: 'another project' });

    expect(doc.document.status).toBe('ready');
    expect(answer.citations[0]?.document_id).toBe(doc.document.id);
    expect((await admin.project(made.project.id).get()).project.stats?.documents).toBe(1);
    expect((await admin.project(made.project.id).keys.list()).keys).toHaveLength(1);
    // another project's key reaches nothing of this one: the 404 comes back as a typed error
    const foreign = admin.withKey(other.api_key.key).project(made.project.id).documents.get(doc.document.id);
    await expect(foreign).rejects.toBeInstanceOf(OpragApiError);
    await expect(foreign).rejects.toMatchObject({
      status: 404,
      type: 'not_found',
      body: { error: { type: 'not_found' } },
    });
    await expect(mine.project().chat({ question: '' })).rejects.toMatchObject({ status: 400, type: 'invalid_request' });
  });

  it("calls the routes the dashboard needs: a document's edit, bytes and file name, golden runs and exports", async () => {
    const admin = new Oprag({ baseUrl: t.url, key: t.adminKey });
    const made = await admin.projects.create({ name: 'dashboard routes' });
    const other = await admin.projects.create({ name: 'someone else' });
    const p = admin.project(made.project.id);
    const file = new TextEncoder().encode('Refunds are accepted within 30 days of purchase.\n');
    const doc = await admin
      .withKey(made.api_key.key)
      .project()
      .documents.upload(file, { filename: 'réfunds.txt', title: 'Refunds' }, { wait: true });

    const edited = await p.documents.update(doc.document.id, { title: 'Refund policy', url: '/help/refunds' });
    expect(edited.document).toMatchObject({ id: doc.document.id, title: 'Refund policy', url: '/help/refunds' });
    const content = await p.documents.content(doc.document.id);
    expect(content.bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(content.bytes).equals(Buffer.from(file))).toBe(true);
    expect(content.contentType).toMatch(/^text\/plain/);
    expect(content.filename).toBe('réfunds.txt');

    await p.golden.create({
      question: 'How many days do I have for a refund?',
      expected_answer: '30 days',
      approved: true,
    });
    const started = await p.golden.run();
    const job = await p.exports.create({ originals: true });
    expect(started.run).toMatchObject({ status: 'running', total: 1 });
    expect(job.export).toMatchObject({ status: 'running' });
    await t.server.home.jobs.idle();
    expect((await p.golden.getRun(started.run.id)).run).toMatchObject({
      id: started.run.id,
      status: 'done',
      passed: 1,
      failed: 0,
    });
    const ready = (await p.exports.get(job.export.id)).export;
    expect(ready).toMatchObject({ id: job.export.id, status: 'ready' });
    const lines = (await (await fetch(ready.url as string)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; content_base64?: string });
    // `originals` reached the server: the document's bytes are in the file
    expect(lines.find((l) => l.type === 'document')?.content_base64).toBe(Buffer.from(file).toString('base64'));

    // another project's key reaches none of it: 404, as for something that does not exist
    const foreign = admin.withKey(other.api_key.key).project(made.project.id);
    const attempts: (() => Promise<unknown>)[] = [
      () => foreign.documents.update(doc.document.id, { title: 'taken over' }),
      () => foreign.documents.content(doc.document.id),
      () => foreign.golden.getRun(started.run.id),
      () => foreign.exports.create(),
      () => foreign.exports.get(job.export.id),
    ];
    for (const attempt of attempts) {
      await expect(attempt()).rejects.toMatchObject({ status: 404, type: 'not_found' });
    }
    expect((await p.documents.get(doc.document.id)).document.title).toBe('Refund policy');
  });

  it('sends through the fetch it is given, and keeps that fetch with another key', async () => {
    const seen: string[] = [];
    const watched = new Oprag({
      baseUrl: t.url,
      key: `oprag_pk_${'x'.repeat(40)}`,
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        seen.push(`${init.method} ${input} ${res.status}`);
        return res;
      },
    });

    await expect(watched.me()).rejects.toMatchObject({ status: 401, type: 'unauthorized' });
    expect((await watched.withKey(t.adminKey).company.get()).company.id).toMatch(/^cmp_/);
    expect(seen).toEqual([`GET ${t.url}/v1/me 401`, `GET ${t.url}/v1/company 200`]);
  });

  it('streams a chat answer as it is written, and answers in the Chat Completions shape', async () => {
    const admin = new Oprag({ baseUrl: t.url, key: t.adminKey });
    const made = await admin.projects.create({ name: 'streaming client' });
    const mine = admin.withKey(made.api_key.key).project();
    const doc = await mine.documents.create(
      { text: 'Refunds are accepted within 45 days of purchase. Shipping takes two business days.', title: 'Refunds' },
      { wait: true },
    );

    const pieces: ({ delta: string } | { done: { answer: string; citations: { document_id: string }[] } })[] = [];
    for await (const piece of mine.chatStream({ question: 'How many days do I have to ask for a refund?' }))
      pieces.push(piece);
    const last = pieces.at(-1);
    const deltas = pieces.flatMap((p) => ('delta' in p ? [p.delta] : []));
    expect(last && 'done' in last).toBe(true);
    const done = (last as { done: { answer: string; citations: { document_id: string }[] } }).done;
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.join('')).toBe(done.answer);
    expect(done.answer).toMatch(/45 days/);
    expect(done.citations[0].document_id).toBe(doc.document.id);

    const completion = await mine.chatCompletions({
      model: 'any',
      messages: [{ role: 'user', content: 'How many days do I have to ask for a refund?' }],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('any');
    expect(completion.choices[0].message.content).toMatch(/45 days.*\[1\]/);
    expect(completion.oprag.citations[0].document_id).toBe(doc.document.id);

    // refused before the first event: the error body, typed, and nothing streamed
    const stranger = new Oprag({ baseUrl: t.url, key: `oprag_pk_${'y'.repeat(40)}` }).project();
    const events: unknown[] = [];
    const refused = (async () => {
      for await (const piece of stranger.chatStream({ question: 'refunds?' })) events.push(piece);
    })();
    await expect(refused).rejects.toMatchObject({ status: 401, type: 'unauthorized' });
    expect(events).toEqual([]);
    await expect(mine.chatStream({ question: '' }).next()).rejects.toMatchObject({
      status: 400,
      type: 'invalid_request',
    });
  });

  it('names the URL it tried when nothing answers', async () => {
    const down = new Oprag({ baseUrl: 'http://127.0.0.1:9', key: 'oprag_pk_x' });

    const err = await down.me().catch((e) => e);
    expect(err).toBeInstanceOf(OpragNetworkError);
    expect(err.message).toContain('http://127.0.0.1:9/v1/me');
  });

  it("is the package's oprag/client export", () => {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', '-e', "const { Oprag } = require('oprag/client'); console.log(typeof Oprag.prototype.me)"],
      { cwd: ROOT },
    );
    expect(out.toString().trim()).toBe('function');
  });
});

describe('the CLI', () => {
  it('ingests front matter (title, url, tags; the block not indexed) and fills other urls from --url-template', async () => {
    const p = await t.project('front matter');
    const folder = join(dir, 'docs');
    mkdirSync(join(folder, 'guides'), { recursive: true });
    writeFileSync(
      join(folder, 'guides/refunds.md'),
      '---\ntitle: "Refund policy"\nurl: /help/refunds\ntags: [billing, policy]\nsecretfield: zqfrontmatterword\n---\n# Refunds\n\nRefunds are accepted within 30 days.\n',
    );
    writeFileSync(join(folder, 'guides/shipping.md'), '# Shipping\n\nParcels ship within two days.\n');

    const res = await runCli([
      'ingest',
      folder,
      '--project',
      p.id,
      '--key',
      p.key,
      '--base-url',
      t.url,
      '--url-template',
      'https://docs.example.com/{path}',
    ]);
    expect(res.stderr).not.toMatch(/error/i);
    expect(res.status).toBe(0);
    const docs = (await new Oprag({ baseUrl: t.url, key: p.key }).project().documents.list()).documents;
    const byId = Object.fromEntries(docs.map((d) => [d.external_id, d]));
    expect(byId['guides/refunds.md']).toMatchObject({
      title: 'Refund policy',
      url: '/help/refunds',
      tags: ['billing', 'policy'],
    });
    expect(byId['guides/shipping.md']).toMatchObject({ url: 'https://docs.example.com/guides/shipping.md' });
    const hits = await new Oprag({ baseUrl: t.url, key: p.key }).project().retrieve({ query: 'zqfrontmatterword' });
    expect(hits.results).toEqual([]);
  });

  it('ask with a company key and no --project says to pass one', async () => {
    const res = await runCli(['ask', 'what is the refund window', '--key', t.adminKey, '--base-url', t.url]);

    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/pass --project <project_id>/);
  });

  it('names the URL it tried on a network error', async () => {
    const res = await runCli(['ask', 'hello', '--key', 'oprag_pk_nothing', '--base-url', 'http://127.0.0.1:9']);

    expect(res.status).toBe(1);
    expect(res.stderr).toContain('http://127.0.0.1:9/v1/chat');
  });

  it('isolation-check without a key says which key it needs and where it looked', async () => {
    const empty = join(dir, 'no-data');
    const res = await runCli(['isolation-check', '--base-url', t.url], {
      env: { OPRAG_ADMIN_KEY: '', OPRAG_DATA_DIR: empty },
    });

    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/company admin key \(oprag_ak_/);
    expect(res.stderr).toContain('OPRAG_ADMIN_KEY');
    expect(res.stderr).toContain(join(empty, 'admin-key'));
  });
});
