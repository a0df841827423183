import { extractiveAnswer } from '../../core/compose';
import { splitSentences } from '../../core/text';
import type { GeneratedPiece, Generator, GeneratorInput } from '../../ports';
import type { ReadPool } from './read-pool';

/**
 * The embedded default generator: quotes the unit of the passages that answers a question, or
 * declines with an empty answer when none does (with this generator, that choice is the
 * answerability judgement); a claim to check gets the sentences that carry it. Given read threads,
 * the choice is made on one of them (input and answer are plain text), the event loop left free.
 */
export class ExtractiveGenerator implements Generator {
  constructor(private readonly reads: ReadPool | null = null) {}

  private answer(input: GeneratorInput): Promise<string> | string {
    return this.reads ? this.reads.answer(input) : extractiveAnswer(input);
  }

  async generate(input: GeneratorInput) {
    return { text: await this.answer(input), units: 0 };
  }

  /** The quoted sentences one by one: the choice is made over all of them, then each is sent. */
  async *stream(input: GeneratorInput): AsyncGenerator<GeneratedPiece> {
    const sentences = splitSentences(await this.answer(input));
    for (const [i, sentence] of sentences.entries()) yield { text: i === 0 ? sentence : ` ${sentence}` };
    yield { units: 0 };
  }
}
