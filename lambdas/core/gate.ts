import type { QueryTerm, SearchHit } from './search-types';
import { informativeWeights, type TermStats, termWeight } from './term-weights';
import { GENERIC_WORDS, isCodeLike, STOPWORDS, splitSentences, stem, stemSet, tokenize } from './text';

export interface GateOptions {
  /** the share of the question's content terms the best passage must contain */
  minCoverage: number;
  /** how many of the top hits are looked at */
  consider: number;
  /**
   * the evidence score (0..1, see `passageEvidence`) the best passage must reach; 0 leaves the
   * decision to coverage alone
   */
  minEvidence: number;
  /** how much each feature counts in the evidence score */
  weights: EvidenceWeights;
}

export interface EvidenceWeights {
  /** IDF-weighted share of the question's terms in the passage */
  coverage: number;
  /** the same share, in the passage's best single sentence (or its title) */
  sentence: number;
  /** share of the question's adjacent word pairs that the passage also has side by side */
  phrase: number;
  /** how far the first hit stands ahead of the next document's: 1 − score₂/score₁ (first hit only) */
  margin: number;
}

export const DEFAULT_WEIGHTS: EvidenceWeights = { coverage: 1, sentence: 0.6, phrase: 0.25, margin: 1 };

export const DEFAULT_GATE: GateOptions = { minCoverage: 0.5, consider: 8, minEvidence: 0.46, weights: DEFAULT_WEIGHTS };

/**
 * The gate for questions (as opposed to claims to check): it only stops what is clearly off-topic,
 * and leaves the rest to a generator that judges answerability itself — the extractive answerer
 * by the kind of answer asked for, a language model by declining.
 */
export const QUESTION_GATE: GateOptions = { minCoverage: 0.3, consider: 8, minEvidence: 0, weights: DEFAULT_WEIGHTS };

export interface PassageEvidence {
  coverage: number;
  weightedCoverage: number;
  sentence: number;
  phrase: number;
  margin: number;
  /** the weighted sum of the features, divided by the sum of the weights: 0..1 */
  evidence: number;
}

export interface GateDecision {
  answerable: boolean;
  /** best share of query terms found in one passage */
  coverage: number;
  /** the evidence score of the best passage (0..1) */
  evidence: number;
  /** the hits worth showing a generator, best first */
  passages: SearchHit[];
  why: string;
}

function textOf(hit: Pick<SearchHit, 'text' | 'title' | 'section'>): string {
  return `${hit.title ?? ''} ${hit.section ?? ''} ${hit.text}`;
}

/**
 * Share of the question's terms a passage contains — generic words count for less, specific
 * words the project never mentions for more — or 0 when it lacks a code-like term the question
 * names.
 */
export function termCoverage(
  terms: QueryTerm[],
  hit: Pick<SearchHit, 'text' | 'title' | 'section'>,
  documentFrequency?: Record<string, number>,
  paraphrase = false,
): number {
  return weightedShare(terms, stemSet(textOf(hit)), (t) => termWeight(t, documentFrequency, paraphrase));
}

/** Weighted share of `terms` in a set of stems; 0 when a code-like term is missing. */
function weightedShare(terms: QueryTerm[], stems: Set<string>, weight: (t: QueryTerm, i: number) => number): number {
  if (terms.length === 0) return 0;
  let found = 0;
  let total = 0;
  for (const [i, t] of terms.entries()) {
    const w = weight(t, i);
    total += w;
    if (stems.has(t.stem)) found += w;
    else if (isCodeLike(t.token)) return 0;
  }
  return total > 0 ? found / total : 0;
}

/**
 * Content-word stems of a text in order, stopwords and generic words dropped (so "risk of stroke"
 * → risk, stroke; "how many days" → day).
 */
export function contentStems(text: string): string[] {
  return tokenize(text)
    .filter((t) => !STOPWORDS.has(t) && !GENERIC_WORDS.has(t))
    .map(stem);
}

