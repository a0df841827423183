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
  const byIndex = new Map(passages.map((p) => [p.index, p]));
  const normalized = answer
    .replace(/\[(\d+(?:\s*,\s*\d+)+)\]/g, (_, list: string) =>
      list
        .split(',')
        .map((n) => `[${n.trim()}]`)
        .join(''),
    )
    // "... 30 days. [1]": a marker after the full stop belongs to the sentence it follows
    .replace(/([.!?。])((?:\s*\[\d+\])+)/g, '$2$1');
  const used: number[] = [];
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const sentence of splitSentences(normalized)) {
    const markers = [...sentence.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
    const valid = markers.filter((n) => {
      const p = byIndex.get(n);
      return p !== undefined && support(sentence, p) >= minSupport;
    });
    if (valid.length === 0) {
      dropped.push(sentence);
      continue;
    }
    for (const n of valid) if (!used.includes(n)) used.push(n);
    kept.push(
      sentence
        .replace(/\s*\[(\d+)\]/g, (_whole, n: string) =>
          valid.includes(Number(n)) ? ` [${used.indexOf(Number(n)) + 1}]` : '',
        )
        .replace(/\s+([.!?])/g, '$1'),
    );
  }
  return { answer: kept.join(' ').trim(), used, dropped };
}
