import type { Passage } from './search-types';
import { splitSentences, stemSet } from './text';

export interface CheckedAnswer {
  answer: string;
  /** passage indices in the order the answer first cites them; citation n is used[n - 1] */
  used: number[];
  /** sentences removed because they cited nothing that supports them */
  dropped: string[];
}

/** The share of a sentence's content words that a passage contains. */
export function support(sentence: string, passage: Passage): number {
  const words = stemSet(sentence.replace(/\[\d+\]/g, ''));
  if (words.size === 0) return 0;
  const source = stemSet(`${passage.title ?? ''} ${passage.section ?? ''} ${passage.text}`);
  let found = 0;
  for (const w of words) if (source.has(w)) found++;
  return found / words.size;
}

/**
 * Checks every `[n]` of an answer against the passages it was written from: a marker must name
 * a passage that was given and that supports the sentence (by default, holds at least half of
 * its content words). Markers that fail are removed, sentences left with no valid marker are
 * dropped, and the survivors are renumbered 1..k in order of first use.
 */
export function checkCitations(answer: string, passages: Passage[], minSupport = 0.5): CheckedAnswer {
  const checker = new SentenceChecker(passages, minSupport);
  const kept: string[] = [];
  for (const sentence of splitSentences(normalizeMarkers(answer))) {
    const checked = checker.check(sentence);
    if (checked !== null) kept.push(checked);
  }
  return { answer: kept.join(' ').trim(), used: checker.used, dropped: checker.dropped };
}

/**
 * Marker lists split into single markers (`[1, 2]` → `[1][2]`), and a marker after the full stop
 * moved before it: "... 30 days. [1]" belongs to the sentence it follows. A list with a zero or a
 * number twice is a value the passage states ("always [0, 0, 0]"), not citations: it is kept.
 */
export function normalizeMarkers(answer: string): string {
  return answer
    .replace(/\[(\d+(?:\s*,\s*\d+)+)\]/g, (whole: string, list: string) => {
      const numbers = list.split(',').map((n) => Number(n.trim()));
      if (numbers.includes(0) || new Set(numbers).size < numbers.length) return whole;
      return numbers.map((n) => `[${n}]`).join('');
    })
    .replace(/([.!?。])((?:\s*\[\d+\])+)/g, '$2$1');
}

/**
 * Checks the sentences of one answer in order, numbering citations by first use: what
 * checkCitations does to a whole answer, one sentence at a time (so a stream can send each
 * sentence once it holds, and nothing that doesn't).
 */
export class SentenceChecker {
  /** passage indices in the order the answer first cites them */
  readonly used: number[] = [];
  readonly dropped: string[] = [];
  private readonly byIndex: Map<number, Passage>;

  constructor(
    passages: Passage[],
    private readonly minSupport = 0.5,
  ) {
    this.byIndex = new Map(passages.map((p) => [p.index, p]));
  }

  /** The sentence with its valid markers renumbered, or null when none holds (it is dropped). */
  check(sentence: string): string | null {
    const markers = [...sentence.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
    const valid = markers.filter((n) => {
      const p = this.byIndex.get(n);
      return p !== undefined && support(sentence, p) >= this.minSupport;
    });
    if (valid.length === 0) {
      this.dropped.push(sentence);
      return null;
    }
    for (const n of valid) if (!this.used.includes(n)) this.used.push(n);
    return sentence
      .replace(/\s*\[(\d+)\]/g, (_whole, n: string) =>
        valid.includes(Number(n)) ? ` [${this.used.indexOf(Number(n)) + 1}]` : '',
      )
      .replace(/\s+([.!?])/g, '$1');
  }
}
