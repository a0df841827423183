/**
 * The chat-completions protocol as OpenAI-compatible model servers speak it: the shapes of an
 * answer and of a streamed chunk, reading their content and usage, a server's error message and
 * Retry-After, and the event stream of a streamed answer.
 */

/** A failed call to the model server; `status` is its HTTP status when it answered. */
export class ModelServerError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ModelServerError';
  }
}

export interface Usage {
  total_tokens?: number;
  prompt_tokens?: number;
  completion_tokens?: number;
}

export interface Completion {
  choices?: { message?: { content?: unknown }; finish_reason?: string | null }[];
  usage?: Usage | null;
}

/** One `chat.completion.chunk` of a streamed answer (or the error a server sends instead). */
export interface CompletionChunk {
  choices?: { delta?: { content?: unknown }; finish_reason?: string | null }[];
  usage?: Usage | null;
  error?: unknown;
}

export const unitsOf = (usage: Usage | null | undefined) =>
  usage?.total_tokens ?? (usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0);

/** A reasoning block, closed, that a model may write before its answer. */
export const THINK_BLOCK = /<think>[\s\S]*?<\/think>/g;

/** Some servers answer content as parts (`[{type:"text", text}]`) rather than one string. */
export function contentText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('');
  }
  return null;
}

/** The error message a server put in its body (`{error:{message}}`, `{error:"..."}`, `{message}`), or its text. */
export function serverMessage(body: string): string {
  try {
    const json = JSON.parse(body);
    const message = json?.error?.message ?? (typeof json?.error === 'string' ? json.error : json?.message);
    if (typeof message === 'string' && message) return message.slice(0, 300);
  } catch {
    // not JSON: quote its start
  }
  const text = body.replace(/\s+/g, ' ').trim();
  return text ? text.slice(0, 200) : '(empty body)';
}

/** Seconds or an HTTP date, as milliseconds from now; null when absent or unreadable. */
export function retryAfterMs(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/**
 * The `data:` events of a streamed answer (`text/event-stream`), parsed, up to `[DONE]` or the end
 * of the body; a broken, late or unreadable stream is a ModelServerError naming the server.
 */
export async function* completionEvents(
  res: Response,
  url: string,
  timeoutMs: number,
): AsyncGenerator<CompletionChunk> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      let read: Awaited<ReturnType<typeof reader.read>>;
      try {
        read = await reader.read();
      } catch (e) {
        if ((e as Error).name === 'TimeoutError') {
          throw new ModelServerError(`the model server at ${url} did not finish its answer within ${timeoutMs} ms`);
        }
        throw new ModelServerError(`the model server at ${url} broke off its stream: ${(e as Error).message}`);
      }
      buffer += read.done ? decoder.decode() : decoder.decode(read.value, { stream: true });
      const lines = buffer.split(/\r?\n/);
      buffer = read.done ? '' : (lines.pop() ?? '');
      for (const line of lines) {
        if (!line.startsWith('data:')) continue; // blank lines, comments, event names
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        try {
          yield JSON.parse(data) as CompletionChunk;
        } catch {
          throw new ModelServerError(
            `the model server at ${url} sent a stream event that is not JSON: ${serverMessage(data)}`,
            200,
          );
        }
      }
      if (read.done) return;
    }
  } finally {
    // a reader that stops early, or an error, closes the connection
    await reader.cancel().catch(() => {});
  }
}
