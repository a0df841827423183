import {
  type BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandInput,
  type ConverseCommandOutput,
  ConverseStreamCommand,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { isNoAnswer, mayBeNoAnswer, SYSTEM_PROMPT, userMessage } from '../../core/grounded-prompt';
import { OutOfTime } from '../../core/time-budget';
import type { GeneratedPiece, Generator, GeneratorInput } from '../../ports';
import { type BedrockRetryOptions, withBedrockRetry } from './bedrock-retry';

export interface BedrockConverseGeneratorOptions {
  client: BedrockRuntimeClient;
  /** a model (or inference profile) id that supports the Converse API */
  modelId: string;
  /** @default 512 */
  maxTokens?: number;
  /** @default 0: the answer should follow the passages, not vary */
  temperature?: number;
  retry?: BedrockRetryOptions;
}

export { formatPassage, NO_ANSWER, SYSTEM_PROMPT, userMessage } from '../../core/grounded-prompt';

/** Stop reasons after which the text must not be shown: the model or a guardrail withheld it. */
const WITHHELD = new Set(['guardrail_intervened', 'content_filtered']);

/**
 * Grounded answers from a Bedrock model through the Converse API. The system prompt asks for a
 * `[n]` marker on every sentence and for the exact sentinel NO_ANSWER when the passages don't
 * answer; the sentinel becomes an empty text, which the core turns into a refusal. The core
 * checks every marker of any other answer against its passage and drops what doesn't hold.
 */
export class BedrockConverseGenerator implements Generator {
  constructor(private readonly opts: BedrockConverseGeneratorOptions) {}

  /** The request, the same for Converse and ConverseStream. */
  request(input: GeneratorInput): ConverseCommandInput {
    return {
      modelId: this.opts.modelId,
      system: [{ text: SYSTEM_PROMPT }],
      messages: [{ role: 'user', content: [{ text: userMessage(input) }] }],
      inferenceConfig: { maxTokens: this.opts.maxTokens ?? 512, temperature: this.opts.temperature ?? 0 },
    };
  }

  async generate(input: GeneratorInput): Promise<{ text: string; units: number }> {
    const command = new ConverseCommand(this.request(input));
    const out: ConverseCommandOutput = await withBedrockRetry(
      (abortSignal) => this.opts.client.send(command, { abortSignal }),
      this.opts.retry,
    );
    const units = (out.usage?.inputTokens ?? 0) + (out.usage?.outputTokens ?? 0);
    const text = (out.output?.message?.content ?? [])
      .map((block) => block.text ?? '')
      .join('')
      .trim();
    if (isNoAnswer(text) || WITHHELD.has(out.stopReason ?? '')) return { text: '', units };
    return { text, units };
  }

  /**
   * The same answer through ConverseStream: each `contentBlockDelta`'s text is passed on as it
   * arrives, then one `units` piece (the `metadata` event's input + output tokens), `withheld`
   * when `messageStop` gives a guardrail's or the content filter's stop reason. Text that may
   * still become the NO_ANSWER sentinel is held back until it can't: a declined answer yields no
   * text at all. The call is retried as `generate`'s is up to and including its first event (an
   * error the stream opens with, throttling included, is a refused call); an error later in the
   * stream (`modelStreamErrorException`, `throttlingException`...) ends the answer with that
   * error, since text has already left. The time budget cuts the stream where the margin begins
   * (OutOfTime).
   */
  async *stream(input: GeneratorInput): AsyncGenerator<GeneratedPiece> {
    const command = new ConverseStreamCommand(this.request(input));
    let signal: AbortSignal | undefined;
    const { events, first } = await withBedrockRetry(async (abortSignal) => {
      signal = abortSignal;
      const out = await this.opts.client.send(command, { abortSignal });
      if (!out.stream) throw new Error('Bedrock answered ConverseStream without an event stream');
      const events = out.stream[Symbol.asyncIterator]();
      return { events, first: await events.next() };
    }, this.opts.retry);

    let units = 0;
    let stopReason = '';
    /** text held back while it may still be the sentinel; null once the answer is known not to be */
    let held: string | null = '';
    try {
      for (let next = first; !next.done; next = await events.next()) {
        const event: ConverseStreamOutput = next.value;
        const text = event.contentBlockDelta?.delta?.text;
        if (text) {
          if (held === null) {
            yield { text };
            continue;
          }
          held = (held + text).trimStart();
          if (mayBeNoAnswer(held)) continue;
          yield { text: held };
          held = null;
        } else if (event.messageStop) {
          stopReason = event.messageStop.stopReason ?? '';
        } else if (event.metadata?.usage) {
          units = (event.metadata.usage.inputTokens ?? 0) + (event.metadata.usage.outputTokens ?? 0);
        }
      }
    } catch (e) {
      if (signal?.aborted) throw new OutOfTime('a Bedrock stream ran into the end of the invocation');
      throw e;
    } finally {
      // a reader that stops early closes the stream
      await events.return?.();
    }
    // a short answer that only began like the sentinel, e.g. "NO [1]." cut short
    if (held && !isNoAnswer(held)) yield { text: held };
    yield WITHHELD.has(stopReason) ? { units, withheld: true } : { units };
  }
}
