import { checkCitations, support } from '../core/citations';
import { Invalid } from '../core/errors';
import { DEFAULT_GATE, QUESTION_GATE, relevanceGate, termCoverage } from '../core/gate';
import { isId } from '../core/ids';
import type { ChatAnswer, Citation, ProjectRecord } from '../core/model';
import { isQuestion } from '../core/question';
import { informativeWeights, unknownNames } from '../core/term-weights';
import { queryTerms, splitSentences } from '../core/text';
import type { Passage, SearchHit } from '../ports';
import type { ProjectAccess } from './access';
import type { Context } from './context';
import { addUsage, checkRate } from './limits';
import { type SearchFilter, searchProject } from './search';

export interface ChatRequest {
  question?: string;
  messages?: { role: 'user' | 'assistant'; content: string }[];
  top_k?: number;
  filter?: SearchFilter;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Only well-formed ids can match; a malformed one filters everything out rather than erroring. */
function cleanFilter(filter?: SearchFilter) {
  if (!filter) return undefined;
  return {
    document_ids: filter.document_ids?.map((id) => (isId('document', id) ? id : 'doc_none')),
    tags: filter.tags,
  };
}

/** The question a chat asks: `question`, or the last user message. */
export function questionOf(req: ChatRequest): string {
  const q = req.question ?? [...(req.messages ?? [])].reverse().find((m) => m.role === 'user')?.content;
  if (!q?.trim()) throw new Invalid('send a question, or messages ending with a user message');
  return q.trim();
}

export function makeAnswerServices(ctx: Context) {
  /** Retrieves, gates, generates and checks: the whole answer path, for one project. */
  async function answer(project: ProjectRecord, question: string, topK: number, filter?: SearchFilter, requestId = '') {
    const started = Date.now();
    const projectId = project.id;
    const terms = queryTerms(question);
    const result = await searchProject(ctx, project, question, terms, Math.max(topK, 8), cleanFilter(filter));
    const asked = isQuestion(question);
    const gate = relevanceGate(
      terms,
      result.hits,
      { ...(asked ? QUESTION_GATE : DEFAULT_GATE), ...ctx.settings.gate },
      result.documentFrequency,
      { question, chunkCount: result.chunkCount, paraphrase: asked },
    );
    const refuse = (): ChatAnswer => ({
      answer: ctx.settings.refusalMessage,
      grounded: false,
      citations: [],
      refusal: { reason: 'no_relevant_documents', message: ctx.settings.refusalMessage },
      source_label: ctx.settings.sourceLabel,
      request_id: requestId,
      latency_ms: Date.now() - started,
    });
    if (!gate.answerable) {
      await addUsage(ctx, projectId, { refusals: 1 });
      return refuse();
    }
    const hits = gate.passages.slice(0, topK);
    const passages: Passage[] = hits.map((h, i) => ({
      index: i + 1,
      text: h.text,
      title: h.title,
      section: h.section,
      ordinal: h.ordinal,
    }));
    // the gate's weights: IDF, with generic words and words the project lacks kept in proportion
    const weights = informativeWeights(terms, {
      documentFrequency: result.documentFrequency,
      chunkCount: result.chunkCount,
      paraphrase: asked,
    });
    const termWeights: Record<string, number> = {};
    terms.forEach((t, i) => {
      termWeights[t.stem] = weights[i];
    });
    const unknown = asked ? unknownNames(terms, result.documentFrequency) : [];
    const generated = await ctx.generator.generate({ question, passages, termWeights, unknownNames: unknown });
    const checked = checkCitations(generated.text, passages);
    if (checked.used.length === 0) {
      await addUsage(ctx, projectId, { refusals: 1, generation_units: generated.units });
      return refuse();
    }
    const sentences = splitSentences(checked.answer);
    const citations: Citation[] = checked.used.map((passageIndex, i) => {
      const hit = hits[passageIndex - 1];
      const citing = sentences.filter((s) => s.includes(`[${i + 1}]`));
      return {
        index: i + 1,
        document_id: hit.document_id,
        chunk_id: hit.id,
        title: hit.title,
        url: hit.url,
        snippet: snippetFor(hit, citing),
        score: round(termCoverage(terms, hit, result.documentFrequency)),
        page: hit.page,
        section: hit.section,
      };
    });
    await addUsage(ctx, projectId, { answers: 1, generation_units: generated.units });
    return {
      answer: checked.answer,
      grounded: true,
      citations,
      refusal: null,
      source_label: ctx.settings.sourceLabel,
      request_id: requestId,
      latency_ms: Date.now() - started,
    } satisfies ChatAnswer;
  }

  return {
    answer,

    async retrieve(
      { project }: ProjectAccess<'retrieve'>,
      body: { query: string; top_k?: number; filter?: SearchFilter },
    ) {
      await checkRate(ctx, project, 'chat');
      const result = await searchProject(
        ctx,
        project,
        body.query,
        queryTerms(body.query),
        body.top_k ?? 8,
        cleanFilter(body.filter),
      );
      return {
        results: result.hits.map((h) => ({
          chunk_id: h.id,
          document_id: h.document_id,
          title: h.title,
          url: h.url,
          text: h.text,
          score: round(h.score),
          page: h.page,
          section: h.section,
        })),
      };
    },

    async chat({ project }: ProjectAccess<'chat'>, body: ChatRequest, requestId: string) {
      await checkRate(ctx, project, 'chat');
      return answer(project, questionOf(body), body.top_k ?? 8, body.filter, requestId);
    },
  };
}

/** The passage sentence that best supports what the answer says with this citation. */
function snippetFor(hit: SearchHit, citing: string[]): string {
  const passage = { index: 0, text: hit.text, title: null, section: null };
  let best = '';
  let bestScore = -1;
  for (const sentence of splitSentences(hit.text)) {
    const score = Math.max(0, ...citing.map((c) => support(sentence, { ...passage, text: c })));
    if (score > bestScore) {
      best = sentence;
      bestScore = score;
    }
  }
  return best.length > 300 ? `${best.slice(0, 297)}...` : best;
}
