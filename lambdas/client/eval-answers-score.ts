/** Scoring of the answer eval: which gold evidence sentences an answer's cited sentences quote. */
import { splitSentences, tokenize } from '../core/text';
import type { Claim } from './eval-answers-setup';

/**
 * The sentences of an abstract that a quoted sentence reproduces: those with at least 80% of
 * their words in the quote (a quote may span two of the data set's sentences), or else the one
 * it overlaps most. Indices into `sentences`.
 */
export function quotedSentences(quote: string, sentences: string[]): number[] {
  const words = new Set(tokenize(quote));
  const containment = sentences.map((s) => {
    const tokens = tokenize(s);
    if (tokens.length === 0) return 0;
    return tokens.filter((t) => words.has(t)).length / tokens.length;
  });
  const strong = containment.flatMap((c, i) => (c >= 0.8 ? [i] : []));
  if (strong.length > 0) return strong;
  const best = Math.max(0, ...containment);
  return best > 0 ? [containment.indexOf(best)] : [];
}

/** The sentences of an answer with the citation numbers each carries, markers removed. */
export function citedSentences(answer: string): { text: string; cites: number[] }[] {
  return splitSentences(answer).map((s) => ({
    text: s.replace(/\s*\[\d+\]/g, '').trim(),
    cites: [...s.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])),
  }));
}

/** SciFact metadata: corpus id → the indices of its gold evidence sentences. */
export function evidenceOf(claim: Claim): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const [doc, entries] of Object.entries(claim.metadata ?? {})) {
    if (!Array.isArray(entries)) continue;
    const set = new Set<number>();
    for (const e of entries as { sentences?: number[] }[]) for (const i of e.sentences ?? []) set.add(i);
    if (set.size > 0) out.set(doc, set);
  }
  return out;
}
