import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelServerError, OpenAIChatGenerator } from '../../lambdas/adapters/openai-generator';
import { checkCitations } from '../../lambdas/core/citations';
import { NO_ANSWER, SYSTEM_PROMPT } from '../../lambdas/core/grounded-prompt';
import type { ChatAnswer } from '../../lambdas/core/model';
import type { GeneratedPiece, GeneratorInput } from '../../lambdas/ports';
import { llmSettingsFromEnv, settingsFromEnv } from '../../lambdas/service/context';
import { runCli } from '../helpers/cli';
import { completion, type OpenAIServer, passagesOf, startOpenAIServer, streamedEvents } from '../helpers/openai-server';
import { gate } from '../helpers/scripted-generator';
import { startTestServer, type TestServer } from '../helpers/server';

const INPUT: GeneratorInput = {
  question: 'How long do I have to ask for a refund?',
  passages: [
    { index: 1, title: 'Refund policy', section: 'Refunds', text: 'Refunds are accepted within 30 days of purchase.' },
    { index: 2, title: 'Shipping', section: null, text: 'Orders ship within two business days.' },
  ],
  termWeights: { refund: 1.2 },
};

/** A port nothing listens on: bound, read, released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('OpenAIChatGenerator against a loopback chat-completions server', () => {
  let server: OpenAIServer;
  /** the pauses the generator took between attempts, in ms; none is waited out */
  let pauses: number[] = [];
  beforeEach(async () => {
    server = await startOpenAIServer();
    pauses = [];
  });
  afterEach(async () => {
    await server.close();
  });
  const generator = (extra: Partial<ConstructorParameters<typeof OpenAIChatGenerator>[0]> = {}) =>
    new OpenAIChatGenerator({
      baseUrl: server.baseUrl,
      model: 'test-model',
      baseDelayMs: 5,
      sleep: async (ms) => {
        pauses.push(ms);
      },
      ...extra,
    });

  it('POSTs {base}/chat/completions with the bearer key, the model, the rules and the numbered passages', async () => {
    server.queue.push(completion('Refunds are accepted within 30 days of purchase [1].'));
    await generator({ apiKey: 'sk-test-123', maxTokens: 300 }).generate(INPUT);

    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-test-123');
    expect(req.headers['content-type']).toBe('application/json');
    expect(Object.keys(req.json).sort()).toEqual(['max_tokens', 'messages', 'model', 'stream', 'temperature']);
    expect(req.json).toMatchObject({ model: 'test-model', temperature: 0, max_tokens: 300, stream: false });
    expect(req.json.messages).toEqual([
      { role: 'system', content: SYSTEM_PROMPT },
      {
        role: 'user',
        content:
          'Passages:\n\n' +
          '[1] Refund policy — Refunds\nRefunds are accepted within 30 days of purchase.\n\n' +
          '[2] Shipping\nOrders ship within two business days.\n\n' +
          'Question: How long do I have to ask for a refund?',
      },
    ]);
    expect(SYSTEM_PROMPT).toContain('[1]');
    expect(SYSTEM_PROMPT).toContain(NO_ANSWER);
  });

  it('sends no Authorization header without a key, and keeps a path prefix of the base URL', async () => {
    server.queue.push(completion('Refunds are accepted within 30 days of purchase [1].'));
    await generator({ baseUrl: `${server.baseUrl}/` }).generate(INPUT);

    expect(server.requests[0].path).toBe('/v1/chat/completions');
    expect(server.requests[0].headers).not.toHaveProperty('authorization');
  });

  it('returns choices[0].message.content and usage.total_tokens', async () => {
    server.queue.push(
      completion('  Refunds are accepted within 30 days of purchase [1].\n', {
        prompt_tokens: 90,
        completion_tokens: 12,
      }),
    );
    const out = await generator().generate(INPUT);

    expect(out).toEqual({ text: 'Refunds are accepted within 30 days of purchase [1].', units: 102 });
  });

  it('turns the no-answer sentinel into an empty text, so the core refuses', async () => {
    server.queue.push(completion(`${NO_ANSWER}.`));
    expect(await generator().generate(INPUT)).toEqual({ text: '', units: 150 });
  });

  it('reads content given as parts, drops a reasoning block, and adds up usage without a total', async () => {
    server.queue.push({
      body: {
        choices: [
          {
            message: {
              role: 'assistant',
              content: [
                { type: 'text', text: '<think>the first passage says 30 days</think>Refunds are accepted ' },
                { type: 'text', text: 'within 30 days of purchase [1].' },
              ],
            },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 40, completion_tokens: 9 },
      },
    });
    expect(await generator().generate(INPUT)).toEqual({
      text: 'Refunds are accepted within 30 days of purchase [1].',
      units: 49,
    });
  });

  it('withholds a filtered answer', async () => {
    const filtered = completion('Refunds are accepted within 30 days of purchase [1].');
    (filtered.body as { choices: { finish_reason: string }[] }).choices[0].finish_reason = 'content_filter';
    server.queue.push(filtered);
    expect((await generator().generate(INPUT)).text).toBe('');
  });

  it('retries 429 and 503 with backoff, honouring Retry-After, then answers', async () => {
    server.queue.push(
      { status: 429, body: { error: { message: 'slow down' } }, headers: { 'retry-after': '0' } },
      { status: 503, body: { error: { message: 'loading model' } } },
      completion('Refunds are accepted within 30 days of purchase [1].'),
    );
    const out = await generator().generate(INPUT);

    expect(out.text).toBe('Refunds are accepted within 30 days of purchase [1].');
    expect(server.requests).toHaveLength(3);
    // the same request each time
    expect(new Set(server.requests.map((r) => r.raw)).size).toBe(1);
    // Retry-After: 0 first, then a jittered backoff of at most twice the base delay
    expect(pauses).toHaveLength(2);
    expect(pauses[0]).toBe(0);
    expect(pauses[1]).toBeGreaterThanOrEqual(0);
    expect(pauses[1]).toBeLessThanOrEqual(10);
  });

  it('waits as long as Retry-After says, within the cap', async () => {
    server.queue.push(
      { status: 429, body: {}, headers: { 'retry-after': '1' } },
      { status: 503, body: {}, headers: { 'retry-after': '0.2' } },
      completion('Yes [1].'),
    );
    await generator({ maxDelayMs: 300 }).generate(INPUT);

    expect(server.requests).toHaveLength(3);
    // 1 s capped at 300 ms; 200 ms as asked
    expect(pauses).toEqual([300, 200]);
  });

  it('takes a real pause when no sleep is given', async () => {
    server.queue.push({ status: 503, body: {}, headers: { 'retry-after': '0.05' } }, completion('Yes [1].'));
    const out = await new OpenAIChatGenerator({ baseUrl: server.baseUrl, model: 'test-model' }).generate(INPUT);

    expect(out.text).toBe('Yes [1].');
    expect(server.requests).toHaveLength(2);
  });

  it('gives up after its attempts on a server that stays unavailable', async () => {
    for (let i = 0; i < 3; i++) server.queue.push({ status: 503, body: { error: { message: 'overloaded' } } });
    const failure = generator({ attempts: 3 }).generate(INPUT);

    await expect(failure).rejects.toThrow(ModelServerError);
    await expect(failure).rejects.toThrow(/answered 503: overloaded \(after 3 attempts\)/);
    expect(server.requests).toHaveLength(3);
  });

  it('fails at once with a clear error on 401, without echoing the key', async () => {
    server.queue.push({ status: 401, body: { error: { message: 'Incorrect API key provided' } } });
    const error = await generator({ apiKey: 'sk-secret-value' })
      .generate(INPUT)
      .catch((e: ModelServerError) => e);

    expect(error).toBeInstanceOf(ModelServerError);
    expect((error as ModelServerError).status).toBe(401);
    expect((error as Error).message).toMatch(/refused the credentials \(401\): Incorrect API key provided/);
    expect((error as Error).message).toMatch(/OPRAG_LLM_API_KEY/);
    expect((error as Error).message).not.toContain('sk-secret-value');
    expect(server.requests).toHaveLength(1);
  });

  it('fails at once with the server message on 400', async () => {
    server.queue.push({ status: 400, body: { error: { message: 'max_tokens is too large: 999999' } } });
    await expect(generator().generate(INPUT)).rejects.toThrow(/rejected the request \(400\): max_tokens is too large/);
    expect(server.requests).toHaveLength(1);
  });

  it('points at the URL and model on 404', async () => {
    const wrong = generator({ baseUrl: server.baseUrl.replace(/\/v1$/, '/v2') });
    await expect(wrong.generate(INPUT)).rejects.toThrow(
      /answered 404: no route POST \/v2\/chat\/completions.*OPRAG_LLM_BASE_URL/,
    );
  });

  it('fails clearly on a 200 that is not JSON, and on JSON that is no chat completion', async () => {
    server.queue.push({ status: 200, body: '<html>proxy login</html>' });
    await expect(generator().generate(INPUT)).rejects.toThrow(
      /answered 200 with a body that is not JSON: <html>proxy login/,
    );

    server.queue.push({ status: 200, body: { data: [{ embedding: [0.1] }] } });
    await expect(generator().generate(INPUT)).rejects.toThrow(/without choices\[0\]\.message\.content/);
    // neither is retried
    expect(server.requests).toHaveLength(2);
  });

  it('times out an attempt that takes too long, without retrying it', async () => {
    // the server never answers: only the timeout can end the call
    server.queue.push({ ...completion('late [1].'), never: true });
    await expect(generator({ timeoutMs: 200 }).generate(INPUT)).rejects.toThrow(/did not answer within 200 ms/);

    expect(server.requests).toHaveLength(1);
    expect(pauses).toEqual([]);
  });

  it('retries a refused connection, then says it could not reach the server', async () => {
    const port = await closedPort();
    const down = new OpenAIChatGenerator({
      baseUrl: `http://127.0.0.1:${port}/v1`,
      model: 'm',
      attempts: 2,
      baseDelayMs: 5,
    });
    await expect(down.generate(INPUT)).rejects.toThrow(
      /could not reach the model server .*ECONNREFUSED.*after 2 attempts/,
    );
  });

  it('refuses a base URL that is not http(s)', () => {
    expect(() => new OpenAIChatGenerator({ baseUrl: 'file:///etc/passwd', model: 'm' })).toThrow(/http\(s\)/);
    expect(() => new OpenAIChatGenerator({ baseUrl: 'localhost:8080', model: 'm' })).toThrow(/http\(s\)/);
  });

  describe('stream()', () => {
    const collect = async (pieces: AsyncIterable<GeneratedPiece>) => {
      const out: GeneratedPiece[] = [];
      for await (const piece of pieces) out.push(piece);
      return out;
    };

    it('asks for a stream with its usage, and passes each piece on as it arrives, before the rest is written', async () => {
      const rest = gate();
      server.queue.push({
        events: streamedEvents(['Refunds are accepted ', 'within 30 days', ' of purchase [1].'], {
          usage: { prompt_tokens: 100, completion_tokens: 12 },
        }),
        holdAfter: 2, // the role chunk and the first piece; the server then waits
        hold: rest.opened,
      });
      const pieces = generator({ apiKey: 'sk-stream' }).stream(INPUT)[Symbol.asyncIterator]();
      // the model server has written one piece and holds the rest: this can only be streamed
      expect(await pieces.next()).toEqual({ done: false, value: { text: 'Refunds are accepted ' } });
      rest.open();
      const after: GeneratedPiece[] = [];
      for (let next = await pieces.next(); !next.done; next = await pieces.next()) after.push(next.value);
      expect(after).toEqual([{ text: 'within 30 days' }, { text: ' of purchase [1].' }, { units: 112 }]);

      const [req] = server.requests;
      expect(req.json).toMatchObject({ model: 'test-model', stream: true, stream_options: { include_usage: true } });
      expect(req.headers.accept).toBe('text/event-stream');
      expect(req.headers.authorization).toBe('Bearer sk-stream');
    });

    it('yields no text for the no-answer sentinel split across pieces, and drops a reasoning block', async () => {
      server.queue.push({ events: streamedEvents(['NO_', 'ANS', 'WER.']) });
      expect(await collect(generator().stream(INPUT))).toEqual([{ units: 0 }]);

      server.queue.push({
        events: streamedEvents(['<thi', 'nk>the refund window', ' is 30 days</think>', '\nRefunds take 30 days [1].']),
      });
      expect(await collect(generator().stream(INPUT))).toEqual([{ text: 'Refunds take 30 days [1].' }, { units: 0 }]);

      // an answer that only begins like the sentinel is sent once it can't be the sentinel
      server.queue.push({ events: streamedEvents(['NO', ' refunds after 30 days [1].']) });
      expect(await collect(generator().stream(INPUT))).toEqual([
        { text: 'NO refunds after 30 days [1].' },
        { units: 0 },
      ]);
    });

    it('marks a filtered answer withheld, and ends with the error a server streams', async () => {
      server.queue.push({ events: streamedEvents(['Refunds are'], { finish: 'content_filter' }) });
      const filtered = await collect(generator().stream(INPUT));
      expect(filtered.at(-1)).toEqual({ units: 0, withheld: true });

      server.queue.push({ events: [streamedEvents(['Refunds'])[1], { error: { message: 'the model overloaded' } }] });
      await expect(collect(generator().stream(INPUT))).rejects.toThrow(
        /ended its stream with an error: .*the model overloaded/,
      );
      server.queue.push({ events: ['{not json'] });
      await expect(collect(generator().stream(INPUT))).rejects.toThrow(/a stream event that is not JSON/);
    });

    it('retries 503 before the stream opens, and reads a server that answers one JSON completion instead', async () => {
      server.queue.push({ status: 503, body: { error: { message: 'loading' } } });
      server.queue.push({ events: streamedEvents(['Refunds take 30 days [1].']) });
      expect(await collect(generator().stream(INPUT))).toEqual([{ text: 'Refunds take 30 days [1].' }, { units: 0 }]);
      expect(server.requests).toHaveLength(2);
      expect(pauses).toHaveLength(1);

      server.queue.push(completion('Refunds are accepted within 30 days of purchase [1].'));
      expect(await collect(generator().stream(INPUT))).toEqual([
        { text: 'Refunds are accepted within 30 days of purchase [1].' },
        { units: 150 },
      ]);
    });

    it('times out a stream that stops in the middle', async () => {
      server.queue.push({
        events: streamedEvents(['Refunds are', ' accepted [1].']),
        holdAfter: 2,
        hold: gate().opened,
      });
      await expect(collect(generator({ timeoutMs: 300 }).stream(INPUT))).rejects.toThrow(
        /did not finish its answer within 300 ms/,
      );
    });
  });
});

