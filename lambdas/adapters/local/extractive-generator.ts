import { extractiveAnswer } from '../../core/compose';
import type { Generator, GeneratorInput } from '../../ports';

/**
 * The embedded default generator: quotes the unit of the passages that answers a question, or
 * declines with an empty answer when none does (with this generator, that choice is the
 * answerability judgement); a claim to check gets the sentences that carry it.
 */
export class ExtractiveGenerator implements Generator {
  async generate(input: GeneratorInput) {
    return { text: extractiveAnswer(input), units: 0 };
  }
}