function pairsOf(stems: string[]): Set<string> {
  const pairs = new Set<string>();
  for (let i = 0; i + 1 < stems.length; i++) if (stems[i] !== stems[i + 1]) pairs.add(`${stems[i]} ${stems[i + 1]}`);
  return pairs;
}

/**
 * Share of the question's adjacent content-word pairs ("vitamin D", "breast cancer") that the
 * passage also has side by side: a passage that shares the question's phrases, not only its
 * words, is about the same thing. 0 when the question has fewer than two content words.
 */
export function phraseAgreement(question: string, text: string): number {
  const wanted = pairsOf(contentStems(question));
  if (wanted.size === 0) return 0;
  const have = pairsOf(contentStems(text));
  let found = 0;
  for (const p of wanted) if (have.has(p)) found++;
  return found / wanted.size;
}

/**
 * The best IDF-weighted coverage of one sentence of the passage (its title counts as one):
 * evidence that sits in one sentence is worth more than the same words scattered over a page.
 */
export function sentenceCoverage(
  terms: QueryTerm[],
  hit: Pick<SearchHit, 'text' | 'title' | 'section'>,
  stats: TermStats = {},
): number {
  let best = 0;
  const weights = informativeWeights(terms, stats);
  const units = [hit.title ?? '', ...splitSentences(hit.text)].filter((s) => s.length > 0);
  for (const unit of units)
    best = Math.max(
      best,
      weightedShare(terms, stemSet(unit), (_t, i) => weights[i]),
    );
  return best;
}

/**
 * 1 − score₂/score₁, where score₂ is the best hit of another document than the first hit's: how
 * clearly the search engine prefers its first document (two chunks of one document are no rivals,
 * nor is a copy of the same text under another title).
 * A ratio, so it means the same whatever the scale of the engine's scores. A first hit with no
 * rival: 1. Scores that cannot be compared (zero, negative, out of order): 0.
 */
export function scoreMargin(hits: { score: number; document_id?: string; text?: string }[]): number {
  if (hits.length === 0) return 0;
  const first = hits[0];
  // a copy of the first hit's text under another title (help centres repeat articles) is no rival
  const copy = (h: { text?: string }) =>
    first.text !== undefined && h.text !== undefined && sameText(h.text, first.text);
  const rival = hits.find(
    (h, i) => i > 0 && (h.document_id === undefined || h.document_id !== first.document_id) && !copy(h),
  );
  if (!rival) return 1;
  const [a, b] = [first.score, rival.score];
  if (!(a > 0) || !(b >= 0) || b > a) return 0;
  return 1 - b / a;
}

/** Whether two passages say the same: nine in ten of their distinct words shared. */
export function sameText(a: string, b: string): boolean {
  if (a === b) return true;
  const x = stemSet(a);
  const y = stemSet(b);
  let shared = 0;
  for (const w of x) if (y.has(w)) shared++;
  return shared / Math.max(1, x.size + y.size - shared) >= 0.9;
}

/** The features of one passage and its evidence score. `margin` is 0 except for the first hit. */
export function passageEvidence(
  question: string,
  terms: QueryTerm[],
  hit: Pick<SearchHit, 'text' | 'title' | 'section'>,
  stats: TermStats = {},
  margin = 0,
  weights: EvidenceWeights = DEFAULT_WEIGHTS,
): PassageEvidence {
  const coverage = termCoverage(terms, hit, stats.documentFrequency, stats.paraphrase);
  const termWeights = informativeWeights(terms, stats);
  const weightedCoverage = weightedShare(terms, stemSet(textOf(hit)), (_t, i) => termWeights[i]);
  // a passage without the question's identifier is no evidence at all
  const sentence = weightedCoverage === 0 ? 0 : sentenceCoverage(terms, hit, stats);
  const phrase = weightedCoverage === 0 ? 0 : phraseAgreement(question, textOf(hit));
  const m = weightedCoverage === 0 ? 0 : margin;
  const sum = weights.coverage + weights.sentence + weights.phrase + weights.margin || 1;
  const evidence =
    (weights.coverage * weightedCoverage + weights.sentence * sentence + weights.phrase * phrase + weights.margin * m) /
    sum;
  return { coverage, weightedCoverage, sentence, phrase, margin: m, evidence };
}

