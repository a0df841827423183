// the SDK's Node 20 notices (older and newer SDK versions name the switch differently)
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { classifyBedrockError, smokeModels } from '../../lambdas/adapters/aws/bedrock-smoke';
import { runCli } from '../helpers/cli';
import {
  type BedrockCall,
  type BedrockReply,
  converseReply,
  converseStreamFrames,
  FakeBedrock,
  streamEvent,
  streamException,
  THROTTLED,
  UNAVAILABLE,
} from './bedrock-fake';

const EMBED = 'amazon.titan-embed-text-v2:0';
const GENERATE = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';

const coral = (type: string) => ({
  'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
});

/** Bedrock's answer to the first call of a third-party model the account has not subscribed to. */
const MARKETPLACE_DENIED: BedrockReply = {
  status: 403,
  headers: coral('AccessDeniedException'),
  body: {
    message:
      'Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access to this model.',
  },
};
const WRONG_ID: BedrockReply = {
  status: 400,
  headers: coral('ValidationException'),
  body: { message: 'The provided model identifier is invalid.' },
};
const NOT_FOUND: BedrockReply = {
  status: 404,
  headers: coral('ResourceNotFoundException'),
  body: { message: 'The requested model was not found.' },
};
/** Bedrock's answer while Anthropic's first-use form has not been submitted for the account. */
const NO_USE_CASE: BedrockReply = {
  status: 404,
  headers: coral('ResourceNotFoundException'),
  body: {
    message:
      'Model use case details have not been submitted for this account. Fill out the Anthropic use case details form before using the model.',
  },
};
const titanOk: BedrockReply = { body: { embedding: Array(1024).fill(0), inputTextTokenCount: 3 } };

const streamOk: BedrockReply = { body: null, frames: converseStreamFrames(['ready']) };

/**
 * Answers the embedding call with `embed`, the Converse call with `generate` and the
 * ConverseStream call with `stream` (by default the same as `generate`: a JSON error, or a
 * streamed "ready" when `generate` answers).
 */
const byOperation =
  (embed: BedrockReply, generate: BedrockReply, stream: BedrockReply = generate.status ? generate : streamOk) =>
  (call: BedrockCall) =>
    call.path.endsWith('/converse') ? generate : call.path.endsWith('/converse-stream') ? stream : embed;

describe('smokeModels', () => {
  let fake: FakeBedrock;
  afterEach(async () => {
    await fake.close();
  });

  const run = () =>
    smokeModels({ client: fake.client(), embedModelId: EMBED, embedDimensions: 1024, generateModelId: GENERATE });

  it('calls each model once, as the functions do, with the inference profile id in the Converse path', async () => {
    fake = await new FakeBedrock(byOperation(titanOk, converseReply('ready', 12, 1))).start();

    const results = await run();

    expect(results.map((r) => [r.role, r.modelId, r.outcome])).toEqual([
      ['embed', EMBED, 'ok'],
      ['generate', GENERATE, 'ok'],
      ['generate-stream', GENERATE, 'ok'],
    ]);
    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /model/amazon.titan-embed-text-v2%3A0/invoke',
      'POST /model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse',
      'POST /model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse-stream',
    ]);
    expect(fake.calls[0].body).toEqual({ inputText: 'oprag smoke test', dimensions: 1024, normalize: true });
    expect(fake.calls[1].body).toMatchObject({ inferenceConfig: { maxTokens: 5, temperature: 0 } });
    expect(fake.calls[2].body).toEqual(fake.calls[1].body);
  });

  it('reports a refused ConverseStream apart from Converse, naming the streaming right', async () => {
    fake = await new FakeBedrock(byOperation(titanOk, converseReply('ready'), MARKETPLACE_DENIED)).start();

    const [, generate, stream] = await run();

    expect(generate.outcome).toBe('ok');
    expect(stream).toMatchObject({
      role: 'generate-stream',
      outcome: 'access-denied',
      error: { name: 'AccessDeniedException', status: 403 },
    });
    expect(stream.advice).toMatch(/bedrock:InvokeModelWithResponseStream/);
  });

  it.each([
    ['throttlingException', 'throttled', 'ThrottlingException'],
    ['serviceUnavailableException', 'unavailable', 'ServiceUnavailableException'],
    ['modelStreamErrorException', 'failed', 'ModelStreamErrorException'],
  ] as const)('classifies a %s inside the stream as %s', async (type, outcome, name) => {
    const frames = [
      streamEvent('messageStart', { role: 'assistant' }),
      streamException(type, { message: 'the stream broke off' }),
    ];
    fake = await new FakeBedrock(byOperation(titanOk, converseReply('ready'), { body: null, frames })).start();

    const [, generate, stream] = await run();

    expect(generate.outcome).toBe('ok');
    expect(stream).toMatchObject({ outcome, error: { name, message: 'the stream broke off' } });
  });

  it('reports a stream that ends without text as failed', async () => {
    const frames = converseStreamFrames([]);
    fake = await new FakeBedrock(byOperation(titanOk, converseReply('ready'), { body: null, frames })).start();

    const [, , stream] = await run();

    expect(stream).toMatchObject({ outcome: 'failed', error: { message: expect.stringMatching(/without any text/) } });
  });

  it('reports a refused first call as the subscription step, and the Marketplace rights it needs', async () => {
    fake = await new FakeBedrock(byOperation(titanOk, MARKETPLACE_DENIED)).start();

    const [embed, generate] = await run();

    expect(embed.outcome).toBe('ok');
    expect(generate).toMatchObject({
      outcome: 'access-denied',
      error: { name: 'AccessDeniedException', status: 403, message: expect.stringMatching(/AWS Marketplace actions/) },
    });
    expect(generate.advice).toMatch(/aws-marketplace:Subscribe/);
    expect(generate.advice).toMatch(/first-use form/);
  });

  it.each([
    ['a ValidationException', 'wrong-id', WRONG_ID],
    ['a ResourceNotFoundException', 'wrong-id', NOT_FOUND],
    ['a missing first-use form', 'access-denied', NO_USE_CASE],
    ['throttling', 'throttled', THROTTLED],
    ['unavailability', 'unavailable', UNAVAILABLE],
  ] as const)('reports %s as %s, after one call only', async (_what, outcome, reply) => {
    fake = await new FakeBedrock(byOperation(reply, reply)).start();

    const results = await run();

    expect(results.map((r) => r.outcome)).toEqual([outcome, outcome, outcome]);
    expect(fake.calls).toHaveLength(3);
  });

  it('classifies by the error type first, then by the HTTP status', () => {
    expect(classifyBedrockError({ name: 'AccessDeniedException' })).toBe('access-denied');
    expect(classifyBedrockError({ name: 'Unknown', $metadata: { httpStatusCode: 429 } })).toBe('throttled');
    expect(classifyBedrockError({ name: 'InternalServerException', $metadata: { httpStatusCode: 500 } })).toBe(
      'failed',
    );
    expect(classifyBedrockError(undefined)).toBe('failed');
  });
});

