import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { SYSTEM_PROMPT } from '../../lambdas/adapters/aws/bedrock-generator';
import type { GeneratorInput } from '../../lambdas/ports';
import { encodeMessage } from './event-stream';

export interface BedrockCall {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface BedrockReply {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
  /** answer after this many milliseconds */
  delayMs?: number;
  /**
   * an event stream instead of `body`: each frame is written on its own; a promise in the list
   * holds the frames after it until it settles
   */
  frames?: (Uint8Array | Promise<unknown>)[];
}

/**
 * A Bedrock Runtime endpoint on a loopback port: records each call, answers it with `respond`,
 * and remembers the most calls it ever had in flight at once. It speaks HTTP/2 (cleartext), as the
 * Bedrock Runtime client does by default, so the client runs here as it is configured in Lambda.
 */
export class FakeBedrock {
  readonly calls: BedrockCall[] = [];
  maxInFlight = 0;
  url = '';
  private inFlight = 0;
  private server?: Http2Server;

  constructor(private readonly respond: (call: BedrockCall, n: number) => BedrockReply) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const call = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: text ? JSON.parse(text) : null,
        };
        this.calls.push(call);
        const reply = this.respond(call, this.calls.length);
        setTimeout(async () => {
          if (reply.frames) {
            res.writeHead(reply.status ?? 200, { 'content-type': 'application/vnd.amazon.eventstream' });
            for (const frame of reply.frames) {
              if (frame instanceof Uint8Array) res.write(frame);
              else await frame;
            }
            this.inFlight--;
            res.end();
            return;
          }
          this.inFlight--;
          res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
          res.end(JSON.stringify(reply.body));
        }, reply.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** A client that talks to this endpoint with dummy credentials and no retries of its own. */
  client(): BedrockRuntimeClient {
    return new BedrockRuntimeClient({
      endpoint: this.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDOPRAGTEST', secretAccessKey: 'oprag-test-secret' },
      maxAttempts: 1,
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Bedrock's throttling answer: HTTP 429, the error type in `x-amzn-ErrorType`, a JSON message. */
export const THROTTLED: BedrockReply = {
  status: 429,
  headers: { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/' },
  body: { message: 'Too many requests, please wait before trying again.' },
};

export const UNAVAILABLE: BedrockReply = {
  status: 503,
  headers: { 'x-amzn-errortype': 'ServiceUnavailableException:http://internal.amazon.com/coral/com.amazon.bedrock/' },
  body: { message: 'Bedrock is unable to process your request.' },
};

export const INVALID: BedrockReply = {
  status: 400,
  headers: { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' },
  body: {
    message:
      'Malformed input request: #/dimensions: 300 is not a valid enum value, please reformat your input and try again.',
  },
};

/** A Converse answer, shaped as the API reference documents it. */
export function converseReply(
  text: string,
  inputTokens = 120,
  outputTokens = 30,
  stopReason = 'end_turn',
): BedrockReply {
  return {
    body: {
      output: { message: { role: 'assistant', content: [{ text }] } },
      stopReason,
      usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
      metrics: { latencyMs: 412 },
    },
  };
}

/** One message of the AWS event-stream encoding: `:message-type` event or exception, a JSON payload. */
function frame(kind: 'event' | 'exception', type: string, payload: unknown): Uint8Array {
  return encodeMessage(
    {
      ':message-type': kind,
      [kind === 'event' ? ':event-type' : ':exception-type']: type,
      ':content-type': 'application/json',
    },
    new TextEncoder().encode(JSON.stringify(payload)),
  );
}

/** A ConverseStream event (`messageStart`, `contentBlockDelta`, `messageStop`, `metadata`...). */
export const streamEvent = (type: string, payload: unknown) => frame('event', type, payload);

/** An error inside a ConverseStream answer (`modelStreamErrorException`, `throttlingException`...). */
export const streamException = (type: string, payload: unknown) => frame('exception', type, payload);

/**
 * A ConverseStream answer as the API reference documents its events: `messageStart`, one
 * `contentBlockDelta` per piece of text, `contentBlockStop`, `messageStop` and `metadata`.
 */
export function converseStreamFrames(
  pieces: string[],
  { inputTokens = 120, outputTokens = 30, stopReason = 'end_turn' } = {},
): Uint8Array[] {
  return [
    streamEvent('messageStart', { role: 'assistant' }),
    ...pieces.map((text) => streamEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text } })),
    streamEvent('contentBlockStop', { contentBlockIndex: 0 }),
    streamEvent('messageStop', { stopReason }),
    streamEvent('metadata', {
      usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
      metrics: { latencyMs: 412 },
    }),
  ];
}

/** A question over two passages, asked of the answer model in the generator tests. */
export const REFUND_INPUT: GeneratorInput = {
  question: 'How long do refunds take?',
  passages: [
    { index: 1, title: 'Refund policy', section: 'Refunds', text: 'Refunds are paid within five business days.' },
    { index: 2, title: 'Shipping', section: null, text: 'Orders ship from our warehouse in Lyon.' },
  ],
  termWeights: { refund: 1.2, take: 0.3 },
};

/** The request body Converse and ConverseStream are sent for `REFUND_INPUT`. */
export const REFUND_CONVERSE_BODY = {
  system: [{ text: SYSTEM_PROMPT }],
  messages: [
    {
      role: 'user',
      content: [
        {
          text:
            'Passages:\n\n[1] Refund policy — Refunds\nRefunds are paid within five business days.\n\n' +
            '[2] Shipping\nOrders ship from our warehouse in Lyon.\n\nQuestion: How long do refunds take?',
        },
      ],
    },
  ],
  inferenceConfig: { maxTokens: 300, temperature: 0 },
};
