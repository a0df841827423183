/**
 * What a unit of a passage looks like as an answer to a question, as numbers (each 0..1): the
 * extractive answerer scores a unit by the weighted sum of these (weights in answer-weights.ts,
 * learned by scripts/train-answer.ts).
 */
import type { AnswerUnit } from './answer-units';
import { holdsKind, holdsName, needsValue, type QuestionAnalysis, statesDefault } from './question';
import type { Passage } from './search-types';
import { stem, stemSet, termShare, tokenize } from './text';

export const FEATURES = [
  /** IDF-weighted share of the question's terms in the unit itself */
  'own',
  /** the same share in the unit with its context, section and document title */
  'coverage',
  /** the unit holds an answer of the kind asked (a duration, a number, a date, a name …) */
  'kind',
  /** a value is asked and the unit has none */
  'kindMissing',
  /** the unit states the default asked about (2: sets one, 1: mentions one; halved from the next sentence) */
  'default',
  /** the noun the question asks a value of stands beside a value */
  'focus',
  /** a value the question does not already hold: a number, an identifier, a quoted word */
  'value',
  /** an option or definition entry */
  'entry',
  /** a code block, code not asked for */
  'code',
  /** a code block, code asked for */
  'codeAsked',
  /** a row of a table or a line of a list */
  'row',
  /** how far past 150 characters (1 at 400) */
  'length',
  /** a sentence of fewer than four words */
  'short',
  /** 1 / the rank of the unit's document in the search */
  'doc',
  /** share of the document title's words the question names */
  'title',
  /** two sentences quoted as one unit */
  'pair',
  /** a yes/no question and a unit that says yes or no (supported, not, only, cannot) */
  'polarity',
  /** the unit repeats the question's words and adds nothing (a heading, a restatement) */
  'echo',
  /** the question writes out a code name (`-d`, `console.time()`, `FC_DEBUG`) that neither the unit nor its context, section or title holds */
  'nameMissing',
  /** the weighted share of the question's heaviest term that neither the unit nor its context, section or title holds */
  'gap',
  /** the weighted share of the question's terms in the unit's first four words: what the unit is about (an entry's term, a sentence's subject) */
  'lead',
  /** always 1 */
  'bias',
] as const;

export type FeatureName = (typeof FEATURES)[number];
export type Features = Record<FeatureName, number>;

const POLARITY =
  /\b(?:not|no|never|cannot|can't|don't|doesn't|isn't|aren't|won't|unsupported|supported|supports|only|must|always|allowed|accepts?|rely)\b/i;

export function unitFeatures(
  unit: AnswerUnit,
  passage: Passage,
  docRank: number,
  q: QuestionAnalysis,
  weights: Record<string, number>,
  pair = false,
): Features {
  const total = Object.values(weights).reduce((a, b) => a + b, 0) || 1;
  const stems = stemSet(unit.text);
  const own = termShare(stems, weights, total);
  const around = stemSet(`${unit.text} ${unit.context} ${passage.section ?? ''} ${passage.title ?? ''}`);
  const withNext = unit.next ? `${unit.text} ${unit.next.text}` : unit.text;
  const typed = q.kind !== 'other' && q.kind !== 'definition';
  // a man page's SYNOPSIS is a grammar listing, read as code
  const code = unit.kind === 'code' || /(?:^|> )SYNOPSIS$/i.test(passage.section ?? '');
  // a changelog entry's version is its section's ("Noteworthy changes in release 3.8")
  const kindText = q.kind === 'version' ? `${unit.text} ${versionOf(passage.section, passage.title) ?? ''}` : unit.text;
  let novel = 0;
  for (const s of stems) if (!(s in weights)) novel++;
  return {
    own,
    coverage: termShare(around, weights, total),
    kind: typed && holdsKind(q.kind, kindText) ? 1 : 0,
    kindMissing: needsValue(q.kind) && !holdsKind(q.kind, kindText) ? 1 : 0,
    default: q.asksDefault ? Math.max(statesDefault(unit.text), statesDefault(withNext) / 2) / 2 : 0,
    focus: q.focus && focusNearValue(unit.text, q.focus) ? 1 : 0,
    value: q.kind !== 'reason' && q.kind !== 'definition' && newValues(unit.text, weights) ? 1 : 0,
    entry: unit.kind === 'entry' ? 1 : 0,
    code: code && !q.asksCode ? 1 : 0,
    codeAsked: code && q.asksCode ? 1 : 0,
    row: unit.kind === 'row' ? 1 : 0,
    length: Math.max(0, Math.min(1, (unit.text.length - 150) / 250)),
    short: unit.kind === 'sentence' && unit.text.split(/\s+/).length < 4 ? 1 : 0,
    doc: 1 / (docRank + 1),
    title: titleMatch(passage.title, weights),
    pair: pair ? 1 : 0,
    polarity: q.kind === 'yesno' && POLARITY.test(unit.text) ? 1 : 0,
    echo: novel <= 1 ? 1 : 0,
    nameMissing:
      q.names.length > 0 &&
      !holdsName(q.names, `${unit.text} ${unit.context} ${passage.section ?? ''} ${passage.title ?? ''}`)
        ? 1
        : 0,
    gap: Object.entries(weights).reduce((m, [t, w]) => (around.has(t) ? m : Math.max(m, w / total)), 0),
    lead: termShare(stemSet(unit.text.split(/\s+/).slice(0, 4).join(' ')), weights, total),
    bias: 1,
  };
}