/**
 * The refusal gate: decides, before any generator runs, whether the retrieved passages can
 * answer the question. A passage must contain enough of the question's content terms, and
 * every identifier the question names (an order number, a product code) — so that a question
 * about something the documents never mention is refused instead of answered from a passage
 * that merely shares a few words with it. Past that floor, the best passage must reach
 * `minEvidence`: rare words of the question weigh more than common ones, and the question's words
 * gathered in one sentence, its phrases kept intact and a clear lead of the first hit all count
 * for a passage. Every feature is a share or a ratio, never a raw engine score, so one setting
 * holds for both homes.
 */
export function relevanceGate(
  terms: QueryTerm[],
  hits: SearchHit[],
  opts: GateOptions = DEFAULT_GATE,
  documentFrequency?: Record<string, number>,
  extra: { question?: string; chunkCount?: number; paraphrase?: boolean } = {},
): GateDecision {
  if (terms.length === 0) {
    return { answerable: false, coverage: 0, evidence: 0, passages: [], why: 'the question has no content words' };
  }
  if (hits.length === 0) {
    return { answerable: false, coverage: 0, evidence: 0, passages: [], why: 'no passage matches the question' };
  }
  const stats: TermStats = { documentFrequency, chunkCount: extra.chunkCount, paraphrase: extra.paraphrase };
  const missing = extra.paraphrase ? missingVersions(extra.question ?? '', hits.slice(0, opts.consider)) : [];
  if (missing.length > 0) {
    return {
      answerable: false,
      coverage: 0,
      evidence: 0,
      passages: [],
      why: `the documents found never mention ${missing.map((m) => `"${m}"`).join(', ')}`,
    };
  }
  const question = extra.question ?? terms.map((t) => t.token).join(' ');
  const considered = hits.slice(0, opts.consider);
  const margin = scoreMargin(considered);
  const weights = opts.weights ?? DEFAULT_WEIGHTS;
  const scored = considered.map((hit, i) => ({
    hit,
    ...passageEvidence(question, terms, hit, stats, i === 0 ? margin : 0, weights),
  }));
  const best = Math.max(...scored.map((s) => s.coverage));
  const evidence = Math.max(...scored.map((s) => s.evidence));
  if (best < opts.minCoverage) {
    return {
      answerable: false,
      coverage: best,
      evidence,
      passages: [],
      why: `the best passage holds ${Math.round(best * 100)}% of the question's terms`,
    };
  }
  if (evidence < (opts.minEvidence ?? 0)) {
    return {
      answerable: false,
      coverage: best,
      evidence,
      passages: [],
      why: `the best passage's evidence score is ${evidence.toFixed(2)}, under ${opts.minEvidence}`,
    };
  }
  // keep passages that carry at least half of what the best one does, in rank order
  const passages = scored.filter((s) => s.coverage >= best / 2).map((s) => s.hit);
  return { answerable: true, coverage: best, evidence, passages, why: 'relevant passages found' };
}

/**
 * The version numbers a question names ("XSLT 2.0", "Node.js 20.0.0") that none of the passages
 * found holds: a question about a version the documents do not cover is off-topic however many
 * of its other words they share.
 */
export function missingVersions(question: string, hits: Pick<SearchHit, 'text' | 'title' | 'section'>[]): string[] {
  const versions = [...question.matchAll(/\b\d+(?:\.\d+)+\b/g)].map((m) => m[0]);
  const found = (v: string) =>
    hits.some((h) => new RegExp(`(?<![\\d.])${v.replace(/\./g, '\\.')}(?![\\d]|\\.\\d)`).test(textOf(h)));
  return versions.filter((v) => !found(v));
}
