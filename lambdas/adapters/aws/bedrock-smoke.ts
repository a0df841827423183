import {
  type BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
} from '@aws-sdk/client-bedrock-runtime';

export interface SmokeModelsOptions {
  /** A client with the operator's credentials, in the stage's Region. */
  client: BedrockRuntimeClient;
  embedModelId: string;
  embedDimensions: number;
  generateModelId: string;
}

/** What one call to a model showed. */
export type SmokeOutcome = 'ok' | 'access-denied' | 'wrong-id' | 'throttled' | 'unavailable' | 'failed';

export interface SmokeResult {
  /** `generate-stream`: the answer model through ConverseStream, as chat calls it when it streams */
  role: 'embed' | 'generate' | 'generate-stream';
  modelId: string;
  outcome: SmokeOutcome;
  /** The service's error type and message, when the call failed. */
  error?: { name: string; message: string; status?: number };
  /** What the operator does next. */
  advice: string;
}

interface ServiceError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const ADVICE: Record<SmokeOutcome, (modelId: string) => string> = {
  ok: () => 'answers',
  'access-denied': (id) =>
    `this account may not use ${id} yet. A third-party model (Anthropic's Claude, for one) is enabled by its first call: ` +
    'an operator whose credentials allow aws-marketplace:Subscribe, aws-marketplace:ViewSubscriptions and ' +
    'bedrock:InvokeModel calls it once (this command, or the Bedrock console playground), which starts the AWS ' +
    "Marketplace subscription; Anthropic's models also ask once per account for the first-use form (Bedrock console, " +
    'model catalog). Wait a few minutes after the subscription and run this again. If the model is already enabled, ' +
    'the credentials you run this with lack bedrock:InvokeModel on it, or an organization policy (SCP) denies a Region the profile routes to',
  'wrong-id': (id) =>
    `Bedrock does not know ${id} as written here: check the id against the model catalog, that the model is offered ` +
    'in this Region, and whether it is offered only through a cross-Region inference profile (then configure the ' +
    'profile id, us.<model id>, eu.<model id>, apac.<model id> or global.<model id>); for the embedding model, ' +
    'also that embedDimensions is a size the model makes',
  throttled: () =>
    'the model answered that it is throttled: try again shortly, or ask for a higher quota (Service Quotas, Amazon Bedrock)',
  unavailable: () => 'Bedrock is unavailable for this model right now: try again later',
  failed: () => 'an unexpected error: see the message',
};

/** Maps an error of the Bedrock Runtime API to what it means for a configured model. */
export function classifyBedrockError(error: unknown): SmokeOutcome {
  const e = (error ?? {}) as ServiceError;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  if (name === 'AccessDeniedException' || status === 403) return 'access-denied';
  // Anthropic's first-use form not yet submitted: Bedrock says so with a not-found error
  if (/use case/i.test(e.message ?? '')) return 'access-denied';
  if (name === 'ValidationException' || name === 'ResourceNotFoundException' || status === 404) return 'wrong-id';
  if (name === 'ThrottlingException' || name === 'TooManyRequestsException' || status === 429) return 'throttled';
  if (name === 'ServiceUnavailableException' || name === 'ModelNotReadyException' || status === 503)
    return 'unavailable';
  return 'failed';
}

async function probe(role: SmokeResult['role'], modelId: string, call: () => Promise<unknown>): Promise<SmokeResult> {
  try {
    await call();
    return { role, modelId, outcome: 'ok', advice: ADVICE.ok(modelId) };
  } catch (error) {
    const e = error as ServiceError;
    const outcome = classifyBedrockError(error);
    return {
      role,
      modelId,
      outcome,
      error: { name: e.name ?? 'Error', message: e.message ?? String(error), status: e.$metadata?.httpStatusCode },
      advice: ADVICE[outcome](modelId),
    };
  }
}

/**
 * Reads a ConverseStream answer to its end: an error the stream carries (throttling, a model
 * error) surfaces here as the error it is; a stream that ends without any text is a failure too.
 */
async function readStream(client: BedrockRuntimeClient, command: ConverseStreamCommand): Promise<void> {
  const out = await client.send(command);
  if (!out.stream) throw new Error('Bedrock answered ConverseStream without an event stream');
  let text = '';
  for await (const event of out.stream) text += event.contentBlockDelta?.delta?.text ?? '';
  if (!text) throw new Error('the ConverseStream answer ended without any text');
}

/**
 * Calls each configured model once, as the functions call them (InvokeModel with a Titan v2 body
 * for the embedding model, Converse for the answer model, and ConverseStream too: streamed chat
 * needs bedrock:InvokeModelWithResponseStream, a right of its own), with a few tokens each, and
 * reports what each call showed. No retries: a throttled call is reported as such.
 */
export async function smokeModels(opts: SmokeModelsOptions): Promise<SmokeResult[]> {
  const embed = await probe('embed', opts.embedModelId, () =>
    opts.client.send(
      new InvokeModelCommand({
        modelId: opts.embedModelId,
        contentType: 'application/json',
        accept: 'application/json',
        body: JSON.stringify({ inputText: 'oprag smoke test', dimensions: opts.embedDimensions, normalize: true }),
      }),
    ),
  );
  const generate = await probe('generate', opts.generateModelId, () =>
    opts.client.send(
      new ConverseCommand({
        modelId: opts.generateModelId,
        messages: [{ role: 'user', content: [{ text: 'Reply with the single word: ready' }] }],
        inferenceConfig: { maxTokens: 5, temperature: 0 },
      }),
    ),
  );
  const stream = await probe('generate-stream', opts.generateModelId, () =>
    readStream(
      opts.client,
      new ConverseStreamCommand({
        modelId: opts.generateModelId,
        messages: [{ role: 'user', content: [{ text: 'Reply with the single word: ready' }] }],
        inferenceConfig: { maxTokens: 5, temperature: 0 },
      }),
    ),
  );
  if (stream.outcome === 'access-denied' && generate.outcome === 'ok') {
    stream.advice =
      'Converse answers but ConverseStream is refused: streamed chat needs bedrock:InvokeModelWithResponseStream on ' +
      `${opts.generateModelId} (the credentials you run this with, and the chat function's role), beside bedrock:InvokeModel`;
  }
  return [embed, generate, stream];
}

const LABELS: Record<SmokeResult['role'], string> = {
  embed: 'embedding',
  generate: 'answers',
  'generate-stream': 'streaming',
};

/** The report an operator reads: one block per call. */
export function formatSmokeReport(results: SmokeResult[], region: string | undefined): string {
  const lines = [`Bedrock models in ${region ?? 'the default Region'}:`];
  for (const r of results) {
    const label = LABELS[r.role];
    if (r.outcome === 'ok') {
      lines.push(`  ok       ${label}  ${r.modelId}`);
      continue;
    }
    lines.push(`  ${r.outcome.toUpperCase().padEnd(8)} ${label}  ${r.modelId}`);
    lines.push(`           ${r.error?.name}${r.error?.status ? ` (HTTP ${r.error.status})` : ''}: ${r.error?.message}`);
    lines.push(`           -> ${r.advice}`);
  }
  const failed = results.filter((r) => r.outcome !== 'ok').length;
  lines.push(failed === 0 ? 'Every call answered.' : `${failed} of ${results.length} calls did not answer.`);
  return lines.join('\n');
}
