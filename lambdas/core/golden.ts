import type { ChatAnswer, GoldenQuestion } from './model';

const squash = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether `text` holds `expected` ignoring case and whitespace, on word boundaries: "latest" is
 * not found in "non-latest" (a hyphen before binds a prefix) or "latestversion", "v2" not in "v20";
 * "30" is found in "30-day". An expected answer that starts or ends with punctuation ("$30", "-z")
 * needs no boundary on that side.
 */
export function containsPhrase(text: string, expected: string): boolean {
  const phrase = squash(expected);
  if (!phrase) return true;
  const word = /[\p{L}\p{N}_]/u;
  const before = word.test(phrase[0]) ? '(?<![\\p{L}\\p{N}_-])' : '';
  const after = word.test(phrase[phrase.length - 1]) ? '(?![\\p{L}\\p{N}_])' : '';
  return new RegExp(`${before}${escapeRegExp(phrase)}${after}`, 'u').test(squash(text));
}

/**
 * Whether an answer passes a golden question (API.md): a must-refuse question passes on a
 * refusal; any other must be grounded, cite one of the expected documents when some are given,
 * and contain the expected answer when one is given (ignoring case and whitespace, on word boundaries).
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
  if (q.expected_answer && !containsPhrase(a.answer, q.expected_answer)) {
    reasons.push('does not contain the expected answer');
  }
  return { passed: reasons.length === 0, reasons };
}
