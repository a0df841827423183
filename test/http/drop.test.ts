import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server';

type Doc = { id: string; external_id: string; status: string; content_hash: string; title: string };

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the local drop folder', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ dropIntervalSeconds: 0.1 });
  });
  afterAll(async () => t.close());

  it('ingests dropped files with their path as external_id, and replaces them when dropped again', async () => {
    const p = await t.project('drop');
    const folder = join(t.dataDir, 'drop', p.id, 'handbook');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'leave.md'), '# Leave\n\nEmployees get 25 days of paid leave per year.');
    const externalId = `drop/${p.id}/handbook/leave.md`;

    const find = async (hash?: string) => {
      const list = await p.client.get<{ documents: Doc[] }>('/v1/documents?status=ready');
      return list.body.documents.find((d) => d.external_id === externalId && d.content_hash !== hash);
    };
    const first = await waitFor(() => find());
    expect(first.title).toBe('Leave');
    const answer = await p.client.post<{ answer: string }>('/v1/chat', { question: 'How many days of paid leave?' });
    expect(answer.body.answer).toContain('25 days');

    writeFileSync(join(folder, 'leave.md'), '# Leave\n\nEmployees get 30 days of paid leave per year.');
    const second = await waitFor(() => find(first.content_hash));
    expect(second.id).toBe(first.id);
    const again = await p.client.post<{ answer: string }>('/v1/chat', { question: 'How many days of paid leave?' });
    expect(again.body.answer).toContain('30 days');
    expect(again.body.answer).not.toContain('25 days');
    const all = await p.client.get<{ documents: Doc[] }>('/v1/documents');
    expect(all.body.documents).toHaveLength(1);
  });

  it("ignores folders that are not one of the company's projects, and never crosses projects", async () => {
    const a = await t.project('drop a');
    const b = await t.project('drop b');
    mkdirSync(join(t.dataDir, 'drop', 'not-a-project'), { recursive: true });
    writeFileSync(join(t.dataDir, 'drop', 'not-a-project', 'x.txt'), 'stray file');
    mkdirSync(join(t.dataDir, 'drop', 'prj_00000000000000000000000000'), { recursive: true });
    writeFileSync(join(t.dataDir, 'drop', 'prj_00000000000000000000000000', 'x.txt'), 'no such project');
    mkdirSync(join(t.dataDir, 'drop', a.id), { recursive: true });
    writeFileSync(join(t.dataDir, 'drop', a.id, 'a.txt'), 'Only project A knows about the heron migration.');
    await waitFor(async () => {
      const list = await a.client.get<{ documents: Doc[] }>('/v1/documents?status=ready');
      return list.body.documents.length === 1 ? true : undefined;
    });
    const inB = await b.client.get<{ documents: Doc[] }>('/v1/documents');
    expect(inB.body.documents).toEqual([]);
    const refused = await b.client.post<{ refusal: unknown }>('/v1/chat', { question: 'heron migration?' });
    expect(refused.body.refusal).not.toBeNull();
  });

  it('records an unreadable dropped file as a failed document with the reason', async () => {
    const p = await t.project('drop failed');
    mkdirSync(join(t.dataDir, 'drop', p.id), { recursive: true });
    writeFileSync(join(t.dataDir, 'drop', p.id, 'photo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 1, 2]));
    const failed = await waitFor(async () => {
      const list = await p.client.get<{ documents: (Doc & { error?: string })[] }>('/v1/documents?status=failed');
      return list.body.documents[0];
    });
    expect(failed.external_id).toBe(`drop/${p.id}/photo.png`);
    expect(failed.error).toMatch(/not of a supported format/);
    const ready = await p.client.get<{ documents: Doc[] }>('/v1/documents?status=ready');
    expect(ready.body.documents).toEqual([]);
  });
});
