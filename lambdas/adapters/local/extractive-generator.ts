import { composeExtractive } from '../../core/answer';
import { composeAnswer } from '../../core/compose';
import { isQuestion } from '../../core/question';
import type { Generator, GeneratorInput } from '../../ports';

/**
 * The embedded default generator. A question is answered by the unit of the passages that answers
 * it (an option entry, a row, a sentence or two), or declined with an empty answer when none does:
 * with this generator, that choice is the answerability judgement. A claim to check is answered by
 * the sentences that carry the most of its terms.
 */
export class ExtractiveGenerator implements Generator {
  async generate(input: GeneratorInput) {
    return { text: isQuestion(input.question) ? composeAnswer(input) : composeExtractive(input), units: 0 };
  }
}
