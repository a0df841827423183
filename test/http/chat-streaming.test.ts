import { gate, ScriptedGenerator } from '../helpers/scripted-generator';
import { startTestServer, type TestServer } from '../helpers/server';

/** Reads Server-Sent Events off a response body as they arrive. */
class EventReader {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** The next event, or null at the end of the body. */
  async next(): Promise<{ event: string; data: unknown } | null> {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const event = block.match(/^event: (.*)$/m)?.[1] ?? 'message';
        const data = block.match(/^data: (.*)$/m)?.[1] ?? 'null';
        return { event, data: data === '[DONE]' ? data : JSON.parse(data) };
      }
      const { value, done } = await this.reader.read();
      if (done) return null;
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }
}

describe('chat streams as the generator writes', () => {
  let t: TestServer;
  let generator: ScriptedGenerator;
  let key: string;
  let projectId: string;

  beforeAll(async () => {
    generator = new ScriptedGenerator({ after: 'The moon is made of green cheese [1].', units: 42 });
    t = await startTestServer({ generator });
    const p = await t.project('streaming');
    key = p.key;
    projectId = p.id;
    const res = await p.client.post('/v1/documents?wait=true', {
      title: 'Refund policy',
      text: 'Refunds are accepted within 30 days of purchase. Shipping costs are never refunded to the buyer.',
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => t.close());

  const open = (path: string, body: unknown) =>
    fetch(`${t.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('sends a checked sentence before the generator has finished, and never an unsupported one', async () => {
    generator.release = gate();
    const res = await open('/v1/chat', { question: 'Are refunds accepted within 30 days of purchase?', stream: true });
    expect(res.status).toBe(200);
    const events = new EventReader((res.body as ReadableStream<Uint8Array>).getReader());

    // the generator is still waiting: this delta can only have come from a streamed body
    const first = await events.next();
    expect(first).toEqual({ event: 'delta', data: { text: 'Refunds are accepted within 30 days of purchase [1].' } });
    generator.release.open();

    const rest: { event: string; data: unknown }[] = [];
    for (let e = await events.next(); e; e = await events.next()) rest.push(e);
    expect(rest.map((e) => e.event)).toEqual(['delta', 'done']);
    expect(rest[0].data).toEqual({ text: ' Shipping costs are never refunded to the buyer [1].' });
    const done = rest[1].data as { answer: string; grounded: boolean; citations: unknown[] };
    expect(done.grounded).toBe(true);
    expect(done.citations).toHaveLength(1);
    expect(done.answer).toBe(
      'Refunds are accepted within 30 days of purchase [1]. Shipping costs are never refunded to the buyer [1].',
    );
    expect(done.answer).not.toContain('cheese');

    // the audit event is written once the stream has ended, with what it answered
    const audit = await t.admin.get<{ events: { action: string; outcome: string; detail: Record<string, unknown> }[] }>(
      `/v1/projects/${projectId}/audit?action=chat`,
    );
    expect(audit.body.events[0]).toMatchObject({ action: 'chat', outcome: 'success' });
    expect(audit.body.events[0].detail).toMatchObject({ grounded: true, refused: false });
  });

  it('streams OpenAI chunks the same way', async () => {
    generator.release = gate();
    const res = await open('/v1/chat/completions', {
      model: 'm',
      stream: true,
      messages: [{ role: 'user', content: 'Are refunds accepted within 30 days of purchase?' }],
    });
    expect(res.status).toBe(200);
    const events = new EventReader((res.body as ReadableStream<Uint8Array>).getReader());
    const role = (await events.next())?.data as { choices: { delta: { role?: string } }[] };
    expect(role.choices[0].delta.role).toBe('assistant');
    const first = (await events.next())?.data as { choices: { delta: { content?: string } }[] };
    expect(first.choices[0].delta.content).toBe('Refunds are accepted within 30 days of purchase [1].');
    generator.release.open();
    const rest: unknown[] = [];
    for (let e = await events.next(); e; e = await events.next()) rest.push(e.data);
    expect(JSON.stringify(rest)).not.toContain('cheese');
    expect(rest[rest.length - 1]).toBe('[DONE]');
  });

  it('the same answer unstreamed drops the unsupported sentence too', async () => {
    generator.release = gate();
    generator.release.open();
    const res = await open('/v1/chat', { question: 'Are refunds accepted within 30 days of purchase?' });
    const body = (await res.json()) as { answer: string };
    expect(body.answer).toBe(
      'Refunds are accepted within 30 days of purchase [1]. Shipping costs are never refunded to the buyer [1].',
    );
  });
});
