import OpenAI from 'openai';
import { startTestServer, type TestServer } from '../helpers/server';

interface Oprag {
  grounded: boolean;
  citations: { index: number; document_id: string; url: string | null; title: string | null }[];
  refusal: { reason: string; message: string } | null;
  source_label: string;
  request_id: string;
}

/** The `oprag` object beside `choices`, which OpenAI's types don't know. */
const opragOf = (value: unknown) => (value as { oprag: Oprag }).oprag;

describe('POST /v1/chat/completions with the official OpenAI client', () => {
  let t: TestServer;
  let p: { id: string; key: string };
  let other: { id: string; key: string };
  let openai: OpenAI;
  let refundsId: string;

  beforeAll(async () => {
    t = await startTestServer();
    p = await t.project('compat');
    other = await t.project('another tenant');
    const res = await t.client(p.key).post<{ document: { id: string } }>('/v1/documents?wait=true', {
      title: 'Refund policy',
      url: '/help/refunds',
      text: '# Refunds\n\nRefunds are accepted within 30 days of purchase. Shipping costs are not refunded.\n\n## Store credit\n\nAfter 30 days we offer store credit instead of a refund.',
      content_type: 'text/markdown',
    });
    expect(res.status).toBe(201);
    refundsId = res.body.document.id;
    // the other tenant holds a secret that only its own key may reach
    const secret = await t.client(other.key).post('/v1/documents?wait=true', {
      title: 'Vault',
      text: 'The vault combination of the zebra archive is 7719-ALPHA. Only staff may open the zebra archive.',
    });
    expect(secret.status).toBe(201);
    openai = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: p.key, maxRetries: 0 });
  });
  afterAll(async () => t.close());

  it('answers in the Chat Completions shape, with the [n] markers and the oprag object', async () => {
    const completion = await openai.chat.completions.create({
      model: 'my-model',
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'How many days do I have to ask for a refund?' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('my-model');
    expect(completion.id).toMatch(/^chatcmpl-req_/);
    expect(Number.isInteger(completion.created)).toBe(true);
    expect(completion.choices).toHaveLength(1);
    const choice = completion.choices[0];
    expect(choice.finish_reason).toBe('stop');
    expect(choice.message.role).toBe('assistant');
    expect(choice.message.content).toMatch(/30 days.*\[1\]/);
    const oprag = opragOf(completion);
    expect(Object.keys(oprag).sort()).toEqual(['citations', 'grounded', 'refusal', 'request_id', 'source_label']);
    expect(oprag.grounded).toBe(true);
    expect(oprag.refusal).toBeNull();
    expect(oprag.citations[0]).toMatchObject({ index: 1, document_id: refundsId, url: '/help/refunds' });
    expect(completion.id).toBe(`chatcmpl-${oprag.request_id}`);
  });

  it('answers the same as /v1/chat', async () => {
    const question = 'How many days do I have to ask for a refund?';
    const completion = await openai.chat.completions.create({
      model: 'x',
      messages: [{ role: 'user', content: question }],
    });
    const plain = await t.client(p.key).post<{ answer: string; citations: unknown[] }>('/v1/chat', { question });
    expect(completion.choices[0].message.content).toBe(plain.body.answer);
    expect(opragOf(completion).citations).toEqual(plain.body.citations);
  });

  it('streams chat.completion.chunk events whose content adds up to the answer, then [DONE]', async () => {
    const stream = await openai.chat.completions.create({
      model: 'my-model',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'How many days do I have to ask for a refund?' }] }],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) {
      expect(c.object).toBe('chat.completion.chunk');
      expect(c.model).toBe('my-model');
      expect(c.id).toBe(chunks[0].id);
    }
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const last = chunks[chunks.length - 1];
    expect(last.choices[0].finish_reason).toBe('stop');
    expect(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null)).toBe(true);
    const content = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
    expect(content).toMatch(/30 days.*\[1\]/);
    const oprag = opragOf(last);
    expect(oprag.grounded).toBe(true);
    expect(oprag.citations[0].document_id).toBe(refundsId);

    const whole = await openai.chat.completions.create({
      model: 'my-model',
      messages: [{ role: 'user', content: 'How many days do I have to ask for a refund?' }],
    });
    expect(content).toBe(whole.choices[0].message.content);
  });

  it('ends the raw stream with data: [DONE]', async () => {
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'refund within days?' }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(text).not.toMatch(/^event:/m);
  });

  it('refuses, plain and streamed, with the refusal in the oprag object', async () => {
    const question = 'What is the capital of France?';
    const completion = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: question }],
    });
    const oprag = opragOf(completion);
    expect(oprag.grounded).toBe(false);
    expect(oprag.citations).toEqual([]);
    expect(oprag.refusal?.reason).toBe('no_relevant_documents');
    expect(completion.choices[0].message.content).toBe(oprag.refusal?.message);

    const stream = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: question }],
      stream: true,
    });
    let content = '';
    let last: unknown = null;
    for await (const chunk of stream) {
      content += chunk.choices[0].delta.content ?? '';
      last = chunk;
    }
    expect(content).toBe(oprag.refusal?.message);
    expect(opragOf(last).refusal?.reason).toBe('no_relevant_documents');
  });

  it('gives a bad key 401, which the client raises as an authentication error', async () => {
    const bad = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'oprag_pk_notarealkey', maxRetries: 0 });
    const call = bad.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'refunds?' }] });
    await expect(call).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(call).rejects.toMatchObject({ status: 401, error: { type: 'unauthorized' } });
  });

  it("never answers from another project's documents", async () => {
    const question = 'What is the vault combination of the zebra archive?';
    const mine = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: question }] });
    expect(mine.choices[0].message.content).not.toContain('7719');
    expect(opragOf(mine).refusal?.reason).toBe('no_relevant_documents');
    // the same question with the owner's key is answered: the refusal above is isolation, not the gate
    const owner = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: other.key, maxRetries: 0 });
    const theirs = await owner.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: question }] });
    expect(theirs.choices[0].message.content).toContain('7719');
  });

  it('is for project keys: a company key gets 403, a key without a chat scope 403', async () => {
    const company = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: t.adminKey, maxRetries: 0 });
    await expect(
      company.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'refunds?' }] }),
    ).rejects.toMatchObject({ status: 403 });
    const ingestOnly = await t.admin.post<{ api_key: { key: string } }>(`/v1/projects/${p.id}/keys`, {
      scopes: ['ingest'],
    });
    expect(ingestOnly.status).toBe(201);
    const ingest = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: ingestOnly.body.api_key.key, maxRetries: 0 });
    await expect(
      ingest.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'refunds?' }] }),
    ).rejects.toMatchObject({ status: 403, error: { type: 'forbidden' } });
    // the route has no form with a project in its path
    const long = await t.admin.post(`/v1/projects/${p.id}/chat/completions`, {
      messages: [{ role: 'user', content: 'refunds?' }],
    });
    expect(long.status).toBe(404);
  });

  it('answers bad bodies with the API error body and 400', async () => {
    const post = (body: unknown) =>
      t.client(p.key).post<{ error: { type: string; message: string } }>('/v1/chat/completions', body);
    for (const body of [
      {},
      { messages: [] },
      { messages: 'hello' },
      { messages: [{ role: 'system', content: 'only a system prompt' }] },
      { messages: [{ role: 'user', content: 'x'.repeat(4001) }] },
      { messages: [{ role: 'user', content: 'refunds?' }], stream: 'yes' },
    ]) {
      const res = await post(body);
      expect({ body, status: res.status, type: res.body.error?.type }).toEqual({
        body,
        status: 400,
        type: 'invalid_request',
      });
      expect(res.body.error.message.length).toBeGreaterThan(0);
    }
  });
});
