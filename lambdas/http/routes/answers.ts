import { createHash } from 'node:crypto';
import type { ChatAnswer } from '../../core/model';
import { splitSentences } from '../../core/text';
import { questionOf } from '../../service/answers';
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

/** A chat answer as Server-Sent Events: the answer in `delta` pieces, then `done` with the whole. */
export function toEventStream(answer: ChatAnswer): string {
  const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  const pieces = splitSentences(answer.answer).map((s, i) => (i === 0 ? s : ` ${s}`));
  return pieces.map((text) => event('delta', { text })).join('') + event('done', answer);
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
      const answer = await r.services.answers.chat(r.project('chat'), body, r.requestId);
      const audit = answerAudit(questionOf(body), answer);
      if (body.stream) {
        return {
          status: 200,
          raw: { body: toEventStream(answer), contentType: 'text/event-stream; charset=utf-8' },
          headers: { 'cache-control': 'no-cache' },
          audit,
        };
      }
      return { ...ok(answer), audit };
    },
  },
];
