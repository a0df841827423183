/**
 * The extractive answer: the one unit (an entry, a row, a sentence or two) of the passages that
 * answers the question, quoted verbatim with its `[n]`, or nothing when no unit does — with the
 * extractive answerer this is the judge of answerability. A unit answers when
 * - it and what surrounds it (its entry's term, its FAQ question, its section, its document's
 *   title) hold the question's terms, the rare ones weighing most;
 * - it holds an answer of the kind asked for: a duration for "how long", a number for "how
 *   many", a date for "when", a name for "which option", a default for "if I don't set";
 * - it reads as an answer: not a question, not a code listing (unless code is asked for), not a
 *   run of markup.
 * The search engine's order counts a little: the first document is usually the one that answers.
 */
import type { GeneratorInput, Passage } from '../ports';
import { type AnswerUnit, answerUnits } from './answer-units';
import { analyzeQuestion, holdsKind, needsValue, type QuestionAnalysis, statesDefault } from './question';
import { splitSentences, stemSet } from './text';

export interface AnswerOptions {
  /** the weighted share of the question's terms the best unit and its context must hold */
  minCoverage: number;
  /** the score the best unit must reach */
  minScore: number;
  /** a second unit is added when it scores at least this share of the first */
  secondShare: number;
  /** no answer grows past this many characters (a longer unit is cut around its match) */
  maxChars: number;
}

export const DEFAULT_ANSWER: AnswerOptions = { minCoverage: 0.4, minScore: 0.85, secondShare: 0.85, maxChars: 420 };

/** What quoting two sentences instead of one costs a candidate: one is better when it does as well. */
const PAIR_COST = 0.06;

/**
 * What each feature adds to a unit's score (chosen on docs-qa dev): the share of the question the
 * unit holds itself (`own`; the rest of the weight goes to the share with its surroundings), an
 * answer of the kind asked, a default stated, a value the question does not already hold, the
 * first document's lead, and what quoting two sentences costs.
 */
const T = { own: 0.4, kind: 0.2, def: 0.2, value: 0.1, doc: 0.2, pair: PAIR_COST };

interface Scored {
  unit: AnswerUnit;
  passage: Passage;
  score: number;
  coverage: number;
}

/** Weighted share of the question's terms in a set of stems. */
function share(stems: Set<string>, weights: Record<string, number>, total: number): number {
  let hit = 0;
  for (const [term, w] of Object.entries(weights)) if (stems.has(term)) hit += w;
  return hit / total;
}

/** The score of one unit, and the share of the question it and its surroundings hold. */
export function scoreUnit(
  unit: AnswerUnit,
  passage: Passage,
  docRank: number,
  q: QuestionAnalysis,
  weights: Record<string, number>,
): { score: number; coverage: number } {
  const total = Object.values(weights).reduce((a, b) => a + b, 0) || 1;
  const own = share(stemSet(unit.text), weights, total);
  const around = stemSet(`${unit.text} ${unit.context} ${passage.section ?? ''} ${passage.title ?? ''}`);
  const coverage = share(around, weights, total);
  let score = T.own * own + (1 - T.own) * coverage;
  const withNext = unit.next ? `${unit.text} ${unit.next.text}` : unit.text;
  if (holdsKind(q.kind, unit.text)) score += q.kind === 'other' || q.kind === 'definition' ? 0 : T.kind;
  else if (needsValue(q.kind)) score -= holdsKind(q.kind, withNext) ? 0.1 : 0.35;
  if (q.asksDefault) score += statesDefault(unit.text) ? T.def : statesDefault(withNext) ? T.def / 2 : 0;
  // something the question does not already say: a value, a name, a path
  if (q.kind !== 'reason' && q.kind !== 'definition' && newValues(unit.text, weights)) score += T.value;
  if (unit.kind === 'entry') score += 0.05;
  if (unit.kind === 'code') score -= q.asksCode ? 0.1 : 0.5;
  if (unit.text.length > 400) score -= 0.1;
  if (unit.text.split(/\s+/).length < 4 && unit.kind === 'sentence') score -= 0.15;
  score += T.doc / (docRank + 1);
  return { score, coverage };
}

