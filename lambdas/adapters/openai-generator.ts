import { isNoAnswer, mayBeNoAnswer, SYSTEM_PROMPT, userMessage } from '../core/grounded-prompt';
import type { GeneratedPiece, Generator, GeneratorInput } from '../ports';
import {
  type Completion,
  completionEvents,
  contentText,
  ModelServerError,
  retryAfterMs,
  serverMessage,
  THINK_BLOCK,
  unitsOf,
} from './openai-wire';

export { ModelServerError } from './openai-wire';

export interface OpenAIGeneratorOptions {
  /** up to and including the API version, e.g. `http://127.0.0.1:11434/v1`; `/chat/completions` is appended */
  baseUrl: string;
  model: string;
  /** sent as `Authorization: Bearer <apiKey>`; no Authorization header when absent */
  apiKey?: string;
  /** @default 512 */
  maxTokens?: number;
  /** @default 0: the answer should follow the passages, not vary */
  temperature?: number;
  /** how long one attempt may take, answer included @default 60000 */
  timeoutMs?: number;
  /** attempts in all, the first included, for 429, 5xx and failed connections @default 4 */
  attempts?: number;
  /** the backoff cap of the first retry; it doubles with each retry @default 500 */
  baseDelayMs?: number;
  /** no pause (a Retry-After included) is longer than this @default 8000 */
  maxDelayMs?: number;
  /** how a pause between attempts is taken @default a timer */
  sleep?: (ms: number) => Promise<void>;
}

/** Statuses after which the same request may succeed later. */
const TRANSIENT = new Set([408, 429, 500, 502, 503, 504]);
/** Finish reasons after which the text must not be shown: the server withheld or filtered it. */
const WITHHELD = new Set(['content_filter']);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Grounded answers from any server speaking OpenAI's chat-completions protocol (OpenAI, vLLM,
 * llama.cpp's server, Ollama, LM Studio...). It sends the same prompt as the Bedrock generator:
 * numbered passages, a `[n]` marker on every sentence, and the sentinel NO_ANSWER when the
 * passages don't answer, which becomes an empty text the core turns into a refusal. The core
 * checks every marker of any other answer against its passage and drops what doesn't hold.
 */
export class OpenAIChatGenerator implements Generator {
  private readonly url: string;

