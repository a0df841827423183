import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-index';
import { SqliteTenantStore } from '../../lambdas/adapters/local/sqlite-tenant-store';
import type { ApiClient } from '../../lambdas/client/api-client';
import type { ChatAnswer } from '../../lambdas/core/model';
import type { PublicDocument as Doc } from '../../lambdas/service/document-view';
import { startTestServer, type TestServer } from '../helpers/server';

describe('a server restarted on the same data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'oprag-restart-'));
  let first: TestServer | null = null;
  let second: TestServer | null = null;

  // what the first server leaves behind
  let adminKey: string;
  let projectId: string;
  let projectKey: string;
  let reviewKey: string;
  let document: Doc;
  let goldenId: string;
  let before: ChatAnswer;
  let contentBefore: string;
  const question = 'How many days do I have to ask for a refund?';
  const interruptedTexts = ['The north gazebo is painted teal.', 'The south gazebo is painted ochre.'];
  let interruptedIds: string[] = [];

  beforeAll(async () => {
    first = await startTestServer({ dataDir });
    adminKey = first.adminKey;
    expect(adminKey).toMatch(/^oprag_ak_/);

    const p = await first.project('survives restarts');
    projectId = p.id;
    projectKey = p.key;
    const ingested = await p.client.post<{ document: Doc }>('/v1/documents?wait=true', {
      title: 'Refund policy',
      url: '/help/refunds',
      external_id: 'kb/refunds.md',
      content_type: 'text/markdown',
      text: '# Refunds\n\nRefunds are accepted within 30 days of purchase. Shipping costs are not refunded.',
    });
    expect(ingested.status).toBe(201);
    document = ingested.body.document;

    const review = await first.admin.post<{ api_key: { key: string } }>(`/v1/projects/${projectId}/keys`, {
      name: 'customer admin',
      scopes: ['review'],
    });
    expect(review.status).toBe(201);
    reviewKey = review.body.api_key.key;

    const golden = await first.admin.post<{ golden_question: { id: string } }>(
      `/v1/projects/${projectId}/golden-questions`,
      { question, expected_answer: '30 days', expected_document_ids: [document.id] },
    );
    expect(golden.status).toBe(201);
    goldenId = golden.body.golden_question.id;

    const chat = await p.client.post<ChatAnswer>('/v1/chat', { question });
    expect(chat.body.grounded).toBe(true);
    before = chat.body;
    contentBefore = (await p.client.get<string>(`/v1/documents/${document.id}/content`)).body;

    interruptedIds = [];
    for (const text of interruptedTexts) {
      const res = await p.client.post<{ document: Doc }>('/v1/documents?wait=true', { text });
      expect(res.status).toBe(201);
      interruptedIds.push(res.body.document.id);
    }
    await first.close();

    // a crash mid-ingest: the records say queued / processing and the index holds nothing for them
    // (the in-process queue keeps no jobs, so only the records can bring them back)
    const store = new SqliteTenantStore(join(dataDir, 'control.db'));
    const index = new SqliteSearchIndex(join(dataDir, 'projects'));
    for (const [i, id] of interruptedIds.entries()) {
      const records = store.forProject(projectId);
      const doc = await records.getDocument(id);
      if (!doc) throw new Error(`document ${id} is missing before the restart`);
      await records.putDocument({ ...doc, status: i === 0 ? 'queued' : 'processing' });
      expect(await index.forProject(projectId).deleteDocument(id)).toBeGreaterThan(0);
    }
    index.close();
    store.close();

    second = await startTestServer({ dataDir });
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const server = () => second as TestServer;
  const admin = (): ApiClient => server().client(adminKey);
  const project = (): ApiClient => server().client(projectKey);

  it('does not print a new admin key, and the saved one is the first server’s', async () => {
    expect(server().adminKey).toBe('');
    expect(readFileSync(join(dataDir, 'admin-key'), 'utf8').trim()).toBe(adminKey);
  });

  it('keeps the company, the project and its stats', async () => {
    const company = await admin().get<{ company: { id: string } }>('/v1/company');
    expect(company.status).toBe(200);
    const res = await admin().get<{
      project: { id: string; name: string; stats: { documents: number; chunks: number } };
    }>(`/v1/projects/${projectId}`);
    expect(res.status).toBe(200);
    expect(res.body.project).toMatchObject({ id: projectId, name: 'survives restarts' });
    expect(res.body.project.stats.documents).toBe(1 + interruptedTexts.length);
    expect(res.body.project.stats.chunks).toBeGreaterThanOrEqual(document.chunks);
    const list = await admin().get<{ projects: { id: string }[] }>('/v1/projects');
    expect(list.body.projects.map((p) => p.id)).toContain(projectId);
  });

  it('keeps the document, its content and its external id', async () => {
    const res = await project().get<{ document: Doc }>(`/v1/documents/${document.id}`);
    expect(res.status).toBe(200);
    expect(res.body.document).toEqual(
      expect.objectContaining({
        id: document.id,
        status: 'ready',
        chunks: document.chunks,
        content_hash: document.content_hash,
        external_id: 'kb/refunds.md',
      }),
    );
    const content = await project().get<string>(`/v1/documents/${document.id}/content`);
    expect(content.status).toBe(200);
    expect(content.body).toBe(contentBefore);
    const again = await project().post<{ unchanged?: boolean; document: Doc }>('/v1/documents', {
      title: 'Refund policy',
      url: '/help/refunds',
      external_id: 'kb/refunds.md',
      content_type: 'text/markdown',
      text: '# Refunds\n\nRefunds are accepted within 30 days of purchase. Shipping costs are not refunded.',
    });
    expect(again.status).toBe(200);
    expect(again.body.unchanged).toBe(true);
    expect(again.body.document.id).toBe(document.id);
  });

  it('keeps every key working, and a garbage key still fails', async () => {
    expect((await project().get('/v1/documents')).status).toBe(200);
    expect((await server().client(reviewKey).get(`/v1/projects/${projectId}/golden-questions`)).status).toBe(200);
    expect((await admin().get('/v1/company/keys')).status).toBe(200);
    expect((await server().client(`${projectKey}x`).get('/v1/documents')).status).toBe(401);
  });

  it('chat still answers with the same citation', async () => {
    const res = await project().post<ChatAnswer>('/v1/chat', { question });
    expect(res.status).toBe(200);
    expect(res.body.grounded).toBe(true);
    expect(res.body.answer).toBe(before.answer);
    expect(res.body.citations).toEqual(before.citations);
    expect(res.body.citations[0]).toMatchObject({ document_id: document.id, url: '/help/refunds' });
  });

  it('keeps the golden question, and a run passes it', async () => {
    const list = await admin().get<{ golden_questions: { id: string; question: string }[] }>(
      `/v1/projects/${projectId}/golden-questions`,
    );
    expect(list.body.golden_questions).toEqual([expect.objectContaining({ id: goldenId, question })]);
    const started = await admin().post<{ run: { id: string } }>(`/v1/projects/${projectId}/golden-questions/run`, {
      include_drafts: true,
    });
    expect(started.status).toBe(202);
    await server().server.home.jobs.idle();
    const run = await admin().get<{ run: { status: string; passed: number; failed: number } }>(
      `/v1/projects/${projectId}/golden-runs/${started.body.run.id}`,
    );
    expect(run.body.run).toMatchObject({ status: 'done', passed: 1, failed: 0 });
  });

  it('finishes documents a crash left queued or processing', async () => {
    const until = Date.now() + 10_000;
    let docs: Doc[] = [];
    for (;;) {
      const res = await project().get<{ documents: Doc[] }>('/v1/documents?limit=200');
      docs = res.body.documents.filter((d) => interruptedIds.includes(d.id));
      if (docs.every((d) => d.status === 'ready' || d.status === 'failed') || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(docs.map((d) => d.id).sort()).toEqual([...interruptedIds].sort());
    expect(docs.map((d) => d.status)).toEqual(['ready', 'ready']);
    const found = await project().post<{ results: { document_id: string }[] }>('/v1/retrieve', {
      query: 'gazebo painted',
      top_k: 50,
    });
    expect(new Set(found.body.results.map((r) => r.document_id))).toEqual(new Set(interruptedIds));
  });

  it('takes new work after the restart', async () => {
    const res = await project().post<{ document: Doc }>('/v1/documents?wait=true', {
      text: 'Gift cards never expire and can be used online.',
    });
    expect(res.status).toBe(201);
    const chat = await project().post<ChatAnswer>('/v1/chat', { question: 'Do gift cards expire?' });
    expect(chat.body.grounded).toBe(true);
    expect(chat.body.citations[0].document_id).toBe(res.body.document.id);
  });
});
