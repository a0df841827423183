import { extractiveAnswer } from '../../core/compose';
import { splitSentences } from '../../core/text';
import type { GeneratedPiece, Generator, GeneratorInput } from '../../ports';

/**
 * The embedded default generator: quotes the unit of the passages that answers a question, or
 * declines with an empty answer when none does (with this generator, that choice is the
 * answerability judgement); a claim to check gets the sentences that carry it.
 */
export class ExtractiveGenerator implements Generator {
  async generate(input: GeneratorInput) {
    return { text: extractiveAnswer(input), units: 0 };
  }

  /** The quoted sentences one by one: the choice is made over all of them, then each is sent. */
  async *stream(input: GeneratorInput): AsyncGenerator<GeneratedPiece> {
    const sentences = splitSentences(extractiveAnswer(input));
    for (const [i, sentence] of sentences.entries()) yield { text: i === 0 ? sentence : ` ${sentence}` };
    yield { units: 0 };
  }
}
