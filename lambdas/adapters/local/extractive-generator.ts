import { composeExtractive } from '../../core/answer';
import type { Generator, GeneratorInput } from '../../ports';

/** The embedded default generator: quotes the passages' best sentences, with `[n]` markers. */
export class ExtractiveGenerator implements Generator {
  async generate(input: GeneratorInput) {
    const text = composeExtractive(input);
    return { text, units: 0 };
  }
}
