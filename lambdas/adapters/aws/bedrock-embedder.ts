import { type BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import type { Embedder } from '../../ports';
import { type BedrockRetryOptions, withBedrockRetry } from './bedrock-retry';

export interface BedrockTitanEmbedderOptions {
  client: BedrockRuntimeClient;
  /** e.g. `amazon.titan-embed-text-v2:0` */
  modelId: string;
  /** 256, 512 or 1024: the sizes Titan Text Embeddings v2 produces */
  dimensions: number;
  /** InvokeModel calls in flight at once @default 4 */
  concurrency?: number;
  retry?: BedrockRetryOptions;
}

/** Titan Text Embeddings v2's InvokeModel answer. */
interface TitanResponse {
  embedding?: number[];
  inputTextTokenCount?: number;
}

const TITAN_V2_DIMENSIONS = [256, 512, 1024];

/**
 * Embeddings from Amazon Titan Text Embeddings v2 on Bedrock. The model takes one `inputText`
 * per InvokeModel call, so a batch is embedded by a few calls at a time (`concurrency`), each
 * asking for normalized vectors of the configured size; usage units are the input tokens the
 * model counted. Titan v2 makes no difference between documents and queries.
 */
export class BedrockTitanEmbedder implements Embedder {
  readonly dimensions: number;
  private readonly concurrency: number;

  constructor(private readonly opts: BedrockTitanEmbedderOptions) {
    if (!TITAN_V2_DIMENSIONS.includes(opts.dimensions)) {
      throw new Error(`Titan Text Embeddings v2 makes vectors of ${TITAN_V2_DIMENSIONS.join(', ')} dimensions`);
    }
    this.dimensions = opts.dimensions;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
  }

  /** Titan v2 embeds queries and documents alike: the purpose changes nothing. */
  async embed(texts: string[], _purpose?: 'document' | 'query'): Promise<{ vectors: number[][]; units: number }> {
    const results = await mapBounded(texts, this.concurrency, (text) => this.embedOne(text));
    return {
      vectors: results.map((r) => r.vector),
      units: results.reduce((sum, r) => sum + r.tokens, 0),
    };
  }

  private async embedOne(text: string): Promise<{ vector: number[]; tokens: number }> {
    const command = new InvokeModelCommand({
      modelId: this.opts.modelId,
      contentType: 'application/json',
      accept: 'application/json',
      body: JSON.stringify({ inputText: text, dimensions: this.dimensions, normalize: true }),
    });
    const out = await withBedrockRetry(
      (abortSignal) => this.opts.client.send(command, { abortSignal }),
      this.opts.retry,
    );
    const parsed = JSON.parse(new TextDecoder().decode(out.body)) as TitanResponse;
    if (!Array.isArray(parsed.embedding) || parsed.embedding.length !== this.dimensions) {
      throw new Error(`the embedding model answered without a ${this.dimensions}-dimension embedding`);
    }
    return { vector: parsed.embedding, tokens: parsed.inputTextTokenCount ?? 0 };
  }
}

/** Maps items through `fn`, at most `limit` at a time, keeping their order. */
async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
