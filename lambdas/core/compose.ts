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
import { composeExtractive, withMarker } from './answer';
import { FEATURES, type FeatureName, type Features, titleMatch, unitFeatures, versionOf } from './answer-features';
import { type AnswerUnit, answerUnits } from './answer-units';
import { ANSWER_MIN_SCORE, ANSWER_WEIGHTS } from './answer-weights';
import {
  analyzeQuestion,
  defines,
  holdsKind,
  isQuestion,
  needsValue,
  type QuestionAnalysis,
  statesDefault,
} from './question';
import type { GeneratorInput, Passage } from './search-types';
import { splitSentences, stemSet } from './text';

export interface AnswerOptions {
  /** the weighted share of the question's terms the best unit and its context must hold */
  minCoverage: number;
  /** the score the best unit must reach */
  minScore: number;
  /** a second unit is added when its score is at most this far below the first's */
  secondMargin: number;
  /** no answer grows past this many characters (a longer unit is cut around its match) */
  maxChars: number;
  /** how far above `minScore` the best unit must score when the question names a word no document holds */
  unknownNameMargin: number;
  /** the features' weights (answer-weights.ts unless given: scripts/train-answer.ts tries others) */
  weights?: Record<FeatureName, number>;
}

export const DEFAULT_ANSWER: AnswerOptions = {
  minCoverage: 0.4,
  minScore: ANSWER_MIN_SCORE,
  secondMargin: 1.5,
  maxChars: 550,
  unknownNameMargin: 4,
};

/** A unit of the passages that may be quoted, with its features and score. */
export interface Candidate {
  unit: AnswerUnit;
  passage: Passage;
  features: Features;
  score: number;
  coverage: number;
}

function score(f: Features, weights: Record<FeatureName, number>): number {
  let s = 0;
  for (const name of FEATURES) s += weights[name] * f[name];
  return s;
}

/**
 * Every unit of the passages that may be quoted — and each sentence with the one after it, as
 * one unit ("Adjust the maximum depth … The default is 3000.") — best first.
 */
export function answerCandidates(
  input: GeneratorInput,
  q: QuestionAnalysis = analyzeQuestion(input.question),
  maxChars = DEFAULT_ANSWER.maxChars,
  weights: Record<FeatureName, number> = ANSWER_WEIGHTS,
): Candidate[] {
  const docs: string[] = [];
  const out: Candidate[] = [];
  const add = (unit: AnswerUnit, passage: Passage, docRank: number, pair: boolean) => {
    const features = unitFeatures(unit, passage, docRank, q, input.termWeights, pair);
    out.push({ unit, passage, features, score: score(features, weights), coverage: features.coverage });
  };
  for (const passage of input.passages) {
    const doc = passage.title ?? `#${passage.index}`;
    if (!docs.includes(doc)) docs.push(doc);
    const rank = docs.indexOf(doc);
    for (const unit of answerUnits(passage.text)) {
      add(unit, passage, rank, false);
      const next = unit.next;
      if (next && unit.text.length + next.text.length <= maxChars - 60)
        add({ ...unit, text: `${unit.text} ${next.text}`, next: next.next }, passage, rank, true);
    }
  }
  return out.sort((x, y) => y.score - x.score);
}