describe('oprag smoke-models', () => {
  let fake: FakeBedrock;
  afterEach(async () => {
    await fake.close();
  });

  const env = () => ({
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: fake.url,
    AWS_ACCESS_KEY_ID: 'AKIDOPRAGTEST',
    AWS_SECRET_ACCESS_KEY: 'oprag-test-secret',
    AWS_REGION: 'us-east-2',
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });

  it("calls the default models with the operator's credentials in their Region and exits 0 when both answer", async () => {
    fake = await new FakeBedrock(byOperation(titanOk, converseReply('ready'))).start();

    const out = await runCli(['smoke-models'], { env: env() });

    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('Bedrock models in us-east-2:');
    expect(out.stdout).toMatch(/ok +embedding +amazon\.titan-embed-text-v2:0/);
    expect(out.stdout).toMatch(/ok +answers +us\.anthropic\.claude-haiku-4-5-20251001-v1:0/);
    expect(out.stdout).toMatch(/ok +streaming +us\.anthropic\.claude-haiku-4-5-20251001-v1:0/);
    expect(out.stdout).toContain('Every call answered.');
    expect(fake.calls.map((c) => c.path)).toEqual([
      '/model/amazon.titan-embed-text-v2%3A0/invoke',
      '/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse',
      '/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse-stream',
    ]);
    expect(fake.calls[1].headers.authorization).toMatch(
      /Credential=AKIDOPRAGTEST\/\d{8}\/us-east-2\/bedrock\/aws4_request/,
    );
  });

  it('says what is missing for each model and exits 1', async () => {
    fake = await new FakeBedrock(byOperation(WRONG_ID, MARKETPLACE_DENIED)).start();

    const out = await runCli(
      [
        'smoke-models',
        '--embed-model',
        'amazon.titan-embed-text-v9:0',
        '--generate-model',
        'eu.anthropic.claude-x',
        '--json',
      ],
      { env: env() },
    );

    expect(out.status).toBe(1);
    const report = JSON.parse(out.stdout) as { region: string; results: { modelId: string; outcome: string }[] };
    expect(report.region).toBe('us-east-2');
    expect(report.results.map((r) => [r.modelId, r.outcome])).toEqual([
      ['amazon.titan-embed-text-v9:0', 'wrong-id'],
      ['eu.anthropic.claude-x', 'access-denied'],
      ['eu.anthropic.claude-x', 'access-denied'],
    ]);
  });

  it('prints the advice in the text report', async () => {
    fake = await new FakeBedrock(byOperation(titanOk, THROTTLED)).start();

    const out = await runCli(['smoke-models', '--region', 'us-west-2'], { env: env() });

    expect(out.status).toBe(1);
    expect(out.stdout).toContain('Bedrock models in us-west-2:');
    expect(out.stdout).toMatch(/THROTTLED answers +us\.anthropic/);
    expect(out.stdout).toMatch(/ThrottlingException \(HTTP 429\): Too many requests/);
    expect(out.stdout).toMatch(/-> the model answered that it is throttled/);
    expect(out.stdout).toMatch(/THROTTLED streaming +us\.anthropic/);
    expect(out.stdout).toContain('2 of 3 calls did not answer.');
    expect(fake.calls).toHaveLength(3);
  });

  it('refuses an embedding size that is not a number, before calling anything', async () => {
    fake = await new FakeBedrock(byOperation(titanOk, converseReply('ready'))).start();

    const out = await runCli(['smoke-models', '--embed-dimensions', 'many'], { env: env() });

    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/--embed-dimensions must be a positive integer/);
    expect(fake.calls).toHaveLength(0);
  });
});
