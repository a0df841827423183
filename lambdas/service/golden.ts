import { Invalid, NotFound } from '../core/errors';
import { judgeGolden } from '../core/golden';
import { isId, newId } from '../core/ids';
import type { GoldenQuestion, GoldenResult, GoldenRun, ProjectRecord } from '../core/model';
import type { ProjectAccess } from './access';
import type { Context } from './context';

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
  async function own(projectId: string, id: string) {
    const q = isId('golden', id) ? await ctx.store.forProject(projectId).getGoldenQuestion(id) : null;
    if (!q) throw new NotFound('golden question');
    return q;
  }

  return {
    async create({ project }: ProjectAccess<'golden.write'>, body: GoldenInput & { question: string }) {
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
     * Asks the approved golden questions (and the drafts too, when asked to) through the real
     * answer path and records the run.
     */
    async run({ project }: ProjectAccess<'golden.write'>, options: { include_drafts?: boolean } = {}) {
      const records = ctx.store.forProject(project.id);
      const questions = (await records.listGoldenQuestions()).filter((q) => q.approved || options.include_drafts);
      const results: GoldenResult[] = [];
      for (const q of questions) {
        const a = await answer(project, q.question, 8);
        const verdict = judgeGolden(q, { ...a, refusal: a.refusal as null });
        results.push({
          golden_question_id: q.id,
          passed: verdict.passed,
          answer: a.answer,
          citations: a.citations,
          reasons: verdict.reasons,
        });
      }
      const passed = results.filter((r) => r.passed).length;
      const run: GoldenRun = { id: newId('run'), at: ctx.iso(), passed, failed: results.length - passed, results };
      await records.putGoldenRun(run);
      return { run };
    },

    async runs({ project }: ProjectAccess<'golden.read'>) {
      return { runs: await ctx.store.forProject(project.id).listGoldenRuns() };
    },
  };
}
