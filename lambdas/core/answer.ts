import type { GeneratorInput, Passage } from '../ports';
import { splitSentences, stemSet } from './text';

export interface ComposeOptions {
  maxSentences: number;
  /** a further sentence must score at least this share of the best one */
  minRelativeScore: number;
}

export const DEFAULT_COMPOSE: ComposeOptions = { maxSentences: 3, minRelativeScore: 0.5 };

interface Candidate {
  passage: Passage;
  sentence: string;
  score: number;
  stems: Set<string>;
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
    for (const sentence of splitSentences(passage.text)) {
      if (sentence.length < 3) continue;
      const stems = stemSet(sentence);
      let hit = 0;
      for (const [term, w] of Object.entries(weights)) if (stems.has(term)) hit += w;
      // a light preference for higher-ranked passages and for sentences of readable length
      const lengthPenalty = sentence.length > 400 ? 0.9 : 1;
      const score = (hit / total) * lengthPenalty + 0.02 / (rank + 1);
      candidates.push({ passage, sentence, score, stems });
    }
  });
  candidates.sort((a, b) => b.score - a.score);
  const chosen: Candidate[] = [];
  for (const c of candidates) {
    if (chosen.length >= opts.maxSentences) break;
    if (chosen.length > 0 && c.score < chosen[0].score * opts.minRelativeScore) break;
    if (chosen.some((o) => o.sentence === c.sentence || overlap(o.stems, c.stems) > 0.8)) continue;
    chosen.push(c);
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
