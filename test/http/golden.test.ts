import type { GoldenQuestion as Golden } from '../../lambdas/core/model';
import { startTestServer, type TestServer } from '../helpers/server';

type Run = {
  id: string;
  at: string;
  status: string;
  total: number;
  passed: number;
  failed: number;
  results: {
    golden_question_id: string;
    passed: boolean;
    answer: string;
    citations: { document_id: string }[];
    reasons: string[];
  }[];
};

describe('golden questions', () => {
  let t: TestServer;
  let projectId: string;
  let docId: string;
  let otherDocId: string;
  beforeAll(async () => {
    t = await startTestServer();
    const p = await t.project('golden');
    projectId = p.id;
    docId = (
      await p.client.post<{ document: { id: string } }>('/v1/documents?wait=true', {
        title: 'Warranty',
        text: 'The warranty covers manufacturing defects for two years. Water damage is not covered by the warranty.',
      })
    ).body.document.id;
    otherDocId = (
      await p.client.post<{ document: { id: string } }>('/v1/documents?wait=true', {
        title: 'Shipping',
        text: 'Parcels are shipped with tracking within three business days.',
      })
    ).body.document.id;
  });
  afterAll(async () => t.close());

  const base = () => `/v1/projects/${projectId}/golden-questions`;
  /** Starts a run (202), lets the background runner finish it, and reads it back. */
  const runToEnd = async (body?: unknown) => {
    const started = await t.admin.post<{ run: Run }>(`${base()}/run`, body);
    expect(started.status).toBe(202);
    expect(started.body.run.status).toBe('running');
    await t.server.home.jobs.idle();
    const read = await t.admin.get<{ run: Run }>(`/v1/projects/${projectId}/golden-runs/${started.body.run.id}`);
    expect(read.status).toBe(200);
    expect(read.body.run.status).toBe('done');
    expect(read.body.run.total).toBe(started.body.run.total);
    return read.body.run;
  };

  it('creates, lists, patches (approval) and deletes golden questions', async () => {
    const created = await t.admin.post<{ golden_question: Golden }>(base(), {
      question: 'How long is the warranty?',
      expected_answer: 'two years',
    });
    expect(created.status).toBe(201);
    expect(created.body.golden_question).toMatchObject({
      question: 'How long is the warranty?',
      expected_answer: 'two years',
      expected_document_ids: [],
      must_refuse: false,
      approved: false,
    });
    const id = created.body.golden_question.id;
    const patched = await t.admin.request<{ golden_question: Golden }>('PATCH', `${base()}/${id}`, { approved: true });
    expect(patched.status).toBe(200);
    expect(patched.body.golden_question.approved).toBe(true);
    expect(patched.body.golden_question.question).toBe('How long is the warranty?');

    const list = await t.admin.get<{ golden_questions: Golden[] }>(base());
    expect(list.body.golden_questions.find((q) => q.id === id)?.approved).toBe(true);

    expect((await t.admin.delete(`${base()}/${id}`)).status).toBe(200);
    expect((await t.admin.delete(`${base()}/${id}`)).status).toBe(404);
    expect((await t.admin.request('PATCH', `${base()}/gq_nope`, { approved: true })).status).toBe(404);
    expect((await t.admin.post(base(), { question: '' })).status).toBe(400);
    expect((await t.admin.post(base(), { question: 'ok?', must_refuse: 'yes' })).status).toBe(400);
  });

  it('runs every question through the real answer path and keeps the run history', async () => {
    const ids: Record<string, string> = {};
    const make = async (name: string, body: Record<string, unknown>) => {
      ids[name] = (await t.admin.post<{ golden_question: Golden }>(base(), body)).body.golden_question.id;
    };
    const approved = { approved: true };
    await make('answer', {
      question: 'Is water damage covered by the warranty?',
      expected_answer: 'not covered',
      expected_document_ids: [docId],
      ...approved,
    });
    await make('refuse', { question: 'Who won the football world cup?', must_refuse: true, ...approved });
    await make('wrong doc', {
      question: 'How long is the warranty?',
      expected_document_ids: [otherDocId],
      ...approved,
    });
    await make('wrong text', {
      question: 'When are parcels shipped?',
      expected_answer: 'next day delivery',
      ...approved,
    });
    await make('should refuse but answers', { question: 'How long is the warranty?', must_refuse: true, ...approved });
    // a draft is asked only when the run says so
    await make('draft', { question: 'Who won the football world cup?', must_refuse: true });

    const run = await runToEnd();
    expect(run.passed + run.failed).toBe(5);
    expect(run.results.map((r) => r.golden_question_id)).not.toContain(ids.draft);
    const withDrafts = await runToEnd({ include_drafts: true });
    expect(withDrafts.results.map((r) => r.golden_question_id)).toContain(ids.draft);
    expect(withDrafts.passed + withDrafts.failed).toBe(6);
    const bad = await t.admin.post<{ error: { type: string } }>(`${base()}/run`, { include_drafts: 'yes' });
    expect([bad.status, bad.body.error.type]).toEqual([400, 'invalid_request']);
    const result = (name: string) => run.results.find((r) => r.golden_question_id === ids[name]);
    expect(result('answer')).toMatchObject({ passed: true, reasons: [] });
    expect(result('answer')?.citations[0].document_id).toBe(docId);
    expect(result('refuse')).toMatchObject({ passed: true });
    expect(result('wrong doc')).toMatchObject({ passed: false, reasons: ['cites none of the expected documents'] });
    expect(result('wrong text')).toMatchObject({ passed: false, reasons: ['does not contain the expected answer'] });
    expect(result('should refuse but answers')).toMatchObject({
      passed: false,
      reasons: ['expected a refusal, got an answer'],
    });
    expect(run.passed).toBe(2);

    const second = await runToEnd();
    const runs = await t.admin.get<{ runs: Run[] }>(`/v1/projects/${projectId}/golden-runs`);
    expect(runs.status).toBe(200);
    expect(runs.body.runs.map((r) => r.id).slice(0, 3)).toEqual([second.id, withDrafts.id, run.id]);
    expect(runs.body.runs[0]).toMatchObject({ status: 'done', passed: 2, total: 5 });
  });

  it("a review key works the project's golden questions and nothing else", async () => {
    const key = await t.admin.post<{ api_key: { key: string } }>(`/v1/projects/${projectId}/keys`, {
      name: 'customer admin',
      scopes: ['review'],
    });
    const review = t.client(key.body.api_key.key);
    const created = await review.post<{ golden_question: Golden }>(base(), {
      question: 'What does the warranty cover?',
    });
    expect(created.status).toBe(201);
    expect(
      (await review.request('PATCH', `${base()}/${created.body.golden_question.id}`, { approved: true })).status,
    ).toBe(200);
    const started = await review.post<{ run: Run }>(`${base()}/run`);
    expect(started.status).toBe(202);
    expect((await review.get(`/v1/projects/${projectId}/golden-runs/${started.body.run.id}`)).status).toBe(200);
    expect((await review.get(`/v1/projects/${projectId}/golden-runs`)).status).toBe(200);
    expect((await review.get(`/v1/projects/${projectId}/documents/${docId}`)).status).toBe(200);
    expect((await review.post('/v1/documents', { text: 'nope' })).status).toBe(403);
    expect((await review.delete(`/v1/documents/${docId}`)).status).toBe(403);
    expect((await review.get(`/v1/projects/${projectId}/keys`)).status).toBe(403);
    expect((await review.get(`/v1/projects/${projectId}/export`)).status).toBe(403);
  });
});
