import type { QueryTerm, SearchHit } from '../ports';
import { GENERIC_WEIGHT, GENERIC_WORDS, isCodeLike, stemSet } from './text';

export interface GateOptions {
  /** the share of the question's content terms the best passage must contain */
  minCoverage: number;
  /** how many of the top hits are looked at */
  consider: number;
}

export const DEFAULT_GATE: GateOptions = { minCoverage: 0.5, consider: 8 };

/** Weight of a question word that appears nowhere in the project. */
export const UNSEEN_WEIGHT = 1.5;

export interface GateDecision {
  answerable: boolean;
  /** best share of query terms found in one passage */
  coverage: number;
  /** the hits worth showing a generator, best first */
  passages: SearchHit[];
  why: string;
}

/** How much a question term counts towards coverage. */
export function termWeight(t: QueryTerm, documentFrequency?: Record<string, number>): number {
  if (GENERIC_WORDS.has(t.token)) return GENERIC_WEIGHT;
  // a specific word that no passage of the project contains is what the question is about
  if (documentFrequency && documentFrequency[t.stem] === 0) return UNSEEN_WEIGHT;
  return 1;
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
): number {
  if (terms.length === 0) return 0;
  const stems = stemSet(`${hit.title ?? ''} ${hit.section ?? ''} ${hit.text}`);
  let found = 0;
  let total = 0;
  for (const t of terms) {
    const weight = termWeight(t, documentFrequency);
    total += weight;
    if (stems.has(t.stem)) found += weight;
    else if (isCodeLike(t.token)) return 0;
  }
  return found / total;
}

/**
 * The refusal gate: decides, before any generator runs, whether the retrieved passages can
 * answer the question. A passage must contain enough of the question's content terms, and
 * every identifier the question names (an order number, a product code) — so that a question
 * about something the documents never mention is refused instead of answered from a passage
 * that merely shares a few words with it.
 */
export function relevanceGate(
  terms: QueryTerm[],
  hits: SearchHit[],
  opts: GateOptions = DEFAULT_GATE,
  documentFrequency?: Record<string, number>,
): GateDecision {
  if (terms.length === 0) {
    return { answerable: false, coverage: 0, passages: [], why: 'the question has no content words' };
  }
  if (hits.length === 0) {
    return { answerable: false, coverage: 0, passages: [], why: 'no passage matches the question' };
  }
  const scored = hits
    .slice(0, opts.consider)
    .map((hit) => ({ hit, coverage: termCoverage(terms, hit, documentFrequency) }));
  const best = Math.max(...scored.map((s) => s.coverage));
  if (best < opts.minCoverage) {
    return {
      answerable: false,
      coverage: best,
      passages: [],
      why: `the best passage holds ${Math.round(best * 100)}% of the question's terms`,
    };
  }
  // keep passages that carry at least half of what the best one does, in rank order
  const passages = scored.filter((s) => s.coverage >= best / 2).map((s) => s.hit);
  return { answerable: true, coverage: best, passages, why: 'relevant passages found' };
}