/** Whether text holds a value-like token (a number, an identifier, a quoted word) the question lacks. */
function newValues(text: string, weights: Record<string, number>): boolean {
  for (const m of text.matchAll(/[\w.:/@-]*\d[\w.:/@-]*|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\b[a-z]+[A-Z]\w*|--?[a-z][\w-]+|'[^'\s]{1,30}'|`[^`]{1,40}`/g)) {
    const stems = stemSet(m[0]);
    if (stems.size === 0 || [...stems].some((s) => !(s in weights))) return true;
  }
  return false;
}

/** The answer, or '' when no unit of the passages answers the question. */
export function composeAnswer(input: GeneratorInput, opts: AnswerOptions = DEFAULT_ANSWER): string {
  const q = analyzeQuestion(input.question);
  const docs: string[] = [];
  const scored: Scored[] = [];
  for (const passage of input.passages) {
    const doc = passage.title ?? `#${passage.index}`;
    if (!docs.includes(doc)) docs.push(doc);
    for (const unit of answerUnits(passage.text)) {
      const s = scoreUnit(unit, passage, docs.indexOf(doc), q, input.termWeights);
      scored.push({ unit, passage, ...s });
      // a sentence and the one after it, as one unit: "Adjust the maximum depth … The default is 3000."
      const next = unit.next;
      if (next && unit.text.length + next.text.length <= opts.maxChars - 60) {
        const pair: AnswerUnit = { ...unit, text: `${unit.text} ${next.text}`, next: next.next };
        const p = scoreUnit(pair, passage, docs.indexOf(doc), q, input.termWeights);
        scored.push({ unit: pair, passage, score: p.score - T.pair, coverage: p.coverage });
      }
    }
  }
  scored.sort((a, b) => b.score - a.score);
  const best = scored[0];
  if (!best || best.coverage < opts.minCoverage || best.score < opts.minScore) return '';
  const chosen = [best];
  // a value asked for that sits in the next sentence of the same block ("… Defaults to 15min.")
  const next = best.unit.next;
  const wantsMore =
    next && ((needsValue(q.kind) && !holdsKind(q.kind, best.unit.text) && holdsKind(q.kind, next.text)) ||
      (q.asksDefault && !statesDefault(best.unit.text) && statesDefault(next.text)));
  if (next && wantsMore) chosen.push({ ...best, unit: next });
  else {
    const second = scored.find(
      (s) =>
        s !== best &&
        s.passage.title === best.passage.title &&
        s.score >= best.score * opts.secondShare &&
        !s.unit.text.includes(best.unit.text) &&
        !best.unit.text.includes(s.unit.text) &&
        s.unit.text.length + best.unit.text.length <= opts.maxChars,
    );
    if (second) chosen.push(second);
  }
  return chosen
    .flatMap((c) => quote(c.unit.text, input.termWeights, opts.maxChars).map((s) => withMarker(s, c.passage.index)))
    .join(' ');
}

/**
 * The sentences of a unit to quote, at most `max` characters: a longer one is cut to the window
 * around the question's terms, the cut marked with "…".
 */
function quote(text: string, weights: Record<string, number>, max: number): string[] {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean.length <= max) return splitSentences(clean);
  const words = clean.split(' ');
  let bestStart = 0;
  let bestHits = -1;
  const hits = words.map((w) => {
    let h = 0;
    for (const s of stemSet(w)) h += weights[s] ?? 0;
    return h;
  });
  for (let start = 0; start < words.length; start++) {
    let len = 0;
    let h = 0;
    for (let i = start; i < words.length && len + words[i].length + 1 <= max - 2; i++) {
      len += words[i].length + 1;
      h += hits[i];
    }
    if (h > bestHits) {
      bestHits = h;
      bestStart = start;
    }
  }
  const out: string[] = [];
  let len = 0;
  for (let i = bestStart; i < words.length && len + words[i].length + 1 <= max - 2; i++) {
    out.push(words[i]);
    len += words[i].length + 1;
  }
  const cut = out.join(' ');
  return [`${bestStart > 0 ? '…' : ''}${cut}${bestStart + out.length < words.length ? '…' : ''}`];
}

/** "We refund within 30 days." → "We refund within 30 days [1]." */
export function withMarker(sentence: string, index: number): string {
  const m = /^(.*?)([.!?。]["'”)\]]*)?$/s.exec(sentence.trim());
  const body = m?.[1] ?? sentence;
  const end = m?.[2] ?? '.';
  return `${body} [${index}]${end}`;
}
