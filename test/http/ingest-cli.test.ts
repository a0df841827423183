import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiClient } from '../../lambdas/client/api-client';
import type { BulkIngestSummary } from '../../lambdas/client/bulk-ingest';
import { runCli } from '../helpers/cli';
import { startTestServer, type TestServer } from '../helpers/server';

interface Doc {
  id: string;
  external_id: string | null;
  filename: string | null;
  status: string;
  error?: string | null;
  content_hash: string;
}

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe('oprag ingest, against a live local server', () => {
  let t: TestServer;
  let p: { id: string; key: string; client: ApiClient };
  let dir: string;
  let work: string;

  async function documents(client: ApiClient, projectId: string): Promise<Doc[]> {
    const res = await client.get<{ documents: Doc[]; next_cursor: string | null }>(
      `/v1/projects/${projectId}/documents?limit=200`,
    );
    expect(res.status).toBe(200);
    expect(res.body.next_cursor).toBeNull();
    return res.body.documents;
  }
  const byExternalId = (docs: Doc[]) => new Map(docs.map((d) => [d.external_id, d]));

  type AuditEvent = { action: string; detail?: { documents?: number } };
  async function auditEvents(projectId: string): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { events: AuditEvent[]; next_cursor: string | null } } = await t.admin.get(
        `/v1/projects/${projectId}/audit?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      events.push(...res.body.events);
      cursor = res.body.next_cursor;
    } while (cursor);
    return events;
  }
  async function auditActions(projectId: string): Promise<string[]> {
    return (await auditEvents(projectId)).map((e) => e.action);
  }
  const count = (actions: string[], action: string) => actions.filter((a) => a === action).length;
  /** The documents that reached the API: one per single POST, each item of a batch. */
  async function documentsSent(projectId: string): Promise<number> {
    const events = await auditEvents(projectId);
    const single = events.filter((e) => e.action === 'documents.create').length;
    const batches = events.filter((e) => e.action === 'documents.create_batch');
    return single + batches.reduce((n, e) => n + (e.detail?.documents ?? 0), 0);
  }

  function ingest(args: string[], key = p.key) {
    return runCli(['ingest', ...args, '--project', p.id, '--base-url', t.url, '--key', key]);
  }
  function summaryOf(stdout: string): BulkIngestSummary {
    return JSON.parse(stdout) as BulkIngestSummary;
  }

  beforeAll(async () => {
    t = await startTestServer();
    p = await t.project('bulk ingest');
    work = mkdtempSync(join(tmpdir(), 'oprag-ingest-cli-'));
    dir = join(work, 'docs');
    mkdirSync(join(dir, 'nested', 'deep'), { recursive: true });
    mkdirSync(join(dir, '.cache'));
    writeFileSync(
      join(dir, 'refunds.md'),
      '# Refund policy\n\nRefunds are accepted within 30 days of purchase. Shipping costs are not refunded.\n',
    );
    writeFileSync(join(dir, 'hours.txt'), 'The support desk is open from 9 to 17 on weekdays.\n');
    writeFileSync(
      join(dir, 'shipping.html'),
      '<html><head><title>Shipping</title></head><body><p>Parcels ship within two working days.</p></body></html>',
    );
    writeFileSync(join(dir, 'prices.csv'), 'plan,price\nbasic,10\npro,25\n');
    writeFileSync(join(dir, 'nested', 'deep', 'warranty.md'), '# Warranty\n\nEvery kettle has a two-year warranty.\n');
    writeFileSync(join(dir, '.hidden.md'), '# Hidden\n\nThis dotfile must never be ingested.\n');
    writeFileSync(join(dir, '.cache', 'inside.md'), '# Cached\n\nNeither must anything in a dot-folder.\n');
    writeFileSync(join(dir, 'broken.json'), '{"plan": "basic", "price": ');
    writeFileSync(join(dir, 'logo.bin'), Buffer.from([0x89, 0x00, 0x01, 0x02, 0x00, 0xff, 0xfe, 0x00, 0x10]));
  });
  afterAll(async () => {
    await t.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('ingests a folder: relative external ids, dotfiles skipped, failures named with their reason, exit 1', async () => {
    const run = await ingest([dir, '--json']);
    expect(run.status).toBe(1);
    const s = summaryOf(run.stdout);
    expect(s).toMatchObject({ project: p.id, files: 7, sent: 6, unchanged: 0, ready: 5, failed: 2, waited: true });
    expect(s.docs_per_s).toBeGreaterThan(0);
    expect(s.elapsed_s).toBeGreaterThan(0);
    // the six text files went in one batch request; the binary one on its own
    expect(s.batched).toBe(6);
    const actions = await auditActions(p.id);
    expect(count(actions, 'documents.create_batch')).toBe(1);
    expect(count(actions, 'documents.create')).toBe(1);
    const failures = new Map(s.failures.map((f) => [f.external_id, f]));
    expect([...failures.keys()].sort()).toEqual(['broken.json', 'logo.bin']);
    expect(failures.get('broken.json')?.file).toBe(join(dir, 'broken.json'));
    expect(failures.get('broken.json')?.reason).toMatch(/^the JSON is not valid/);
    expect(failures.get('logo.bin')?.file).toBe(join(dir, 'logo.bin'));
    expect(failures.get('logo.bin')?.reason).toBe('415 the content is binary and not of a supported format');
    // without a terminal, progress is plain lines on stderr, each failure among them
    expect(run.stderr).not.toContain('\u001b[');
    expect(run.stderr).toMatch(/^sending 7 files$/m);
    expect(run.stderr).toMatch(/^failed: .*logo\.bin: 415 the content is binary/m);

    const docs = byExternalId(await documents(p.client, p.id));
    expect([...docs.keys()].sort()).toEqual([
      'broken.json',
      'hours.txt',
      'nested/deep/warranty.md',
      'prices.csv',
      'refunds.md',
      'shipping.html',
    ]);
    for (const [externalId, doc] of docs) {
      expect({ externalId, status: doc.status }).toEqual({
        externalId,
        status: externalId === 'broken.json' ? 'failed' : 'ready',
      });
    }
    expect(docs.get('nested/deep/warranty.md')?.filename).toBe('warranty.md');
    expect(docs.get('hours.txt')?.content_hash).toBe(sha256('The support desk is open from 9 to 17 on weekdays.\n'));
    expect(failures.get('broken.json')?.document_id).toBe(docs.get('broken.json')?.id);

    const answer = await p.client.post<{ citations: { document_id: string }[] }>('/v1/chat', {
      question: 'How long is the warranty on a kettle?',
    });
    expect(answer.body.citations.map((c) => c.document_id)).toContain(docs.get('nested/deep/warranty.md')?.id);
  });

  it('a second run skips what is unchanged and retries only the failures; the summary is readable', async () => {
    const before = await documentsSent(p.id);
    const run = await ingest([dir]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^ {2}sent {7}1$/m); // broken.json, retried because it failed
    expect(run.stdout).toMatch(/^ {2}unchanged {2}5 \(skipped\)$/m);
    expect(run.stdout).toMatch(/^ {2}failed {5}2$/m);
    expect(run.stdout).toMatch(/^ {4}.*broken\.json: the JSON is not valid/m);
    expect(run.stdout).toMatch(/^ {4}.*logo\.bin: 415 the content is binary and not of a supported format$/m);
    expect(run.stdout).toMatch(/docs\/s/);
    // the unchanged files were skipped by the client, not sent: only the two failures reached the API
    expect((await documentsSent(p.id)) - before).toBe(2);
  });

  it('once the failures are fixed, nothing is sent; after an edit, exactly that file is, under the same id', async () => {
    rmSync(join(dir, 'broken.json'));
    rmSync(join(dir, 'logo.bin'));
    const clean = await ingest([dir, '--json']);
    expect(clean.status).toBe(0);
    expect(summaryOf(clean.stdout)).toMatchObject({ files: 5, sent: 0, unchanged: 5, ready: 0, failed: 0 });

    const before = byExternalId(await documents(p.client, p.id)).get('refunds.md') as Doc;
    const edited = '# Refund policy\n\nRefunds are accepted within 60 days of purchase.\n';
    writeFileSync(join(dir, 'refunds.md'), edited);
    const creates = await documentsSent(p.id);
    const run = await ingest([dir, '--json', '--concurrency', '2']);
    expect(run.status).toBe(0);
    expect(summaryOf(run.stdout)).toMatchObject({ files: 5, sent: 1, unchanged: 4, ready: 1, failed: 0 });
    expect((await documentsSent(p.id)) - creates).toBe(1);
    const after = byExternalId(await documents(p.client, p.id)).get('refunds.md') as Doc;
    expect(after.id).toBe(before.id);
    expect(after.status).toBe('ready');
    expect(after.content_hash).not.toBe(before.content_hash);
    expect(after.content_hash).toBe(sha256(edited));
  });

  it('a key without the ingest scope gets a clear error and exit 1, and nothing is ingested', async () => {
    writeFileSync(join(work, 'lonely.md'), '# Lonely\n\nA file nobody may ingest with the wrong key.\n');
    for (const scopes of [['query'], ['review']]) {
      const created = await t.admin.post<{ api_key: { key: string } }>(`/v1/projects/${p.id}/keys`, { scopes });
      expect(created.status).toBe(201);
      const run = await ingest([join(work, 'lonely.md')], created.body.api_key.key);
      expect({ scopes, status: run.status }).toEqual({ scopes, status: 1 });
      expect(run.stderr).toMatch(/^oprag: .*403.*scopes \((query|review)\) do not allow this/m);
      expect(run.stderr).toContain('ingest scope');
      expect(run.stdout).toBe('');
    }
    expect(byExternalId(await documents(p.client, p.id)).has('lonely.md')).toBe(false);
  });

  it('with an admin key, a file above the upload threshold goes through an upload URL and ends ready', async () => {
    const big = join(work, 'big.txt');
    const text = `${'Kettles descale best with citric acid. '.repeat(52)}\n`;
    expect(Buffer.byteLength(text)).toBeGreaterThan(2000);
    writeFileSync(big, text);
    const uploadsBefore = count(await auditActions(p.id), 'uploads.create');
    const run = await ingest([big, '--json', '--upload-threshold-bytes', '1024'], t.adminKey);
    expect(run.status).toBe(0);
    expect(summaryOf(run.stdout)).toMatchObject({ files: 1, sent: 1, uploads: 1, ready: 1, failed: 0 });
    expect(count(await auditActions(p.id), 'uploads.create') - uploadsBefore).toBe(1);
    const doc = byExternalId(await documents(t.admin, p.id)).get('big.txt') as Doc;
    expect(doc).toMatchObject({ status: 'ready', filename: 'big.txt', content_hash: sha256(text) });
    const content = await t.admin.get<string>(`/v1/projects/${p.id}/documents/${doc.id}/content`);
    expect(content.body).toBe(text);
  });

  it('--no-wait returns once the files are accepted', async () => {
    writeFileSync(join(work, 'later.md'), '# Later\n\nProcessed after the command has returned.\n');
    const run = await ingest([join(work, 'later.md'), '--no-wait', '--json']);
    expect(run.status).toBe(0);
    const s = summaryOf(run.stdout);
    expect(s).toMatchObject({ files: 1, sent: 1, waited: false, failed: 0 });
    expect(s.ready + s.pending).toBe(1);
    expect(byExternalId(await documents(p.client, p.id)).has('later.md')).toBe(true);
  });

  it('sends text files in batches of --batch-size, the BOM and front matter as a single POST would; 0 turns batches off', async () => {
    const q = await t.project('batched ingest');
    const folder = join(work, 'batched');
    mkdirSync(folder);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Byte order marks stay as they are.\n')]);
    writeFileSync(join(folder, 'bom.txt'), bom);
    writeFileSync(
      join(folder, 'front.md'),
      '---\ntitle: Front matter title\ntags: [alpha]\n---\n# Body\n\nThe body text.\n',
    );
    for (let i = 0; i < 5; i++) writeFileSync(join(folder, `note-${i}.txt`), `Note number ${i} about kettles.\n`);
    writeFileSync(join(folder, 'manual.pdf'), '%PDF-1.4 not really a pdf');
    const cli = (args: string[]) =>
      runCli(['ingest', folder, '--project', q.id, '--base-url', t.url, '--key', q.key, '--json', ...args]);

    const run = await cli(['--batch-size', '3']);

    const s = summaryOf(run.stdout);
    expect(s).toMatchObject({ files: 8, sent: 8, batched: 7, ready: 7, failed: 1 });
    expect(s.failures.map((f) => f.external_id)).toEqual(['manual.pdf']);
    const events = await auditEvents(q.id);
    const batches = events.filter((e) => e.action === 'documents.create_batch').map((e) => e.detail?.documents);
    expect(batches.sort()).toEqual([1, 3, 3]);
    expect(
      count(
        events.map((e) => e.action),
        'documents.create',
      ),
    ).toBe(1); // the PDF, on its own
    const docs = byExternalId(await documents(q.client, q.id));
    expect(docs.get('bom.txt')?.content_hash).toBe(sha256(bom));
    const front = await q.client.get<{ document: { title: string; tags: string[] } }>(
      `/v1/documents/${docs.get('front.md')?.id}`,
    );
    expect(front.body.document).toMatchObject({ title: 'Front matter title', tags: ['alpha'] });

    // a second run sees every text file unchanged, the BOM file included, and sends none of them
    writeFileSync(join(folder, 'note-0.txt'), 'Note number 0, rewritten.\n');
    const again = await cli(['--batch-size', '0']);
    expect(summaryOf(again.stdout)).toMatchObject({ sent: 2, batched: 0, unchanged: 6, ready: 1, failed: 1 });
    const after = (await auditEvents(q.id)).map((e) => e.action);
    expect(count(after, 'documents.create_batch')).toBe(3);
    expect(count(after, 'documents.create')).toBe(3); // the PDF twice, the edited note once
  });
});
