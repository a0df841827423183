import {
  type BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { isNoAnswer, SYSTEM_PROMPT, userMessage } from '../../core/grounded-prompt';
import type { Generator, GeneratorInput } from '../../ports';
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

  async generate(input: GeneratorInput): Promise<{ text: string; units: number }> {
    const command = new ConverseCommand({
      modelId: this.opts.modelId,
      system: [{ text: SYSTEM_PROMPT }],
      messages: [{ role: 'user', content: [{ text: userMessage(input) }] }],
      inferenceConfig: { maxTokens: this.opts.maxTokens ?? 512, temperature: this.opts.temperature ?? 0 },
    });
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
}
