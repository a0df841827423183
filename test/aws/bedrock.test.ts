// the SDK's Node 20 notices (older and newer SDK versions name the switch differently)
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { BedrockTitanEmbedder } from '../../lambdas/adapters/aws/bedrock-embedder';
import { BedrockConverseGenerator, NO_ANSWER, SYSTEM_PROMPT } from '../../lambdas/adapters/aws/bedrock-generator';
import { checkCitations } from '../../lambdas/core/citations';
import {
  converseReply,
  FakeBedrock,
  INVALID,
  REFUND_CONVERSE_BODY,
  REFUND_INPUT,
  THROTTLED,
  UNAVAILABLE,
} from './bedrock-fake';

const EMBED_MODEL = 'amazon.titan-embed-text-v2:0';
const CHAT_MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const fast = { attempts: 3, baseDelayMs: 1 };

/** A Titan v2 answer whose embedding encodes the input's length, so tests can tell answers apart. */
const titanReply = (inputText: string, dimensions: number, delayMs = 0) => ({
  delayMs,
  body: {
    embedding: Array.from({ length: dimensions }, (_, i) => (i === 0 ? inputText.length : 0)),
    inputTextTokenCount: inputText.split(' ').length,
    embeddingsByType: { float: [] },
  },
});

describe('BedrockTitanEmbedder', () => {
  let fake: FakeBedrock;
  afterEach(async () => {
    await fake.close();
  });

  it('invokes Titan v2 once per text, with the configured dimensions, normalized, and sums the tokens', async () => {
    fake = await new FakeBedrock((call) => titanReply((call.body as { inputText: string }).inputText, 256)).start();
    const embedder = new BedrockTitanEmbedder({
      client: fake.client(),
      modelId: EMBED_MODEL,
      dimensions: 256,
      retry: fast,
    });

    const result = await embedder.embed(['refunds take five days', 'receipts'], 'document');

    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /model/amazon.titan-embed-text-v2%3A0/invoke',
      'POST /model/amazon.titan-embed-text-v2%3A0/invoke',
    ]);
    expect(fake.calls[0].headers['content-type']).toBe('application/json');
    expect(fake.calls[0].headers.accept).toBe('application/json');
    expect(fake.calls[0].headers.authorization).toMatch(
      /Credential=AKIDOPRAGTEST\/\d{8}\/us-east-1\/bedrock\/aws4_request/,
    );
    expect(fake.calls.map((c) => c.body)).toEqual([
      { inputText: 'refunds take five days', dimensions: 256, normalize: true },
      { inputText: 'receipts', dimensions: 256, normalize: true },
    ]);
    expect(result.vectors.map((v) => [v.length, v[0]])).toEqual([
      [256, 22],
      [256, 8],
    ]);
    expect(result.units).toBe(5);
    expect(embedder.dimensions).toBe(256);
  });

  it('keeps at most `concurrency` calls in flight and the vectors in input order', async () => {
    fake = await new FakeBedrock((call) => titanReply((call.body as { inputText: string }).inputText, 512, 25)).start();
    const embedder = new BedrockTitanEmbedder({
      client: fake.client(),
      modelId: EMBED_MODEL,
      dimensions: 512,
      concurrency: 3,
    });
    const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee', 'ffffff', 'ggggggg'];

    const result = await embedder.embed(texts, 'document');

    expect(fake.maxInFlight).toBe(3);
    expect(fake.calls).toHaveLength(7);
    expect(result.vectors.map((v) => v[0])).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('retries a throttled call (429 ThrottlingException) and then succeeds', async () => {
    fake = await new FakeBedrock((call, n) =>
      n === 1 ? THROTTLED : titanReply((call.body as { inputText: string }).inputText, 1024),
    ).start();
    const embedder = new BedrockTitanEmbedder({
      client: fake.client(),
      modelId: EMBED_MODEL,
      dimensions: 1024,
      retry: fast,
    });

    const result = await embedder.embed(['warranty'], 'query');

    expect(fake.calls).toHaveLength(2);
    expect(result.vectors[0][0]).toBe(8);
    expect(result.units).toBe(1);
  });

  it('gives up after the bounded attempts with the ThrottlingException', async () => {
    fake = await new FakeBedrock(() => THROTTLED).start();
    const embedder = new BedrockTitanEmbedder({
      client: fake.client(),
      modelId: EMBED_MODEL,
      dimensions: 256,
      retry: fast,
    });

    await expect(embedder.embed(['x'], 'query')).rejects.toMatchObject({
      name: 'ThrottlingException',
      message: 'Too many requests, please wait before trying again.',
    });
    expect(fake.calls).toHaveLength(3);
  });

  it('surfaces a validation error at once', async () => {
    fake = await new FakeBedrock(() => INVALID).start();
    const embedder = new BedrockTitanEmbedder({
      client: fake.client(),
      modelId: EMBED_MODEL,
      dimensions: 256,
      retry: fast,
    });

    await expect(embedder.embed(['x'], 'query')).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Malformed input request'),
    });
    expect(fake.calls).toHaveLength(1);
  });

  it('refuses a size Titan v2 does not make, and an answer of the wrong size', async () => {
    fake = await new FakeBedrock(() => titanReply('x', 256)).start();
    expect(() => new BedrockTitanEmbedder({ client: fake.client(), modelId: EMBED_MODEL, dimensions: 300 })).toThrow(
      '256, 512, 1024',
    );
    const embedder = new BedrockTitanEmbedder({ client: fake.client(), modelId: EMBED_MODEL, dimensions: 512 });
    await expect(embedder.embed(['x'], 'query')).rejects.toThrow('without a 512-dimension embedding');
  });
});