/** Text that documents a program: an option, a `KEY=` setting, a CONSTANT_NAME, a camelCase name, a call, code in backticks. */
const PROGRAM_TEXT =
  /(?:^|\s)--?[a-z][\w-]*|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\b[a-z]+[A-Z]\w*\b|`[^`]+`|\b\w+\(\)|\b[A-Za-z]\w*=/;

/** A `field: value; field: value` record: a CSV row or a JSON object, read as one line. */
const RECORD = /^(?:[^:;]{1,40}: [^;]*; ){2,}[^:;]{1,40}: /;

/**
 * Whether a record answers the question: one of its fields is named by the question (its name
 * shares a word with it) and holds a value the question does not already state. True for a unit
 * that is not a record.
 */
export function recordAnswers(text: string, question: string, weights: Record<string, number>): boolean {
  if (!RECORD.test(text)) return true;
  const asked = question.toLowerCase();
  for (const field of text.split(/;\s*/)) {
    const at = field.indexOf(': ');
    if (at < 0) continue;
    const name = field.slice(0, at);
    const value = field.slice(at + 2).trim();
    if (![...stemSet(name)].some((s) => s in weights)) continue;
    if (value && !asked.includes(value.toLowerCase())) return true;
  }
  return false;
}

/** Whether a unit holds a term of the question that another lacks: it completes the answer. */
function addsTerms(text: string, other: string, weights: Record<string, number>): boolean {
  const have = stemSet(other);
  for (const s of stemSet(text)) if (s in weights && !have.has(s)) return true;
  return false;
}

/**
 * X's own definition, for "What is X?": a sentence of one of the first two documents that says
 * what X is ("xz is a general-purpose data compression tool", "dd - convert and copy a file"), or
 * else the first sentence of prose that opens the document named after X.
 */
function definitionOf(subject: string, scored: Candidate[], weights: Record<string, number>): Candidate | undefined {
  const prose = (c: Candidate) => c.unit.kind !== 'code' && !c.features.pair;
  const stated = scored.find((c) => c.features.doc >= 0.5 && prose(c) && defines(subject, c.unit.text));
  if (stated) return stated;
  const named = scored.filter(
    (c) =>
      c.passage.ordinal === 0 && titleMatch(c.passage.title, weights) > 0 && prose(c) && c.unit.kind === 'sentence',
  );
  return named
    .filter((c) => c.unit.text.split(/\s+/).length >= 4 && (c.unit.text.match(/\b[a-z]{3,}\b/g) ?? []).length >= 2)
    .sort((a, b) => a.unit.position - b.unit.position)[0];
}

/** The answer, or '' when no unit of the passages answers the question. */
export function composeAnswer(input: GeneratorInput, opts: AnswerOptions = DEFAULT_ANSWER): string {
  const q = analyzeQuestion(input.question);
  const scored = answerCandidates(input, q, opts.maxChars, opts.weights);
  // a question that names something the documents never do is most often about something else:
  // only a unit that answers it far above the threshold may still do so
  const unknown = (input.unknownNames?.length ?? 0) > 0;
  if (unknown && (scored[0]?.score ?? 0) < opts.minScore + opts.unknownNameMargin) return '';
  // a value asked for (how long, how many, when) that the best unit and the sentence after it lack
  const valueless = (c: Candidate) =>
    needsValue(q.kind) && !holdsKind(q.kind, c.unit.next ? `${c.unit.text} ${c.unit.next.text}` : c.unit.text);
  // "What is X?": X's own definition, where a document of the first two says what X is
  const definition = q.subject ? definitionOf(q.subject, scored, input.termWeights) : undefined;
  if (definition)
    return quote(definition.unit.text, input.termWeights, opts.maxChars)
      .map((s) => withMarker(s, definition.passage.index))
      .join(' ');
  const best = scored[0];
  if (!best || best.coverage < opts.minCoverage || best.score < opts.minScore || valueless(best)) return '';
  // "how do I …" in a program's documentation is done with an option, a setting or a command: a
  // unit of such a passage that names none does not say how (a help centre's prose is not held to it)
  if (q.kind === 'procedure' && PROGRAM_TEXT.test(best.passage.text) && !holdsKind('identifier', best.unit.text))
    return '';
  // a value asked of a record that only names what the question names ("version: 14; codename:
  // Forky; created: …" for "when is Forky scheduled to be released?"): no field holds it
  if ((needsValue(q.kind) || q.kind === 'version') && !recordAnswers(best.unit.text, input.question, input.termWeights))
    return '';
  const chosen = [best];
  // a value asked for that sits in the next sentence of the same block ("… Defaults to 15min.")
  const next = best.unit.next;
  const wantsMore =
    next &&
    ((needsValue(q.kind) && !holdsKind(q.kind, best.unit.text) && holdsKind(q.kind, next.text)) ||
      (q.asksDefault && !statesDefault(best.unit.text) && statesDefault(next.text)));
  if (next && wantsMore) chosen.push({ ...best, unit: next });
  else {
    const second = scored.find(
      (s) =>
        s !== best &&
        addsTerms(s.unit.text, best.unit.text, input.termWeights) &&
        s.score >= best.score - opts.secondMargin &&
        !s.unit.text.includes(best.unit.text) &&
        !best.unit.text.includes(s.unit.text) &&
        s.unit.text.length + best.unit.text.length <= opts.maxChars,
    );
    if (second) chosen.push(second);
  }
  // a changelog entry answers "which release" with the release it is listed under
  const release =
    q.kind === 'version' && !holdsKind('version', best.unit.text)
      ? versionOf(best.passage.section, best.passage.title)
      : null;
  // a sentence is quoted once, even when two chosen units share it
  const seen = new Set<string>();
  return chosen
    .flatMap((c) => quote(c.unit.text, input.termWeights, opts.maxChars).map((s) => ({ s, index: c.passage.index })))
    .filter(({ s }) => !seen.has(s) && Boolean(seen.add(s)))
    .map(({ s, index }, i) => withMarker(i === 0 && release ? `${release}: ${s}` : s, index))
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

/**
 * The embedded default's answer: a question gets the unit that answers it, or '' (declined); a
 * claim to check gets the sentences that carry the most of its terms.
 */
export function extractiveAnswer(input: GeneratorInput): string {
  return isQuestion(input.question) ? composeAnswer(input) : composeExtractive(input);
}
