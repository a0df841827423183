import { CitationStream } from '../core/citation-stream';
import { checkCitations, support } from '../core/citations';
import { Invalid } from '../core/errors';
import { DEFAULT_GATE, QUESTION_GATE, relevanceGate, termCoverage } from '../core/gate';
import { isId } from '../core/ids';
import type { ChatAnswer, Citation, ProjectRecord } from '../core/model';
import { isQuestion } from '../core/question';
import { informativeWeights, unknownNames } from '../core/term-weights';
import { queryTerms, splitSentences } from '../core/text';
import type { GeneratedPiece, GeneratorInput, Passage, SearchHit } from '../ports';
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

/** A streamed answer: its pieces of text, then (as the generator's return value) the whole answer. */
export type AnswerStream = AsyncGenerator<string, ChatAnswer, void>;

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
  /**
   * Retrieves and gates: either the refusal (no chunk passes the gate) or what the generator is
   * given, with a way to finish the answer from its checked text.
   */
  async function prepare(
    project: ProjectRecord,
    question: string,
    topK: number,
    filter: SearchFilter | undefined,
    requestId: string,
  ) {
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
    const refuse = async (units?: number): Promise<ChatAnswer> => {
      await addUsage(ctx, projectId, units === undefined ? { refusals: 1 } : { refusals: 1, generation_units: units });
      return {
        answer: ctx.settings.refusalMessage,
        grounded: false,
        citations: [],
        refusal: { reason: 'no_relevant_documents', message: ctx.settings.refusalMessage },
        source_label: ctx.settings.sourceLabel,
        request_id: requestId,
        latency_ms: Date.now() - started,
      };
    };
    if (!gate.answerable) return { refusal: await refuse() };
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
    const input: GeneratorInput = { question, passages, termWeights, unknownNames: unknown };

    /** The answer from the checked text: cited, or a refusal when no sentence held. */
    const finish = async (checked: { answer: string; used: number[] }, units: number): Promise<ChatAnswer> => {
      if (checked.used.length === 0) return refuse(units);
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
      await addUsage(ctx, projectId, { answers: 1, generation_units: units });
      return {
        answer: checked.answer,
        grounded: true,
        citations,
        refusal: null,
        source_label: ctx.settings.sourceLabel,
        request_id: requestId,
        latency_ms: Date.now() - started,
      } satisfies ChatAnswer;
    };
    return { input, passages, finish, refuse };
  }

  /** Retrieves, gates, generates and checks: the whole answer path, for one project. */
  async function answer(project: ProjectRecord, question: string, topK: number, filter?: SearchFilter, requestId = '') {
    const prepared = await prepare(project, question, topK, filter, requestId);
    if ('refusal' in prepared) return prepared.refusal as ChatAnswer;
    const generated = await ctx.generator.generate(prepared.input);
    return prepared.finish(checkCitations(generated.text, prepared.passages), generated.units);
  }

  /**
   * The same answer path, streamed: each sentence is sent once it is complete and its citations
   * hold (renumbered as in the whole answer), so text that fails the checks is never sent; a
   * refusal sends its message as the one piece. Returns the whole answer, whose `answer` is the
   * pieces joined. Retrieval and the gate run before the first piece: their errors are plain
   * errors, not a broken stream.
   */
  async function answerStream(
    project: ProjectRecord,
    question: string,
    topK: number,
    filter: SearchFilter | undefined,
    requestId: string,
  ): Promise<AnswerStream> {
    const prepared = await prepare(project, question, topK, filter, requestId);
    if ('refusal' in prepared) {
      const refusal = prepared.refusal as ChatAnswer;
      return (async function* () {
        yield refusal.answer;
        return refusal;
      })();
    }
    const generator = ctx.generator;
    const pieces: AsyncIterable<GeneratedPiece> = generator.stream
      ? generator.stream(prepared.input)
      : (async function* () {
          const generated = await generator.generate(prepared.input);
          yield { text: generated.text };
          yield { units: generated.units };
        })();
    return (async function* () {
      const checked = new CitationStream(prepared.passages);
      let units = 0;
      let withheld = false;
      for await (const piece of pieces) {
        if ('text' in piece) yield* checked.push(piece.text);
        else {
          units += piece.units;
          withheld ||= piece.withheld === true;
        }
      }
      yield* checked.end();
      if (withheld) {
        const refusal = await prepared.refuse(units);
        if (checked.answer === '') yield refusal.answer;
        return refusal;
      }
      const whole = await prepared.finish({ answer: checked.answer, used: checked.used }, units);
      // nothing held: the refusal's message is the one piece
      if (whole.refusal) yield whole.answer;
      return whole;
    })();
  }

  return {
    answer,
    answerStream,

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

    /** chat, streamed (see answerStream): the rate limit and retrieval are settled before it returns */
    async chatStream({ project }: ProjectAccess<'chat'>, body: ChatRequest, requestId: string) {
      await checkRate(ctx, project, 'chat');
      return answerStream(project, questionOf(body), body.top_k ?? 8, body.filter, requestId);
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