const INPUT = REFUND_INPUT;

describe('BedrockConverseGenerator', () => {
  let fake: FakeBedrock;
  afterEach(async () => {
    await fake.close();
  });

  it('sends the grounded system prompt and the numbered passages, and counts input + output tokens', async () => {
    fake = await new FakeBedrock(() =>
      converseReply('Refunds are paid within five business days [1].', 180, 12),
    ).start();
    const generator = new BedrockConverseGenerator({ client: fake.client(), modelId: CHAT_MODEL, maxTokens: 300 });

    const result = await generator.generate(INPUT);

    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /model/anthropic.claude-3-haiku-20240307-v1%3A0/converse',
    ]);
    expect(fake.calls[0].body).toEqual(REFUND_CONVERSE_BODY);
    expect(SYSTEM_PROMPT).toContain('[1]');
    expect(SYSTEM_PROMPT).toContain(`reply with exactly ${NO_ANSWER}`);
    expect(result).toEqual({ text: 'Refunds are paid within five business days [1].', units: 192 });
  });

  it('turns the no-answer sentinel into an empty text, still counting the tokens', async () => {
    fake = await new FakeBedrock(() => converseReply(`${NO_ANSWER}.\n`, 150, 3)).start();
    const generator = new BedrockConverseGenerator({ client: fake.client(), modelId: CHAT_MODEL });

    expect(await generator.generate(INPUT)).toEqual({ text: '', units: 153 });
  });

  it('withholds text a guardrail intervened on', async () => {
    fake = await new FakeBedrock(() =>
      converseReply('Sorry, the model cannot answer.', 90, 8, 'guardrail_intervened'),
    ).start();
    const generator = new BedrockConverseGenerator({ client: fake.client(), modelId: CHAT_MODEL });

    expect(await generator.generate(INPUT)).toEqual({ text: '', units: 98 });
  });

  it('retries throttling and unavailability, then answers', async () => {
    const replies = [THROTTLED, UNAVAILABLE, converseReply('Refunds are paid within five business days [1].')];
    fake = await new FakeBedrock((_call, n) => replies[n - 1]).start();
    const generator = new BedrockConverseGenerator({ client: fake.client(), modelId: CHAT_MODEL, retry: fast });

    const result = await generator.generate(INPUT);

    expect(fake.calls).toHaveLength(3);
    expect(result.text).toBe('Refunds are paid within five business days [1].');
  });

  it("end to end: the core's citation check drops a sentence citing a passage that does not support it", async () => {
    const answer = 'Refunds are paid within five business days [1]. Refunds are also paid in cash at any store [2].';
    fake = await new FakeBedrock(() => converseReply(answer)).start();
    const generator = new BedrockConverseGenerator({ client: fake.client(), modelId: CHAT_MODEL });

    const generated = await generator.generate(INPUT);
    const checked = checkCitations(generated.text, INPUT.passages);

    expect(generated.text).toBe(answer);
    expect(checked.answer).toBe('Refunds are paid within five business days [1].');
    expect(checked.dropped).toEqual(['Refunds are also paid in cash at any store [2].']);
    expect(checked.used).toEqual([1]);
  });
});