describe('OPRAG_LLM_* configuration', () => {
  it('keeps the extractive answerer when OPRAG_LLM_BASE_URL is unset or empty', () => {
    expect(llmSettingsFromEnv({})).toBeNull();
    expect(llmSettingsFromEnv({ OPRAG_LLM_BASE_URL: '  ', OPRAG_LLM_MODEL: 'm' })).toBeNull();
    expect(settingsFromEnv({})).not.toHaveProperty('llm');
  });

  it('accepts an http(s) URL, loopback included, and trims a trailing slash', () => {
    expect(
      settingsFromEnv({
        OPRAG_LLM_BASE_URL: 'http://127.0.0.1:11434/v1/',
        OPRAG_LLM_MODEL: 'llama3.1:8b',
        OPRAG_LLM_API_KEY: 'sk-x',
      }).llm,
    ).toEqual({ baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3.1:8b', apiKey: 'sk-x' });
    expect(
      llmSettingsFromEnv({ OPRAG_LLM_BASE_URL: 'https://api.openai.com/v1', OPRAG_LLM_MODEL: 'gpt-4o-mini' }),
    ).toEqual({ baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini' });
  });

  it.each([
    ['ftp://models.internal/v1', /must be an http\(s\) URL, got the ftp: scheme/],
    ['not a url', /must be an http\(s\) URL such as/],
    ['http://user:pass@127.0.0.1/v1', /must not hold credentials/],
    ['http://127.0.0.1/v1?key=1', /must not have a query/],
  ])('refuses OPRAG_LLM_BASE_URL=%s', (url, message) => {
    expect(() => llmSettingsFromEnv({ OPRAG_LLM_BASE_URL: url, OPRAG_LLM_MODEL: 'm' })).toThrow(message);
  });

  it('requires OPRAG_LLM_MODEL with a base URL', () => {
    expect(() => llmSettingsFromEnv({ OPRAG_LLM_BASE_URL: 'http://127.0.0.1:1/v1' })).toThrow(/OPRAG_LLM_MODEL/);
  });

  it('stops `oprag serve` at start-up with the message', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'oprag-llm-cli-'));
    try {
      const out = await runCli(['serve', '--port', '0', '--data-dir', dataDir], {
        env: { OPRAG_LLM_BASE_URL: 'ftp://models.internal/v1', OPRAG_LLM_MODEL: 'm' },
        timeoutMs: 30_000,
      });
      expect(out.status).toBe(1);
      expect(out.stderr).toMatch(/oprag: OPRAG_LLM_BASE_URL must be an http\(s\) URL/);
      expect(out.stdout).not.toMatch(/listening/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 40_000);
});

describe('/v1/chat on a local server composed with the model server', () => {
  let model: OpenAIServer;
  let home: TestServer;
  let project: Awaited<ReturnType<TestServer['project']>>;
  const docs: Record<string, string> = {};

  beforeAll(async () => {
    model = await startOpenAIServer();
    home = await startTestServer({
      settings: { llm: { baseUrl: model.baseUrl, model: 'test-model', apiKey: 'sk-e2e-key' } },
    });
    project = await home.project('Acme');
    for (const [title, url, text] of [
      [
        'Refund policy',
        '/help/refunds',
        '# Refunds\n\nRefunds are accepted within 30 days of purchase. Shipping costs are not refunded.',
      ],
      ['Shipping', '/help/shipping', '# Shipping\n\nOrders ship within two business days from our warehouse in Lyon.'],
    ]) {
      const res = await project.client.post<{ document: { id: string; status: string } }>('/v1/documents?wait=true', {
        title,
        url,
        text,
      });
      expect(res.status).toBe(201);
      docs[url] = res.body.document.id;
    }
  });
  afterAll(async () => {
    await home?.close();
    await model?.close();
  });
  beforeEach(() => {
    model.requests.length = 0;
    model.queue.length = 0;
  });

  it('answers with citations that link to the documents the model cited', async () => {
    const res = await project.client.post<ChatAnswer>('/v1/chat', {
      question: 'How long do I have to ask for a refund?',
    });

    expect(res.status).toBe(200);
    expect(model.requests).toHaveLength(1);
    const sent = model.requests[0];
    expect(sent.headers.authorization).toBe('Bearer sk-e2e-key');
    expect(sent.json.model).toBe('test-model');
    const passages = passagesOf(sent.json.messages[1].content);
    const refund = passages.find((p) => p.text.includes('30 days'))!;
    expect(refund.heading).toBe('Refund policy — Refunds');

    expect(res.body.grounded).toBe(true);
    expect(res.body.refusal).toBeNull();
    expect(res.body.answer).toBe('Refunds are accepted within 30 days of purchase [1].');
    expect(res.body.citations).toHaveLength(1);
    expect(res.body.citations[0]).toMatchObject({
      index: 1,
      document_id: docs['/help/refunds'],
      title: 'Refund policy',
      url: '/help/refunds',
      section: 'Refunds',
      snippet: 'Refunds are accepted within 30 days of purchase.',
    });
  });

  it('renumbers the citations in the order the answer uses them', async () => {
    // a second document that answers the same question as fully as the first, so both are passages
    const extra = await project.client.post<{ document: { id: string } }>('/v1/documents?wait=true', {
      title: 'Refund exceptions',
      url: '/help/refund-exceptions',
      text: '# Exceptions\n\nRefunds are accepted for a purchase of gift cards only as store credit.',
    });
    expect(extra.status).toBe(201);
    try {
      model.queue.push((req) => {
        const passages = passagesOf(req.json.messages[1].content);
        const credit = passages.find((p) => p.text.includes('store credit'))!;
        const days = passages.find((p) => p.text.includes('30 days'))!;
        // the passage retrieved second is cited first
        const [first, second] = credit.index > days.index ? [credit, days] : [days, credit];
        const sentence = (p: { text: string }) => p.text.split(/(?<=\.)\s+/)[0].replace(/\.$/, '');
        return completion(`${sentence(first)} [${first.index}]. ${sentence(second)} [${second.index}].`);
      });
      const res = await project.client.post<ChatAnswer>('/v1/chat', {
        question: 'Are refunds accepted for a purchase?',
      });

      expect(res.status).toBe(200);
      expect(model.requests).toHaveLength(1);
      const passages = passagesOf(model.requests[0].json.messages[1].content);
      expect(passages.length).toBeGreaterThanOrEqual(2);
      expect(res.body.grounded).toBe(true);
      expect(res.body.citations.map((c) => c.index)).toEqual([1, 2]);
      // citation 1 is the passage the answer used first, whichever number the model gave it
      const later =
        passages.find((p) => p.text.includes('store credit'))!.index >
        passages.find((p) => p.text.includes('30 days'))!.index;
      const urls = ['/help/refund-exceptions', '/help/refunds'];
      expect(res.body.citations.map((c) => c.url)).toEqual(later ? urls : [...urls].reverse());
      expect(res.body.answer).toMatch(/^[^[]+\[1\]\. [^[]+\[2\]\.$/);
    } finally {
      await project.client.request('DELETE', `/v1/documents/${extra.body.document.id}`);
    }
  });

  it('refuses when the model cites nothing that supports its answer', async () => {
    model.queue.push(completion('Refunds are paid in gold bars delivered by drone [1]. They arrive on Mars [7].'));
    const res = await project.client.post<ChatAnswer>('/v1/chat', {
      question: 'How long do I have to ask for a refund?',
    });

    expect(model.requests).toHaveLength(1);
    expect(res.status).toBe(200);
    expect(res.body.grounded).toBe(false);
    expect(res.body.citations).toEqual([]);
    expect(res.body.refusal?.reason).toBe('no_relevant_documents');
  });

  it('refuses when the model answers the no-answer sentinel', async () => {
    model.queue.push(completion(NO_ANSWER));
    const res = await project.client.post<ChatAnswer>('/v1/chat', {
      question: 'How long do I have to ask for a refund?',
    });

    expect(model.requests).toHaveLength(1);
    expect(res.body.grounded).toBe(false);
    expect(res.body.citations).toEqual([]);
  });

  it('answers a 500 with the API.md error body, no internals, when the model server refuses the key', async () => {
    model.queue.push({ status: 401, body: { error: { message: 'Incorrect API key provided: sk-e2e-key' } } });
    const res = await project.client.post<{ error: { type: string; message: string; request_id: string } }>(
      '/v1/chat',
      { question: 'How long do I have to ask for a refund?' },
    );

    expect(res.status).toBe(500);
    expect(res.body.error.type).toBe('internal');
    expect(res.body.error.request_id).toMatch(/^req_/);
    expect(JSON.stringify(res.body)).not.toMatch(/sk-e2e-key|127\.0\.0\.1|chat\/completions/);
  });

  it('streams /v1/chat as the model writes: a checked sentence leaves while the model still holds the rest', async () => {
    const rest = gate();
    model.queue.push((req) => {
      const user = req.json.messages.find((m: { role: string }) => m.role === 'user').content as string;
      const n = passagesOf(user).find((p) => p.text.includes('Refunds are accepted'))?.index;
      return {
        events: streamedEvents(
          [
            'Refunds are accepted within ',
            `30 days of purchase [${n}].`,
            ' Shipping',
            ' costs are not refunded',
            ` [${n}].`,
          ],
          { usage: { prompt_tokens: 200, completion_tokens: 20 } },
        ),
        holdAfter: 4, // the role chunk, the first sentence and the start of the second
        hold: rest.opened,
      };
    });
    const res = await fetch(`${home.url}/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${project.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'How long do I have to ask for a refund?', stream: true }),
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const nextEvent = async (): Promise<{ event: string; data: unknown } | null> => {
      for (;;) {
        const end = text.indexOf('\n\n');
        if (end >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          return {
            event: block.match(/^event: (.*)$/m)?.[1] ?? '',
            data: JSON.parse(block.match(/^data: (.*)$/m)?.[1] ?? ''),
          };
        }
        const read = await reader.read();
        if (read.done) return null;
        text += decoder.decode(read.value, { stream: true });
      }
    };
    // the model server holds the rest of its answer: this delta can only have been streamed
    expect(await nextEvent()).toEqual({
      event: 'delta',
      data: { text: 'Refunds are accepted within 30 days of purchase [1].' },
    });
    rest.open();
    const after: { event: string; data: unknown }[] = [];
    for (let e = await nextEvent(); e; e = await nextEvent()) after.push(e);
    expect(after.map((e) => e.event)).toEqual(['delta', 'done']);
    expect(after[0].data).toEqual({ text: ' Shipping costs are not refunded [1].' });
    const done = after[1].data as ChatAnswer;
    expect(done.grounded).toBe(true);
    expect(done.answer).toBe(
      'Refunds are accepted within 30 days of purchase [1]. Shipping costs are not refunded [1].',
    );
    expect(done.citations.map((c) => c.document_id)).toEqual([docs['/help/refunds']]);
    expect(model.requests[0].json).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('streams the no-answer sentinel as a refusal, with no text of the model', async () => {
    model.queue.push({ events: streamedEvents(['NO_ANS', 'WER']) });
    const res = await fetch(`${home.url}/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${project.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'How long do I have to ask for a refund?', stream: true }),
    });
    const body = await res.text();
    expect(body).not.toContain('NO_');
    const done = JSON.parse((body.match(/event: done\ndata: (.*)\n\n$/) as RegExpMatchArray)[1]) as ChatAnswer;
    expect(done.grounded).toBe(false);
    expect(done.refusal?.reason).toBe('no_relevant_documents');
  });
});

// The generator against a real model server (a local llama.cpp or Ollama server, or any
// OpenAI-compatible endpoint), only when one is configured the way an operator configures it:
// OPRAG_LLM_BASE_URL, OPRAG_LLM_MODEL and OPRAG_LLM_API_KEY. The wire format is tested above against
// a loopback server; this checks that a real model, given Oprag's prompt, answers from the passages
// with citations the core accepts, and declines what they do not hold. Run this file alone with them
// set (other suites start servers that would pick the model up in place of the extractive answerer):
//   OPRAG_LLM_BASE_URL=http://127.0.0.1:11434/v1 OPRAG_LLM_MODEL=<model> npx jest test/http/openai-generator.test.ts
const live = llmSettingsFromEnv(process.env);
if (live) {
  process.stdout.write(`Running the generator contract against ${live.baseUrl} (${live.model})\n`);
  describe(`OpenAIChatGenerator against the configured model server ${live.baseUrl}`, () => {
    const PASSAGES: GeneratorInput['passages'] = [
      {
        index: 1,
        title: 'Refund policy',
        section: 'Refunds',
        text: 'Refunds are accepted within 30 days of purchase. After 30 days, store credit is offered instead.',
      },
      {
        index: 2,
        title: 'Shipping',
        section: null,
        text: 'Orders ship within two business days. Express shipping arrives the next day.',
      },
    ];
    const model = new OpenAIChatGenerator(live);

    it('answers from the passages, citing the one that holds the answer', async () => {
      const { text } = await model.generate({
        question: 'How long do I have to ask for a refund?',
        passages: PASSAGES,
        termWeights: { refund: 2, long: 0.5 },
      });
      const checked = checkCitations(text, PASSAGES);
      expect(checked.used).toContain(1);
      expect(checked.answer).toMatch(/30/);
    }, 300_000);

    it('declines a question the passages do not answer, so the core refuses', async () => {
      const { text } = await model.generate({
        question: 'What is the capital of Australia?',
        passages: PASSAGES,
        termWeights: { capital: 2, australia: 2 },
      });
      // the no-answer sentinel (an empty text) or nothing the citation check accepts
      expect(checkCitations(text, PASSAGES).used).toEqual([]);
    }, 300_000);

    it('streams the same kind of answer in pieces, with its usage last', async () => {
      const pieces: GeneratedPiece[] = [];
      for await (const piece of model.stream({
        question: 'How long do I have to ask for a refund?',
        passages: PASSAGES,
        termWeights: { refund: 2, long: 0.5 },
      }))
        pieces.push(piece);
      const text = pieces.map((p) => ('text' in p ? p.text : '')).join('');
      const checked = checkCitations(text, PASSAGES);
      expect(checked.used).toContain(1);
      expect(checked.answer).toMatch(/30/);
      expect(pieces.at(-1)).toHaveProperty('units');
    }, 300_000);
  });
} else {
  process.stdout.write(
    'The generator contract against a real model server was skipped because OPRAG_LLM_BASE_URL is not set.\n',
  );
}
