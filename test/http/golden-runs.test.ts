import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server';

type Run = {
  id: string;
  status: 'running' | 'done' | 'failed';
  total: number;
  passed: number;
  failed: number;
  results: { golden_question_id: string; passed: boolean }[];
};

/** Golden runs in the background, on the local home: progress, the chat limit, the question limit, isolation. */
describe('golden runs in the background', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  async function projectWithQuestions(name: string, count: number) {
    const p = await t.project(name);
    await p.client.post('/v1/documents?wait=true', {
      title: 'Returns',
      text: 'Returns are accepted within 30 days of delivery with the receipt.',
    });
    const base = `/v1/projects/${p.id}/golden-questions`;
    for (let i = 0; i < count; i++) {
      const res = await t.admin.post(base, { question: `How long are returns accepted (${i})?`, approved: true });
      expect(res.status).toBe(201);
    }
    return { ...p, base };
  }
  const runOf = (projectId: string, runId: string) =>
    t.admin.get<{ run: Run }>(`/v1/projects/${projectId}/golden-runs/${runId}`);

  it('counts every answer against chat_per_minute: five runs of 20 from a review key give 2 answers a minute, then go on', async () => {
    const p = await projectWithQuestions('limited runs', 20);
    expect((await t.admin.request('PATCH', `/v1/projects/${p.id}`, { limits: { chat_per_minute: 2 } })).status).toBe(
      200,
    );
    // the runs are started with the weakest key that may start one: a review key
    const review = await t.admin.post<{ api_key: { key: string } }>(`/v1/projects/${p.id}/keys`, {
      scopes: ['review'],
    });
    expect(review.status).toBe(201);
    const reviewer = t.client(review.body.api_key.key);
    t.clock.freeze(t.clock.nextMinute(1000));
    try {
      const runIds: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await reviewer.post<{ run: { id: string; status: string; total: number } }>(`${p.base}/run`);
        expect(res.status).toBe(202);
        expect(res.body.run).toMatchObject({ status: 'running', total: 20 });
        runIds.push(res.body.run.id);
      }
      const answered = async () => {
        await t.server.home.jobs.idle();
        let n = 0;
        for (const id of runIds) n += (await runOf(p.id, id)).body.run.results.length;
        return n;
      };
      expect(await answered()).toBe(2);
      // the runs wait for the next minute, held by the clock the service reads
      expect(t.server.home.jobs.held()).toHaveLength(5);
      // a chat in the same minute finds the budget spent by the runs
      expect((await p.client.post('/v1/chat', { question: 'returns?' })).status).toBe(429);

      t.clock.advance(60_000);
      t.server.home.jobs.runDue();
      expect(await answered()).toBe(4);
      const first = (await runOf(p.id, runIds[0])).body.run;
      expect(first.status).toBe('running');
      expect(first.passed + first.failed).toBe(first.results.length);
    } finally {
      t.clock.resume();
      // let the remaining answers through so the runs can end
      await t.admin.request('PATCH', `/v1/projects/${p.id}`, { limits: { chat_per_minute: null } });
    }
  });

  it('finishes a run with progress and results, newest first in the list', async () => {
    const p = await projectWithQuestions('progress', 3);
    const started = await t.admin.post<{ run: Run }>(`${p.base}/run`);
    expect(started.status).toBe(202);
    await t.server.home.jobs.idle();
    const run = (await runOf(p.id, started.body.run.id)).body.run;
    expect(run).toMatchObject({ status: 'done', total: 3 });
    expect(run.results).toHaveLength(3);
    expect(run.passed + run.failed).toBe(3);
    const list = await t.admin.get<{ runs: Run[] }>(`/v1/projects/${p.id}/golden-runs`);
    expect(list.body.runs[0]).toMatchObject({ id: run.id, status: 'done', total: 3 });
  });

  it('refuses a golden question past max_golden_questions with 409 and keeps the others', async () => {
    const p = await projectWithQuestions('capped', 2);
    const patched = await t.admin.request<{ project: { limits: Record<string, unknown> } }>(
      'PATCH',
      `/v1/projects/${p.id}`,
      { limits: { max_golden_questions: 2 } },
    );
    expect(patched.body.project.limits.max_golden_questions).toBe(2);
    const third = await t.admin.post<{ error: { type: string; message: string } }>(p.base, { question: 'One more?' });
    expect(third.status).toBe(409);
    expect(third.body.error.type).toBe('conflict');
    const list = await t.admin.get<{ golden_questions: unknown[] }>(p.base);
    expect(list.body.golden_questions).toHaveLength(2);
    const bad = await t.admin.request('PATCH', `/v1/projects/${p.id}`, { limits: { max_golden_questions: -1 } });
    expect(bad.status).toBe(400);
  });

  it('holds 200 golden questions by default', async () => {
    const p = await t.project('default cap');
    const base = `/v1/projects/${p.id}/golden-questions`;
    for (let i = 0; i < 200; i++) expect((await t.admin.post(base, { question: `q${i}?` })).status).toBe(201);
    expect((await t.admin.post(base, { question: 'q200?' })).status).toBe(409);
  });

  it("never shows one project's run to another project's key", async () => {
    const a = await projectWithQuestions('run owner', 1);
    const b = await t.project('run outsider');
    const review = await t.admin.post<{ api_key: { key: string } }>(`/v1/projects/${b.id}/keys`, {
      scopes: ['review'],
    });
    const outsider = t.client(review.body.api_key.key);
    const started = await t.admin.post<{ run: Run }>(`${a.base}/run`);
    await t.server.home.jobs.idle();
    for (const path of [
      `/v1/projects/${a.id}/golden-runs/${started.body.run.id}`,
      `/v1/projects/${b.id}/golden-runs/${started.body.run.id}`,
      `/v1/projects/${a.id}/golden-runs`,
    ]) {
      const res = await outsider.get<{ error: { type: string } }>(path);
      expect([path, res.status, res.body.error.type]).toEqual([path, 404, 'not_found']);
    }
    expect((await outsider.post(`/v1/projects/${a.id}/golden-questions/run`)).status).toBe(404);
    expect((await runOf(a.id, 'run_nope')).status).toBe(404);
  });

  it('goes on with a run and an export a restart left running, from the first unanswered question', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'oprag-jobs-restart-'));
    try {
      const first = await startTestServer({ dataDir });
      const p = await first.project('restarted');
      const base = `/v1/projects/${p.id}/golden-questions`;
      for (let i = 0; i < 3; i++) await first.admin.post(base, { question: `q${i}?`, approved: true });
      await first.admin.request('PATCH', `/v1/projects/${p.id}`, { limits: { chat_per_minute: 1 } });
      first.clock.freeze(first.clock.nextMinute(1000));
      const run = await first.admin.post<{ run: Run }>(`${base}/run`);
      await first.server.home.jobs.idle();
      expect(
        (await first.admin.get<{ run: Run }>(`/v1/projects/${p.id}/golden-runs/${run.body.run.id}`)).body.run,
      ).toMatchObject({ status: 'running', results: [expect.anything()] });
      await first.admin.request('PATCH', `/v1/projects/${p.id}`, { limits: { chat_per_minute: null } });
      // the runner stops (as in a crash): the waiting run is dropped, and the export never gets a turn
      await first.server.home.jobs.stop();
      const exp = await first.admin.post<{ export: { id: string } }>(`/v1/projects/${p.id}/exports`);
      const pending = `/v1/projects/${p.id}/exports/${exp.body.export.id}`;
      expect((await first.admin.get<{ export: { status: string } }>(pending)).body.export.status).toBe('running');
      await first.close();

      const second = await startTestServer({ dataDir });
      try {
        await second.server.home.jobs.idle();
        const admin = second.client(first.adminKey);
        const after = (await admin.get<{ run: Run }>(`/v1/projects/${p.id}/golden-runs/${run.body.run.id}`)).body.run;
        expect(after).toMatchObject({ status: 'done', total: 3 });
        expect(after.results.map((r) => r.golden_question_id)).toHaveLength(3);
        expect(new Set(after.results.map((r) => r.golden_question_id)).size).toBe(3);
        const e = await admin.get<{ export: { status: string } }>(`/v1/projects/${p.id}/exports/${exp.body.export.id}`);
        expect(e.body.export.status).toBe('ready');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