  constructor(private readonly opts: OpenAIGeneratorOptions) {
    let base: URL;
    try {
      base = new URL(opts.baseUrl);
    } catch {
      throw new Error(`the model server URL must be an http(s) URL, got "${opts.baseUrl}"`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new Error(`the model server URL must be http(s), got the ${base.protocol} scheme`);
    }
    if (!opts.model) throw new Error('the model server needs a model name');
    this.url = `${base.href.replace(/\/+$/, '')}/chat/completions`;
  }

  /** The body of the request, as sent. */
  requestBody(input: GeneratorInput) {
    return {
      model: this.opts.model,
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: userMessage(input) },
      ],
      temperature: this.opts.temperature ?? 0,
      max_tokens: this.opts.maxTokens ?? 512,
      stream: false,
    };
  }

  /** The body of a streamed request: the same, with `stream` and the usage asked for at its end. */
  streamBody(input: GeneratorInput) {
    return { ...this.requestBody(input), stream: true, stream_options: { include_usage: true } };
  }

  async generate(input: GeneratorInput): Promise<{ text: string; units: number }> {
    const body = JSON.stringify(this.requestBody(input));
    return this.fromCompletion(await this.send(body, 'application/json', (res) => this.readCompletion(res)));
  }

  /**
   * The same answer as the server writes it (`stream: true`): each chunk's content is passed on as
   * it arrives, then one `units` piece (the usage the server sends last, when it does), `withheld`
   * when the finish reason is `content_filter`. Text that may still be a reasoning block or the
   * NO_ANSWER sentinel is held back until it can't be: a declined answer yields no text. The call
   * is retried as `generate`'s is until the server answers `200`; an error in the stream after that
   * ends the answer with the error. A server that answers one JSON completion instead of events
   * is read whole.
   */
  async *stream(input: GeneratorInput): AsyncGenerator<GeneratedPiece> {
    const body = JSON.stringify(this.streamBody(input));
    const res = await this.send(body, 'text/event-stream', async (r) => r);
    if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      const whole = this.fromCompletion(await this.readCompletion(res));
      if (whole.text) yield { text: whole.text };
      yield { units: whole.units };
      return;
    }
    let units = 0;
    let finish = '';
    /** text held back while it may still be a reasoning block or the sentinel; null once it can't */
    let held: string | null = '';
    for await (const chunk of completionEvents(res, this.url, this.opts.timeoutMs ?? 60_000)) {
      if (chunk.error !== undefined) {
        throw new ModelServerError(
          `the model server at ${this.url} ended its stream with an error: ${serverMessage(JSON.stringify(chunk))}`,
        );
      }
      if (chunk.usage) units = unitsOf(chunk.usage);
      const choice = chunk.choices?.[0];
      if (choice?.finish_reason) finish = choice.finish_reason;
      const text = contentText(choice?.delta?.content);
      if (!text) continue;
      if (held === null) {
        yield { text };
        continue;
      }
      held = (held + text).replace(THINK_BLOCK, '').trimStart();
      if (held.includes('<think>') || '<think>'.startsWith(held) || mayBeNoAnswer(held)) continue;
      yield { text: held };
      held = null;
    }
    // an answer that only began like the sentinel or a reasoning block; an unclosed block is dropped
    if (held) {
      const rest = held.split('<think>')[0].trim();
      if (rest && !isNoAnswer(rest)) yield { text: rest };
    }
    yield WITHHELD.has(finish) ? { units, withheld: true } : { units };
  }

  /** A `200` answer's body as a chat completion. */
  private async readCompletion(res: Response): Promise<Completion> {
    const text = await res.text();
    try {
      return JSON.parse(text) as Completion;
    } catch {
      throw new ModelServerError(
        `the model server at ${this.url} answered 200 with a body that is not JSON: ${serverMessage(text)}`,
        200,
      );
    }
  }

  /** The answer and cost of a whole chat completion. */
  private fromCompletion(completion: Completion): { text: string; units: number } {
    const choice = completion.choices?.[0];
    const content = contentText(choice?.message?.content);
    if (content === null) {
      throw new ModelServerError(
        `the model server at ${this.url} answered 200 without choices[0].message.content; is it an OpenAI-compatible chat-completions endpoint?`,
        200,
      );
    }
    const units = unitsOf(completion.usage);
    // reasoning models may think aloud before they answer; only the answer is checked and shown
    const text = content.replace(THINK_BLOCK, '').trim();
    if (isNoAnswer(text) || WITHHELD.has(choice?.finish_reason ?? '')) return { text: '', units };
    return { text, units };
  }

  /**
   * POSTs the body, again after 429, 5xx or a failed connection, with exponential backoff and full
   * jitter; `read` takes a `200` answer (its failures count as the attempt's).
   */
  private async send<T>(body: string, accept: string, read: (res: Response) => Promise<T>): Promise<T> {
    const attempts = Math.max(1, this.opts.attempts ?? 4);
    const base = this.opts.baseDelayMs ?? 500;
    const cap = this.opts.maxDelayMs ?? 8000;
    const timeoutMs = this.opts.timeoutMs ?? 60_000;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept };
    if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;

    for (let attempt = 1; ; attempt++) {
      let failure: ModelServerError;
      let pause: number | null = null;
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers,
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (res.ok) return await read(res);
        const text = await res.text();
        failure = new ModelServerError(this.describe(res.status, serverMessage(text)), res.status);
        if (!TRANSIENT.has(res.status)) throw failure;
        pause = retryAfterMs(res.headers.get('retry-after'));
      } catch (e) {
        if (e instanceof ModelServerError) {
          if (e.status !== undefined && !TRANSIENT.has(e.status)) throw e;
          failure = e;
        } else if ((e as Error).name === 'TimeoutError') {
          // the time is spent: a second attempt would only double the wait
          throw new ModelServerError(`the model server at ${this.url} did not answer within ${timeoutMs} ms`);
        } else {
          const cause = (e as { cause?: { code?: string; message?: string } }).cause;
          failure = new ModelServerError(
            `could not reach the model server at ${this.url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
          );
        }
      }
      if (attempt >= attempts) {
        failure.message += ` (after ${attempts} attempts)`;
        throw failure;
      }
      const backoff = Math.random() * Math.min(cap, base * 2 ** (attempt - 1));
      await (this.opts.sleep ?? sleep)(Math.min(cap, pause ?? backoff));
    }
  }

  private describe(status: number, message: string): string {
    const at = `the model server at ${this.url}`;
    if (status === 401 || status === 403) {
      return `${at} refused the credentials (${status}): ${message}; check OPRAG_LLM_API_KEY`;
    }
    if (status === 404)
      return `${at} answered 404: ${message}; check OPRAG_LLM_BASE_URL (it ends before /chat/completions) and OPRAG_LLM_MODEL`;
    if (status === 400 || status === 413 || status === 422) return `${at} rejected the request (${status}): ${message}`;
    return `${at} answered ${status}: ${message}`;
  }
}