describe('inference profile ids', () => {
  let fake: FakeBedrock;
  afterEach(async () => {
    await fake.close();
  });

  it.each([
    ['us.anthropic.claude-haiku-4-5-20251001-v1:0', '/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse'],
    ['eu.anthropic.claude-haiku-4-5-20251001-v1:0', '/model/eu.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse'],
    ['apac.anthropic.claude-sonnet-4-20250514-v1:0', '/model/apac.anthropic.claude-sonnet-4-20250514-v1%3A0/converse'],
    [
      'global.anthropic.claude-haiku-4-5-20251001-v1:0',
      '/model/global.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse',
    ],
    [
      'arn:aws:bedrock:us-east-2:111122223333:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0',
      '/model/arn%3Aaws%3Abedrock%3Aus-east-2%3A111122223333%3Ainference-profile%2Fus.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse',
    ],
  ])('Converse names %s as the modelId of the request path', async (modelId, path) => {
    fake = await new FakeBedrock(() => converseReply('Refunds are paid within five business days [1].')).start();
    const generator = new BedrockConverseGenerator({ client: fake.client(), modelId });

    const result = await generator.generate(INPUT);

    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual([`POST ${path}`]);
    // the body names no model: the profile travels in the path only
    expect(Object.keys(fake.calls[0].body as object).sort()).toEqual(['inferenceConfig', 'messages', 'system']);
    expect(result.text).toBe('Refunds are paid within five business days [1].');
  });

  it('InvokeModel names an embedding profile id in the request path, with the same Titan body', async () => {
    fake = await new FakeBedrock((call) => titanReply((call.body as { inputText: string }).inputText, 256)).start();
    const embedder = new BedrockTitanEmbedder({
      client: fake.client(),
      modelId: 'us.amazon.titan-embed-text-v2:0',
      dimensions: 256,
    });

    await embedder.embed(['refunds'], 'query');

    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /model/us.amazon.titan-embed-text-v2%3A0/invoke',
    ]);
    expect(fake.calls[0].body).toEqual({ inputText: 'refunds', dimensions: 256, normalize: true });
  });
});

// Against the real Bedrock, only when asked for and with credentials in the environment.
const haveCredentials = Boolean(
  process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE || process.env.AWS_WEB_IDENTITY_TOKEN_FILE,
);
if (process.env.OPRAG_TEST_BEDROCK === '1' && haveCredentials) {
  const region = process.env.OPRAG_TEST_BEDROCK_REGION ?? process.env.AWS_REGION ?? 'us-east-1';
  const chatModel = process.env.OPRAG_TEST_BEDROCK_CHAT_MODEL ?? 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
  process.stdout.write(
    `Running the Bedrock contract against the real Bedrock in ${region} (${EMBED_MODEL}, ${chatModel})\n`,
  );
  describe('Bedrock adapters against the real service', () => {
    const client = new BedrockRuntimeClient({ region });
    jest.setTimeout(60_000);

    it('embeds texts into unit vectors of the configured size', async () => {
      const embedder = new BedrockTitanEmbedder({ client, modelId: EMBED_MODEL, dimensions: 256 });

      const { vectors, units } = await embedder.embed(['Refunds are paid within five days.', 'refund time'], 'query');

      expect(vectors.map((v) => v.length)).toEqual([256, 256]);
      expect(Math.hypot(...vectors[0])).toBeCloseTo(1, 2);
      expect(units).toBeGreaterThan(0);
    });

    it('answers from the passages with markers the citation check keeps, and refuses what they do not hold', async () => {
      const generator = new BedrockConverseGenerator({ client, modelId: chatModel });

      const answered = await generator.generate(INPUT);
      const refused = await generator.generate({ ...INPUT, question: 'What is the CEO’s home address?' });

      expect(checkCitations(answered.text, INPUT.passages).used).toContain(1);
      expect(answered.units).toBeGreaterThan(0);
      expect(refused.text).toBe('');
    });
  });
} else {
  process.stdout.write(
    'The Bedrock contract run against the real service was skipped because OPRAG_TEST_BEDROCK=1 and AWS credentials are not both set.\n',
  );
}
