import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DropFolderWatcher } from '../../lambdas/local/drop-watcher';
import type { Logger } from '../../lambdas/ports';
import { startTestServer, type TestServer } from '../helpers/server';

type Doc = {
  id: string;
  external_id: string;
  status: string;
  title: string | null;
  url: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
};

function recordingLogger() {
  const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (message, fields) => void warnings.push({ message, fields }),
    error: () => undefined,
    with: () => logger,
  };
  return { logger, warnings };
}

describe('the local drop folder, scanned by hand', () => {
  let t: TestServer;
  let outside: string;
  beforeAll(async () => {
    t = await startTestServer(); // no timer: each test runs the scans itself
    outside = mkdtempSync(join(tmpdir(), 'oprag-outside-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(outside, { recursive: true, force: true });
  });

  /** Scans until the files have held still for one scan and the queue is idle. */
  async function settle(watcher: DropFolderWatcher) {
    await watcher.scan();
    await watcher.scan();
    await t.server.home.queue.idle();
  }
  const docs = async (client: TestServer['admin']) =>
    (await client.get<{ documents: Doc[] }>('/v1/documents')).body.documents;

  it('takes title, url, tags and metadata from a sidecar; a sidecar that breaks the rules is not used', async () => {
    const p = await t.project('sidecars');
    const folder = join(t.dataDir, 'drop', p.id);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'refunds.md'), 'Refunds are accepted within 30 days.');
    writeFileSync(
      join(folder, 'refunds.md.oprag.json'),
      JSON.stringify({ title: 'Refund policy', url: '/help/refunds', tags: ['billing'], metadata: { owner: 'ops' } }),
    );
    writeFileSync(join(folder, 'bad.txt'), 'A file with a bad sidecar.');
    writeFileSync(join(folder, 'bad.txt.oprag.json'), JSON.stringify({ title: 'Bad', url: 'javascript:alert(1)' }));
    const { logger, warnings } = recordingLogger();
    const watcher = new DropFolderWatcher(join(t.dataDir, 'drop'), t.server.services.documents, 1000, logger);
    await settle(watcher);

    const list = await docs(p.client);
    expect(list.map((d) => d.external_id).sort()).toEqual([`drop/${p.id}/bad.txt`, `drop/${p.id}/refunds.md`]);
    const refunds = list.find((d) => d.external_id.endsWith('refunds.md'));
    expect(refunds).toMatchObject({
      title: 'Refund policy',
      url: '/help/refunds',
      tags: ['billing'],
      metadata: { owner: 'ops' },
    });
    const bad = list.find((d) => d.external_id.endsWith('bad.txt'));
    expect(bad?.url).toBeNull();
    expect(bad?.title).not.toBe('Bad');
    expect(warnings).toEqual([
      {
        message: 'drop sidecar not used',
        fields: expect.objectContaining({ problem: expect.stringContaining('javascript:') }),
      },
    ]);
    const cited = await p.client.post<{ citations: { title: string; url: string }[] }>('/v1/chat', {
      question: 'Within how many days are refunds accepted?',
    });
    expect(cited.body.citations[0]).toMatchObject({ title: 'Refund policy', url: '/help/refunds' });
  });

  it('deletes the document of a removed file, and of one removed while nothing was watching', async () => {
    const p = await t.project('removals');
    const folder = join(t.dataDir, 'drop', p.id);
    mkdirSync(join(folder, 'sub'), { recursive: true });
    writeFileSync(join(folder, 'sub', 'heron.txt'), 'The heron count is seventeen.');
    writeFileSync(join(folder, 'stays.txt'), 'This file stays.');
    writeFileSync(join(folder, 'later.txt'), 'Removed while the watcher is stopped.');
    const { logger } = recordingLogger();
    const watcher = new DropFolderWatcher(join(t.dataDir, 'drop'), t.server.services.documents, 1000, logger);
    await settle(watcher);
    expect(await docs(p.client)).toHaveLength(3);

    unlinkSync(join(folder, 'sub', 'heron.txt'));
    await settle(watcher);
    expect((await docs(p.client)).map((d) => d.external_id).sort()).toEqual([
      `drop/${p.id}/later.txt`,
      `drop/${p.id}/stays.txt`,
    ]);
    const asked = await p.client.post<{ refusal: unknown; citations: unknown[] }>('/v1/chat', {
      question: 'What is the heron count?',
    });
    expect(asked.body.citations).toEqual([]);

    // a new watcher (a restart) finds the document whose file went while none was running
    unlinkSync(join(folder, 'later.txt'));
    const restarted = new DropFolderWatcher(join(t.dataDir, 'drop'), t.server.services.documents, 1000, logger);
    await restarted.scan();
    expect((await docs(p.client)).map((d) => d.external_id)).toEqual([`drop/${p.id}/stays.txt`]);
  });

  it('never follows a link: neither a linked file nor a linked folder is read', async () => {
    const p = await t.project('links');
    const folder = join(t.dataDir, 'drop', p.id);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), 'The outside secret is plover.');
    mkdirSync(join(outside, 'dir'), { recursive: true });
    writeFileSync(join(outside, 'dir', 'inner.txt'), 'The outside folder holds sandpiper.');
    symlinkSync(join(outside, 'secret.txt'), join(folder, 'linked.txt'));
    symlinkSync(join(outside, 'dir'), join(folder, 'linked-dir'));
    writeFileSync(join(folder, 'real.txt'), 'A real dropped file.');
    // a sidecar that is a link is not read either
    writeFileSync(join(outside, 'meta.json'), JSON.stringify({ title: 'From outside' }));
    symlinkSync(join(outside, 'meta.json'), join(folder, 'real.txt.oprag.json'));
    const { logger } = recordingLogger();
    const watcher = new DropFolderWatcher(join(t.dataDir, 'drop'), t.server.services.documents, 1000, logger);
    await settle(watcher);
    const list = await docs(p.client);
    expect(list.map((d) => d.external_id)).toEqual([`drop/${p.id}/real.txt`]);
    expect(list[0].title).not.toBe('From outside');
    for (const question of ['What is the outside secret?', 'What does the outside folder hold?']) {
      const res = await p.client.post<{ citations: unknown[] }>('/v1/chat', { question });
      expect(res.body.citations).toEqual([]);
    }
  });
});
