import { Conflict, Invalid, NotFound, OpragError, RateLimited } from '../core/errors';
import { judgeGolden } from '../core/golden';
import { isId, newId } from '../core/ids';
import type { GoldenQuestion, GoldenResult, GoldenRun, GoldenRunRecord, ProjectRecord } from '../core/model';
import type { ProjectAccess } from './access';
import type { Context } from './context';
import { checkRate } from './limits';

export interface GoldenInput {
  question?: string;
  expected_answer?: string | null;
  expected_document_ids?: string[];
  must_refuse?: boolean;
  approved?: boolean;
}

type Answerer = (
  project: ProjectRecord,
  question: string,
  topK: number,
) => Promise<{ answer: string; grounded: boolean; citations: GoldenResult['citations']; refusal: unknown }>;

export function makeGoldenServices(ctx: Context, answer: Answerer) {
  async function ask(project: ProjectRecord, q: GoldenQuestion): Promise<GoldenResult> {
    const a = await answer(project, q.question, 8);
    const verdict = judgeGolden(q, { ...a, refusal: a.refusal as null });
    return {
      golden_question_id: q.id,
      passed: verdict.passed,
      answer: a.answer,
      citations: a.citations,
      reasons: verdict.reasons,
    };
  }

  async function own(projectId: string, id: string) {
    const q = isId('golden', id) ? await ctx.store.forProject(projectId).getGoldenQuestion(id) : null;
    if (!q) throw new NotFound('golden question');
    return q;
  }

  /** A run as the API shows it, its counts taken from the results written so far. */
  async function view(projectId: string, run: GoldenRunRecord): Promise<GoldenRun> {
    const results = await ctx.store.forProject(projectId).listGoldenResults(run.id);
    const passed = results.filter((r) => r.passed).length;
    const { question_ids: _, ...rest } = run;
    return { ...rest, passed, failed: results.length - passed, results };
  }

  return {
    async create({ project }: ProjectAccess<'golden.write'>, body: GoldenInput & { question: string }) {
      const max = project.limits.max_golden_questions || ctx.settings.defaultMaxGoldenQuestions;
      const held = (await ctx.store.forProject(project.id).listGoldenQuestions()).length;
      if (held >= max) throw new Conflict(`the project holds its maximum of ${max} golden questions`);
      const now = ctx.iso();
      const q: GoldenQuestion = {
        id: newId('golden'),
        question: body.question.trim(),
        expected_answer: body.expected_answer ?? null,
        expected_document_ids: body.expected_document_ids ?? [],
        must_refuse: body.must_refuse ?? false,
        approved: body.approved ?? false,
        created_at: now,
        updated_at: now,
      };
      await ctx.store.forProject(project.id).putGoldenQuestion(q);
      return { golden_question: q };
    },

    async list({ project }: ProjectAccess<'golden.read'>) {
      return { golden_questions: await ctx.store.forProject(project.id).listGoldenQuestions() };
    },

    async update({ project }: ProjectAccess<'golden.write'>, id: string, patch: GoldenInput) {
      const q = await own(project.id, id);
      const updated: GoldenQuestion = {
        ...q,
        question: patch.question?.trim() ?? q.question,
        expected_answer: patch.expected_answer !== undefined ? patch.expected_answer : q.expected_answer,
        expected_document_ids: patch.expected_document_ids ?? q.expected_document_ids,
        must_refuse: patch.must_refuse ?? q.must_refuse,
        approved: patch.approved ?? q.approved,
        updated_at: ctx.iso(),
      };
      if (!updated.question) throw new Invalid('question must not be empty');
      await ctx.store.forProject(project.id).putGoldenQuestion(updated);
      return { golden_question: updated };
    },

    async remove({ project }: ProjectAccess<'golden.write'>, id: string) {
      const q = await own(project.id, id);
      await ctx.store.forProject(project.id).deleteGoldenQuestion(q.id);
      return { deleted: { golden_question_id: q.id } };
    },

    /**
     * Starts a run of the approved golden questions (and the drafts too, when asked to): the
     * questions are fixed now, and a background job asks them through the real answer path.
     */
    async run({ project }: ProjectAccess<'golden.write'>, options: { include_drafts?: boolean } = {}) {
      if (!ctx.jobs) throw new Error('this home runs no background jobs');
      const records = ctx.store.forProject(project.id);
      const questions = (await records.listGoldenQuestions()).filter((q) => q.approved || options.include_drafts);
      const run: GoldenRunRecord = {
        id: newId('run'),
        at: ctx.iso(),
        status: 'running',
        total: questions.length,
        passed: 0,
        failed: 0,
        // asked oldest first, so a run reads in the order the questions were written
        question_ids: questions.map((q) => q.id).reverse(),
      };
      await records.putGoldenRun(run);
      await ctx.jobs.enqueueJob({ type: 'golden_run', project_id: project.id, run_id: run.id });
      return { run: { id: run.id, at: run.at, status: 'running' as const, total: run.total } };
    },

    async getRun({ project }: ProjectAccess<'golden.read'>, runId: string) {
      const run = isId('run', runId) ? await ctx.store.forProject(project.id).getGoldenRun(runId) : null;
      if (!run) throw new NotFound('golden run');
      return { run: await view(project.id, run) };
    },

    /**
     * The background part of a run: asks its questions in order from the first one without a
     * result, each counted against the project's chat limit. Returns when the run is finished, or
     * with the seconds to wait when the limit is reached (the queue brings the job back then), or
     * after `maxAnswers` answers with none.
     */
    async advanceRun(
      projectId: string,
      runId: string,
      maxAnswers = Number.POSITIVE_INFINITY,
    ): Promise<{ retryAfterSeconds: number } | null> {
      const records = ctx.store.forProject(projectId);
      const project = await ctx.store.getProject(projectId);
      const run = await records.getGoldenRun(runId);
      if (!project || !run || run.status !== 'running') return null;
      const finish = async (patch: Partial<GoldenRunRecord>) => {
        const shown = await view(projectId, run);
        await records.putGoldenRun({ ...run, passed: shown.passed, failed: shown.failed, ...patch });
      };
      let next = (await records.listGoldenResults(runId)).length;
      const stop = next + maxAnswers;
      try {
        for (; next < run.question_ids.length; next++) {
          if (next >= stop) {
            // this delivery's share is done (a function's time is limited): the job comes back at once
            await finish({});
            return { retryAfterSeconds: 0 };
          }
          await checkRate(ctx, project, 'chat');
          const q = await records.getGoldenQuestion(run.question_ids[next]);
          const result: GoldenResult = q
            ? await ask(project, q)
            : {
                golden_question_id: run.question_ids[next],
                passed: false,
                answer: '',
                citations: [],
                reasons: ['the golden question was deleted during the run'],
              };
          await records.putGoldenResult(runId, next, result);
        }
      } catch (e) {
        if (e instanceof RateLimited) {
          await finish({});
          return { retryAfterSeconds: e.retryAfterSeconds ?? 60 };
        }
        throw e;
      }
      await finish({ status: 'done' });
      return null;
    },

    /** Marks a run that cannot go on failed, keeping the results it has. */
    async failRun(projectId: string, runId: string, error: unknown) {
      const records = ctx.store.forProject(projectId);
      const run = await records.getGoldenRun(runId);
      if (run?.status !== 'running') return;
      const shown = await view(projectId, run);
      const message = error instanceof OpragError ? error.message : 'the run stopped on an internal error';
      await records.putGoldenRun({
        ...run,
        status: 'failed',
        passed: shown.passed,
        failed: shown.failed,
        error: message,
      });
    },

    async runs({ project }: ProjectAccess<'golden.read'>) {
      const runs = await ctx.store.forProject(project.id).listGoldenRuns();
      return { runs: await Promise.all(runs.map((r) => view(project.id, r))) };
    },
  };
}
