// the SDK's Node 20 notices (older and newer SDK versions name the switch differently)
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { BedrockConverseGenerator, NO_ANSWER } from '../../lambdas/adapters/aws/bedrock-generator';
import { CitationStream } from '../../lambdas/core/citation-stream';
import { OutOfTime } from '../../lambdas/core/time-budget';
import type { GeneratedPiece } from '../../lambdas/ports';
import {
  converseStreamFrames,
  FakeBedrock,
  REFUND_CONVERSE_BODY,
  REFUND_INPUT,
  streamEvent,
  streamException,
  THROTTLED,
} from './bedrock-fake';

const PROFILE_MODEL = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const fast = { attempts: 3, baseDelayMs: 1 };

const INPUT = REFUND_INPUT;

async function collect(pieces: AsyncIterable<GeneratedPiece>): Promise<GeneratedPiece[]> {
  const out: GeneratedPiece[] = [];
  for await (const piece of pieces) out.push(piece);
  return out;
}

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('BedrockConverseGenerator.stream', () => {
  let fake: FakeBedrock;
  afterEach(async () => {
    await fake.close();
  });

  it('sends the Converse request to converse-stream under an inference profile id, and yields each delta then the tokens', async () => {
    fake = await new FakeBedrock(() => ({
      body: null,
      frames: converseStreamFrames(['Refunds are paid', ' within five business days [1].'], {
        inputTokens: 180,
        outputTokens: 12,
      }),
    })).start();
    const generator = new BedrockConverseGenerator({ client: fake.client(), modelId: PROFILE_MODEL, maxTokens: 300 });

    const pieces = await collect(generator.stream(INPUT));

    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse-stream',
    ]);
    expect(fake.calls[0].headers['content-type']).toBe('application/json');
    expect(fake.calls[0].headers.authorization).toMatch(
      /Credential=AKIDOPRAGTEST\/\d{8}\/us-east-1\/bedrock\/aws4_request/,
    );
    expect(fake.calls[0].body).toEqual(REFUND_CONVERSE_BODY);
    expect(pieces).toEqual([{ text: 'Refunds are paid' }, { text: ' within five business days [1].' }, { units: 192 }]);
  });

  it('passes a delta on before the model has finished', async () => {
    const rest = gate();
    const frames = converseStreamFrames(['Refunds are paid within five business days [1].', ' Nothing else [1].']);
    // messageStart and the first delta, then the rest only once the test has seen the first piece
    fake = await new FakeBedrock(() => ({
      body: null,
      frames: [...frames.slice(0, 2), rest.opened, ...frames.slice(2)],
    })).start();
    const generator = new BedrockConverseGenerator({ client: fake.client(), modelId: PROFILE_MODEL });

    const pieces = generator.stream(INPUT)[Symbol.asyncIterator]();
    const first = await pieces.next();
    expect(first.value).toEqual({ text: 'Refunds are paid within five business days [1].' });
    rest.open();
    expect(await collect({ [Symbol.asyncIterator]: () => pieces })).toEqual([
      { text: ' Nothing else [1].' },
      { units: 150 },
    ]);
  });

  it('yields no text for the no-answer sentinel, even split across deltas, and still counts the tokens', async () => {
    fake = await new FakeBedrock(() => ({
      body: null,
      frames: converseStreamFrames([' NO_', 'ANS', 'WER', '.\n'], { inputTokens: 150, outputTokens: 3 }),
    })).start();
    const generator = new BedrockConverseGenerator({ client: fake.client(), modelId: PROFILE_MODEL });

    expect(await collect(generator.stream(INPUT))).toEqual([{ units: 153 }]);
    expect(NO_ANSWER).toBe('NO_ANSWER');
  });

  it('sends text that only began like the sentinel, whole, once it is not the sentinel', async () => {
    fake = await new FakeBedrock(() => ({
      body: null,
      frames: converseStreamFrames([' NO', ' refund is paid after', ' thirty days [1].']),
    })).start();
    const generator = new BedrockConverseGenerator({ client: fake.client(), modelId: PROFILE_MODEL });

    expect(await collect(generator.stream(INPUT))).toEqual([
      { text: 'NO refund is paid after' },
      { text: ' thirty days [1].' },
      { units: 150 },
    ]);
  });

  it('says the text was withheld when a guardrail intervened', async () => {
    fake = await new FakeBedrock(() => ({
      body: null,
      frames: converseStreamFrames(['Sorry, the model cannot answer.'], {
        inputTokens: 90,
        outputTokens: 8,
        stopReason: 'guardrail_intervened',
      }),
    })).start();
    const generator = new BedrockConverseGenerator({ client: fake.client(), modelId: PROFILE_MODEL });

    expect(await collect(generator.stream(INPUT))).toEqual([
      { text: 'Sorry, the model cannot answer.' },
      { units: 98, withheld: true },
    ]);
  });

  it('ends with the error a stream breaks with after its first text, and does not call again', async () => {
    fake = await new FakeBedrock(() => ({
      body: null,
      frames: [
        streamEvent('messageStart', { role: 'assistant' }),
        streamEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Refunds are paid' } }),
        streamException('modelStreamErrorException', {
          message: 'The model stopped streaming.',
          originalStatusCode: 500,
          originalMessage: 'internal error',
        }),
      ],
    })).start();
    const generator = new BedrockConverseGenerator({ client: fake.client(), modelId: PROFILE_MODEL, retry: fast });

    const seen: GeneratedPiece[] = [];
    const error = await (async () => {
      for await (const piece of generator.stream(INPUT)) seen.push(piece);
    })().catch((e: Error) => e);

    expect(seen).toEqual([{ text: 'Refunds are paid' }]);
    expect(error).toMatchObject({ name: 'ModelStreamErrorException', message: 'The model stopped streaming.' });
    expect(fake.calls).toHaveLength(1);
  });

  it('retries a refused call (HTTP 429) and a stream that opens with throttling, then answers', async () => {
    const replies = [
      THROTTLED,
      { body: null, frames: [streamException('throttlingException', { message: 'Too many tokens, please wait.' })] },
      { body: null, frames: converseStreamFrames(['Refunds are paid within five business days [1].']) },
    ];
    fake = await new FakeBedrock((_call, n) => replies[n - 1]).start();
    const generator = new BedrockConverseGenerator({ client: fake.client(), modelId: PROFILE_MODEL, retry: fast });

    expect(await collect(generator.stream(INPUT))).toEqual([
      { text: 'Refunds are paid within five business days [1].' },
      { units: 150 },
    ]);
    expect(fake.calls).toHaveLength(3);
  });

  it('starts no call inside the time margin', async () => {
    fake = await new FakeBedrock(() => ({ body: null, frames: converseStreamFrames(['x [1].']) })).start();
    const generator = new BedrockConverseGenerator({
      client: fake.client(),
      modelId: PROFILE_MODEL,
      retry: { remainingMs: () => 20_000, marginMs: 30_000 },
    });

    await expect(collect(generator.stream(INPUT))).rejects.toBeInstanceOf(OutOfTime);
    expect(fake.calls).toHaveLength(0);
  });

  it("end to end: the core's citation stream sends the supported sentence and drops the other", async () => {
    fake = await new FakeBedrock(() => ({
      body: null,
      frames: converseStreamFrames([
        'Refunds are paid within five ',
        'business days [1]. Refunds are also paid in cash',
        ' at any store [2].',
      ]),
    })).start();
    const generator = new BedrockConverseGenerator({ client: fake.client(), modelId: PROFILE_MODEL });
    const checked = new CitationStream(INPUT.passages);
    const sent: string[] = [];

    for await (const piece of generator.stream(INPUT)) if ('text' in piece) sent.push(...checked.push(piece.text));
    sent.push(...checked.end());

    expect(sent).toEqual(['Refunds are paid within five business days [1].']);
    expect(checked.used).toEqual([1]);
  });
});
