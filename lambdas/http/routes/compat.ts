import { Invalid } from '../../core/errors';
import type { ChatAnswer } from '../../core/model';
import type { AnswerStream } from '../../service/answers';
import { ok } from '../reply';
import { declared } from '../route-table';
import { chatCompletions } from '../schemas';
import type { Route } from '../types';
import { jsonBody, validate } from '../validate';
import { answerAudit } from './answers';

/** The model name answered when a request names none. */
const DEFAULT_MODEL = 'oprag';

type Message = { role: string; content?: string | { type: string; text?: string }[] | null };

/** The question of a Chat Completions request: the text of its last user message. */
export function completionQuestion(messages: Message[]): string {
  const last = [...messages].reverse().find((m) => m.role === 'user');
  const content = last?.content;
  const text = (
    typeof content === 'string'
      ? content
      : (content ?? []).map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('')
  ).trim();
  if (!text) throw new Invalid('messages: send a user message with text');
  if (text.length > 4000) throw new Invalid('messages: the last user message must be 1 to 4000 characters');
  return text;
}

/** What Oprag adds beside `choices`: whether the answer is grounded, its citations, the refusal. */
function opragOf(answer: ChatAnswer) {
  return {
    grounded: answer.grounded,
    citations: answer.citations,
    refusal: answer.refusal,
    source_label: answer.source_label,
    request_id: answer.request_id,
  };
}

interface Meta {
  id: string;
  created: number;
  model: string;
}

/** A chat answer as an OpenAI `chat.completion`. */
export function toCompletion(answer: ChatAnswer, meta: Meta) {
  return {
    ...meta,
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: answer.answer, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    oprag: opragOf(answer),
  };
}

const data = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

/**
 * A streamed answer as OpenAI's `chat.completion.chunk` events: the role, a chunk per piece as it
 * is produced, a last chunk with `finish_reason` and the `oprag` object, then `data: [DONE]`.
 */
async function* completionChunks(answer: AnswerStream, meta: Meta, question: string, audit: Record<string, unknown>) {
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
    data({
      ...meta,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...extra,
    });
  yield chunk({ role: 'assistant', content: '' }, null);
  let next = await answer.next();
  while (!next.done) {
    yield chunk({ content: next.value }, null);
    next = await answer.next();
  }
  Object.assign(audit, answerAudit(question, next.value));
  yield chunk({}, 'stop', { oprag: opragOf(next.value) });
  yield 'data: [DONE]\n\n';
}

export const compatRoutes: Route[] = [
  {
    ...declared('chat.completions'),
    handle: async (r) => {
      const body = validate(chatCompletions, jsonBody(r.body));
      const question = completionQuestion(body.messages as Message[]);
      const meta: Meta = {
        id: `chatcmpl-${r.requestId}`,
        created: Math.floor(r.services.answers.now().getTime() / 1000),
        model: body.model ?? DEFAULT_MODEL,
      };
      if (body.stream) {
        const answer = await r.services.answers.chatStream(r.project('chat'), { question }, r.requestId);
        const audit: Record<string, unknown> = {};
        return {
          status: 200,
          stream: {
            contentType: 'text/event-stream; charset=utf-8',
            chunks: completionChunks(answer, meta, question, audit),
            onError: (error) => `${data({ error })}data: [DONE]\n\n`,
          },
          headers: { 'cache-control': 'no-cache' },
          audit,
        };
      }
      const answer = await r.services.answers.chat(r.project('chat'), { question }, r.requestId);
      return { ...ok(toCompletion(answer, meta)), audit: answerAudit(question, answer) };
    },
  },
];
