import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server received it. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** the raw body */
  raw: string;
  /** the body parsed as JSON, or null */
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are read by shape, asserted by the tests
  json: any;
}

/** What the server answers: a status, a body (an object is sent as JSON) and headers. */
export interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** wait this long before answering */
  delayMs?: number;
  /** never answer: the connection stays open until the server closes */
  never?: boolean;
  /**
   * answer as Server-Sent Events instead of `body`: each entry is sent as `data: <entry>\n\n`
   * (an object as JSON), the first `holdAfter` of them at once, the rest once `hold` resolves
   */
  events?: unknown[];
  holdAfter?: number;
  hold?: Promise<void>;
}

export type Responder = (req: ReceivedRequest) => Reply;

/** A chat completion answering `content`, the way OpenAI's API shapes one. */
export function completion(content: string | null, usage = { prompt_tokens: 120, completion_tokens: 30 }): Reply {
  return {
    status: 200,
    body: {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: 'test-model',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    },
  };
}

/**
 * A streamed chat completion as OpenAI's API sends it: a role chunk, one chunk per piece of
 * `pieces`, a chunk with the finish reason, a usage chunk (when `usage` is given) and `[DONE]`.
 */
export function streamedEvents(
  pieces: string[],
  opts: { finish?: string; usage?: { prompt_tokens: number; completion_tokens: number } } = {},
): unknown[] {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id: 'chatcmpl-test',
    object: 'chat.completion.chunk',
    created: 1764720000,
    model: 'test-model',
    choices,
    ...extra,
  });
  return [
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
    ...pieces.map((content) => chunk([{ index: 0, delta: { content }, finish_reason: null }])),
    chunk([{ index: 0, delta: {}, finish_reason: opts.finish ?? 'stop' }]),
    ...(opts.usage
      ? [chunk([], { usage: { ...opts.usage, total_tokens: opts.usage.prompt_tokens + opts.usage.completion_tokens } })]
      : []),
    '[DONE]',
  ];
}

/** The numbered passages of a user message built by userMessage(): index, heading and text. */
export function passagesOf(userContent: string): { index: number; heading: string; text: string }[] {
  const block = userContent.split('\n\nQuestion: ')[0].replace(/^Passages:\n\n/, '');
  return block.split(/\n\n(?=\[\d+\])/).map((p) => {
    const [first, ...rest] = p.split('\n');
    const m = first.match(/^\[(\d+)\]\s?(.*)$/)!;
    return { index: Number(m[1]), heading: m[2], text: rest.join('\n') };
  });
}

/**
 * A small model that follows the prompt's rules: it answers with the first sentence of the passage
 * sharing the most words with the question, cited with that passage's marker, or NO_ANSWER.
 */
export const citingModel: Responder = (req) => {
  const user = req.json.messages.find((m: { role: string }) => m.role === 'user').content as string;
  const question = user.split('\n\nQuestion: ')[1] ?? '';
  // words of four letters or more, compared on their first five, so "refund" meets "refunds"
  const words = (text: string) => new Set((text.toLowerCase().match(/[a-z0-9]{4,}/g) ?? []).map((w) => w.slice(0, 5)));
  const asked = words(question);
  const scored = passagesOf(user).map((p) => ({ p, score: [...words(p.text)].filter((w) => asked.has(w)).length }));
  scored.sort((a, b) => b.score - a.score);
  const best = scored[0];
  if (!best || best.score === 0) return completion('NO_ANSWER');
  const sentence = best.p.text.split(/(?<=[.!?])\s+/)[0].replace(/[.!?]$/, '');
  return completion(`${sentence} [${best.p.index}].`);
};

export interface OpenAIServer {
  /** base URL up to and including `/v1` */
  baseUrl: string;
  requests: ReceivedRequest[];
  /** answers, in order, to the next requests; then `fallback` answers */
  queue: (Reply | Responder)[];
  fallback: Responder;
  close(): Promise<void>;
}

/**
 * A loopback server speaking OpenAI's chat-completions protocol: POST /v1/chat/completions with a
 * JSON body. Every request is recorded; answers come from `queue`, then from `fallback`.
 */
export async function startOpenAIServer(fallback: Responder = citingModel): Promise<OpenAIServer> {
  const state: OpenAIServer = {
    baseUrl: '',
    requests: [],
    queue: [],
    fallback,
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(raw);
      } catch {
        json = null;
      }
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        raw,
        json,
      };
      state.requests.push(received);
      let reply: Reply;
      if (received.method !== 'POST' || received.path !== '/v1/chat/completions') {
        reply = { status: 404, body: { error: { message: `no route ${received.method} ${received.path}` } } };
      } else {
        const next = state.queue.shift() ?? state.fallback;
        reply = typeof next === 'function' ? next(received) : next;
      }
      const send = () => {
        const body =
          typeof reply.body === 'string' || reply.body === undefined ? (reply.body ?? '') : JSON.stringify(reply.body);
        const type = typeof reply.body === 'string' ? 'text/plain' : 'application/json';
        res.writeHead(reply.status ?? 200, { 'content-type': type, ...reply.headers });
        res.end(body);
      };
      if (reply.never) return;
      const events = reply.events;
      if (events) {
        res.writeHead(reply.status ?? 200, { 'content-type': 'text/event-stream', ...reply.headers });
        const write = (e: unknown) => res.write(`data: ${typeof e === 'string' ? e : JSON.stringify(e)}\n\n`);
        const first = reply.holdAfter ?? events.length;
        for (const e of events.slice(0, first)) write(e);
        void (reply.hold ?? Promise.resolve()).then(() => {
          for (const e of events.slice(first)) write(e);
          res.end();
        });
        return;
      }
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.baseUrl = `http://127.0.0.1:${port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
