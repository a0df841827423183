import { phraseAgreement } from './gate';
import type { GeneratorInput, Passage } from './search-types';
import { splitSentences, stemSet, termShare } from './text';

export interface ComposeOptions {
  maxSentences: number;
  /** a further sentence must score at least this share of the best one */
  minRelativeScore: number;
  /** how much the question's phrases, kept intact in the sentence, add to its score */
  phraseWeight?: number;
  /** how much the share of the question's terms in the whole passage adds to a sentence's score */
  passageWeight?: number;
  /** the bonus of the first passage (the n-th gets rankWeight / n): the search engine's order counts */
  rankWeight?: number;
  /**
   * how much less a further sentence of an already quoted passage is worth than one of a passage
   * not yet quoted (0..1): an answer that quotes two sources where two agree
   */
  diversity?: number;
  /**
   * how much more the terms of a passage's last sentence count than those of its first (the share
   * grows along the passage): findings and conclusions come after the background that introduces
   * them
   */
  positionWeight?: number;
}

export const DEFAULT_COMPOSE: ComposeOptions = {
  maxSentences: 3,
  minRelativeScore: 0.7,
  phraseWeight: 0.3,
  passageWeight: 0.2,
  rankWeight: 0.05,
  diversity: 0.2,
  positionWeight: 0.3,
};

interface Candidate {
  passage: Passage;
  sentence: string;
  score: number;
  stems: Set<string>;
}

/**
 * How well one sentence answers the question: the (IDF-weighted) share of the question's terms
 * it holds — a little more the later it comes in its passage, a little less past 400 characters —
 * plus bonuses when it keeps the question's phrases intact and when its passage as a whole matches
 * the question or ranks high.
 */
export function sentenceScore(
  sentence: string,
  input: Pick<GeneratorInput, 'question' | 'termWeights'>,
  context: { passageShare: number; rank: number; position?: number },
  opts: ComposeOptions = DEFAULT_COMPOSE,
): number {
  const weights = input.termWeights;
  const total = Object.values(weights).reduce((a, b) => a + b, 0) || 1;
  const coverage = termShare(stemSet(sentence), weights, total);
  if (coverage === 0) return 0;
  const lengthPenalty = sentence.length > 400 ? 0.9 : 1;
  return (
    coverage * lengthPenalty * (1 + (opts.positionWeight ?? 0) * (context.position ?? 0)) +
    (opts.phraseWeight ?? 0) * phraseAgreement(input.question, sentence) +
    (opts.passageWeight ?? 0) * context.passageShare +
    (opts.rankWeight ?? 0.02) / (context.rank + 1)
  );
}

/**
 * The extractive answer: quotes the sentences of the passages that carry the most of the
 * question's (IDF-weighted) terms, each followed by the `[n]` of its passage. Nothing is
 * paraphrased, so every sentence is supported by the passage it cites.
 */
export function composeExtractive(input: GeneratorInput, opts: ComposeOptions = DEFAULT_COMPOSE): string {
  const weights = input.termWeights;
  const total = Object.values(weights).reduce((a, b) => a + b, 0) || 1;
  const candidates: Candidate[] = [];
  input.passages.forEach((passage, rank) => {
    const passageShare = termShare(stemSet(`${passage.title ?? ''} ${passage.text}`), weights, total);
    const sentences = splitSentences(passage.text);
    sentences.forEach((sentence, i) => {
      if (sentence.length < 3) return;
      const position = sentences.length > 1 ? i / (sentences.length - 1) : 0;
      const score = sentenceScore(sentence, input, { passageShare, rank, position }, opts);
      if (score <= 0) return;
      candidates.push({ passage, sentence, score, stems: stemSet(sentence) });
    });
  });
  candidates.sort((a, b) => b.score - a.score);
  const chosen: Candidate[] = [];
  const diversity = opts.diversity ?? 0;
  while (chosen.length < opts.maxSentences) {
    // the next sentence: the best remaining one, a sentence of an already quoted passage counting less
    let next: Candidate | null = null;
    let nextValue = -1;
    for (const c of candidates) {
      if (chosen.length > 0 && c.score < chosen[0].score * opts.minRelativeScore) break;
      if (chosen.includes(c)) continue;
      if (chosen.some((o) => o.sentence === c.sentence || overlap(o.stems, c.stems) > 0.8)) continue;
      const value = chosen.some((o) => o.passage === c.passage) ? c.score * (1 - diversity) : c.score;
      if (value > nextValue) {
        next = c;
        nextValue = value;
      }
    }
    if (!next) break;
    chosen.push(next);
  }
  return chosen.map((c) => withMarker(c.sentence, c.passage.index)).join(' ');
}

function overlap(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const s of a) if (b.has(s)) shared++;
  return shared / Math.min(a.size, b.size);
}

/** "We refund within 30 days." → "We refund within 30 days [1]." */
export function withMarker(sentence: string, index: number): string {
  const m = /^(.*?)([.!?。]["'”)\]]*)?$/s.exec(sentence.trim());
  const body = m?.[1] ?? sentence;
  const end = m?.[2] ?? '.';
  return `${body} [${index}]${end}`;
}