/** Whether text holds a value-like token (a number, an identifier, a quoted word) the question lacks. */
export function newValues(text: string, weights: Record<string, number>): boolean {
  for (const m of text.matchAll(
    /[\w.:/@-]*\d[\w.:/@-]*|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\b[a-z]+[A-Z]\w*|--?[a-z][\w-]+|'[^'\s]{1,30}'|`[^`]{1,40}`/g,
  )) {
    const stems = stemSet(m[0]);
    if (stems.size === 0 || [...stems].some((s) => !(s in weights))) return true;
  }
  return false;
}

/**
 * Whether the text names the focus of the question beside a value: "shows 10 *lines*", "the
 * default *strategy* ort", "*label* {string} Default: 'default'", "*scale* is set to 20".
 */
export function focusNearValue(text: string, focus: string): boolean {
  const target = stem(focus.toLowerCase());
  const tokens = text.split(/\s+/);
  for (let i = 0; i < tokens.length; i++) {
    const words = tokenize(tokens[i]);
    if (!words.some((w) => stem(w) === target)) continue;
    for (let j = Math.max(0, i - 3); j <= Math.min(tokens.length - 1, i + 4); j++)
      if (j !== i && VALUE_TOKEN.test(tokens[j])) return true;
  }
  return false;
}

const VALUE_TOKEN =
  /\d|^['"`].+['"`][.,;:)]*$|^[A-Z][A-Z0-9_]{1,}[.,;:)]*$|^--?[a-z]|^\/[\w/.-]+|^[a-z]+[A-Z]\w*|^(?:true|false|none|infinity|unlimited)\b/i;

/** Words of document titles that name no subject ("nodejs-path-README.md" → nodejs, path). */
const TITLE_NOISE = new Set(['readm', 'md', 'txt', 'manual', 'doc', 'docs', 'guid', 'user', 'refer']);

/** The share of a title's words that the question names: "gdb-README" for a question about GDB. */
export function titleMatch(title: string | null, weights: Record<string, number>): number {
  const words = [...stemSet((title ?? '').replace(/[-_.]/g, ' '))].filter(
    (w) => !TITLE_NOISE.has(w) && !/^\d+$/.test(w),
  );
  if (words.length === 0) return 0;
  return words.filter((w) => w in weights).length / words.length;
}

/**
 * The part of a changelog's section path that names a release: "Noteworthy changes in release 3.8
 * (2021-08-01)". Only in a changelog (a title such as NEWS, CHANGELOG, HISTORY, release notes, or a
 * section that says "changes" or carries a date): "The Expat XML Parser Release 2.5.0" is the
 * version of a manual, not of the entry quoted from it.
 */
export function versionOf(section: string | null, title: string | null = null): string | null {
  const changelog = /\b(?:news|changelog|changes|history|release[- ]notes)\b/i.test(title ?? '');
  for (const part of (section ?? '').split(' > '))
    if (
      part.length <= 100 &&
      /\b(?:release|version|v)?\s*\d+\.\d+/i.test(part) &&
      (changelog || /\bchanges?\b|\d{4}-\d{2}-\d{2}/i.test(part))
    )
      return part;
  return null;
}
