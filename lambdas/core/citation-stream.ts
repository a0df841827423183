import { normalizeMarkers, SentenceChecker } from './citations';
import type { Passage } from './search-types';
import { splitSentences } from './text';

/** Text that is only markers, commas and spaces: a sentence's trailing `[n]` may still be coming. */
const ONLY_MARKERS = /^[\s\d[\],]*$/;

/**
 * Checks an answer while it is written: text goes in as the generator produces it, and out come
 * the sentences that hold, each once it is complete (a following sentence has begun), with its
 * markers checked and renumbered exactly as checkCitations would. A sentence that cites nothing
 * that supports it never comes out, so a stream built on this sends nothing ungrounded.
 */
export class CitationStream {
  private text = '';
  /** how many sentences of `text` have been settled (sent or dropped) */
  private settled = 0;
  private readonly checker: SentenceChecker;
  private readonly kept: string[] = [];

  constructor(passages: Passage[], minSupport = 0.5) {
    this.checker = new SentenceChecker(passages, minSupport);
  }

  /** Adds generated text; returns the pieces to send now (the first without a leading space). */
  push(delta: string): string[] {
    this.text += delta;
    const sentences = splitSentences(normalizeMarkers(this.text));
    // the last sentence may still grow, and so may the one before it while only markers follow it
    let complete = sentences.length - 1;
    if (complete > 0 && ONLY_MARKERS.test(sentences[complete])) complete--;
    return this.settle(sentences, complete);
  }

  /** The generator is done: settles the rest and returns what to send. */
  end(): string[] {
    const sentences = splitSentences(normalizeMarkers(this.text));
    return this.settle(sentences, sentences.length);
  }

  /** The answer sent so far: the kept sentences joined, as checkCitations returns it. */
  get answer(): string {
    return this.kept.join(' ').trim();
  }

  /** passage indices in order of first use; citation n is used[n - 1] */
  get used(): number[] {
    return this.checker.used;
  }

  private settle(sentences: string[], upTo: number): string[] {
    const out: string[] = [];
    for (; this.settled < upTo; this.settled++) {
      const checked = this.checker.check(sentences[this.settled]);
      if (checked === null) continue;
      out.push(this.kept.length === 0 ? checked : ` ${checked}`);
      this.kept.push(checked);
    }
    return out;
  }
}
