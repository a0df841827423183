import type { ChatAnswer, GoldenQuestion } from './model';

const squash = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();

/**
 * Whether an answer passes a golden question (API.md): a must-refuse question passes on a
 * refusal; any other must be grounded, cite one of the expected documents when some are given,
 * and contain the expected answer when one is given (ignoring case and whitespace).
 */
export function judgeGolden(q: GoldenQuestion, a: Pick<ChatAnswer, 'answer' | 'grounded' | 'citations' | 'refusal'>) {
  const reasons: string[] = [];
  if (q.must_refuse) {
    if (a.refusal === null) reasons.push('expected a refusal, got an answer');
    return { passed: reasons.length === 0, reasons };
  }
  if (!a.grounded || a.refusal !== null) {
    reasons.push('expected a grounded answer, got a refusal');
    return { passed: false, reasons };
  }
  if (q.expected_document_ids.length > 0) {
    const cited = new Set(a.citations.map((c) => c.document_id));
    if (!q.expected_document_ids.some((id) => cited.has(id))) {
      reasons.push('cites none of the expected documents');
    }
  }
  if (q.expected_answer && !squash(a.answer).includes(squash(q.expected_answer))) {
    reasons.push('does not contain the expected answer');
  }
  return { passed: reasons.length === 0, reasons };
}
