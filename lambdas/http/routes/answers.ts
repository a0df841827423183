import { createHash } from 'node:crypto';
import type { ChatAnswer } from '../../core/model';
import { type AnswerStream, questionOf } from '../../service/answers';
import { ok } from '../reply';
import { declared } from '../route-table';
import { schemas } from '../schemas';
import type { Route } from '../types';
import { jsonBody, validate } from '../validate';

/**
 * What the audit keeps of an answer: a hash of the question (never its text), the cited
 * documents, grounded or refused, and latency.
 */
export function answerAudit(question: string, answer: ChatAnswer) {
  return {
    question_sha256: createHash('sha256').update(question, 'utf8').digest('hex'),
    cited_document_ids: [...new Set(answer.citations.map((c) => c.document_id))],
    grounded: answer.grounded,
    refused: answer.refusal !== null,
    latency_ms: answer.latency_ms,
  };
}

/** One Server-Sent Event. */
export const sseEvent = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * A streamed answer as Server-Sent Events: a `delta` for each piece as it is produced, then `done`
 * with the whole answer; `audit` is filled in when the answer is known.
 */
async function* chatEvents(answer: AnswerStream, question: string, audit: Record<string, unknown>) {
  let next = await answer.next();
  while (!next.done) {
    yield sseEvent('delta', { text: next.value });
    next = await answer.next();
  }
  Object.assign(audit, answerAudit(question, next.value));
  yield sseEvent('done', next.value);
}

export const answerRoutes: Route[] = [
  {
    ...declared('retrieve'),
    handle: async (r) =>
      ok(await r.services.answers.retrieve(r.project('retrieve'), validate(schemas.retrieve, jsonBody(r.body)))),
  },
  {
    ...declared('chat'),
    handle: async (r) => {
      const body = validate(schemas.chat, jsonBody(r.body));
      if (body.stream) {
        const answer = await r.services.answers.chatStream(r.project('chat'), body, r.requestId);
        const audit: Record<string, unknown> = {};
        return {
          status: 200,
          stream: {
            contentType: 'text/event-stream; charset=utf-8',
            chunks: chatEvents(answer, questionOf(body), audit),
            onError: (error) => sseEvent('error', { error }),
          },
          headers: { 'cache-control': 'no-cache' },
          audit,
        };
      }
      const answer = await r.services.answers.chat(r.project('chat'), body, r.requestId);
      return { ...ok(answer), audit: answerAudit(questionOf(body), answer) };
    },
  },
];
