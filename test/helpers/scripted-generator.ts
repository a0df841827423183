import { splitSentences } from '../../lambdas/core/text';
import type { GeneratedPiece, Generator, GeneratorInput } from '../../lambdas/ports';

/** A promise a test resolves by hand. */
export function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/**
 * A generator that writes as a test tells it: the first passage's first sentence, cited, then a
 * word of the next one; then it waits until the test opens `release`, and writes the rest of the
 * passage's second sentence, cited, and `after` (an unsupported sentence, say). Whatever a server
 * sends before `release` opens, it sent while the answer was being produced.
 */
export class ScriptedGenerator implements Generator {
  release = gate();

  constructor(private readonly opts: { after?: string; units?: number } = {}) {}

  async generate(input: GeneratorInput) {
    let text = '';
    for await (const piece of this.stream(input)) if ('text' in piece) text += piece.text;
    return { text, units: 0 };
  }

  async *stream(input: GeneratorInput): AsyncGenerator<GeneratedPiece> {
    const [first, second] = splitSentences(input.passages[0].text);
    yield { text: `${first.replace(/\.$/, '')} [1].` };
    yield { text: ` ${second.split(' ')[0]}` };
    await this.release.opened;
    yield { text: ` ${second.split(' ').slice(1).join(' ').replace(/\.$/, '')} [1].` };
    if (this.opts.after) yield { text: ` ${this.opts.after}` };
    yield { units: this.opts.units ?? 0 };
  }
}
