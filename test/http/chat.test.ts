import type { ApiClient } from '../../lambdas/client/api-client';
import type { ChatAnswer } from '../../lambdas/core/model';
import { startTestServer, type TestServer } from '../helpers/server';

const ANSWER_KEYS = ['answer', 'citations', 'grounded', 'latency_ms', 'refusal', 'request_id', 'source_label'];
const CITATION_KEYS = ['chunk_id', 'document_id', 'index', 'page', 'score', 'section', 'snippet', 'title', 'url'];

/** The `[n]` markers of an answer, in order. */
const markers = (answer: string) => [...answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));

/** Checks the shape of API.md's chat answer and that every marker names a citation and back. */
function expectCitedAnswer(a: ChatAnswer) {
  expect(Object.keys(a).sort()).toEqual(ANSWER_KEYS);
  expect(a.grounded).toBe(true);
  expect(a.refusal).toBeNull();
  expect(a.source_label).toBe('From your uploaded documents');
  expect(a.request_id).toMatch(/^req_[0-9a-z]{26}$/);
  expect(Number.isInteger(a.latency_ms)).toBe(true);
  expect(a.latency_ms).toBeGreaterThanOrEqual(0);
  expect(a.answer.trim().length).toBeGreaterThan(0);
  expect(a.citations.length).toBeGreaterThan(0);
  a.citations.forEach((c, i) => {
    expect(Object.keys(c).sort()).toEqual(CITATION_KEYS);
    expect(c.index).toBe(i + 1);
    expect(c.document_id).toMatch(/^doc_[0-9a-z]{26}$/);
    expect(c.chunk_id).toMatch(/^chk_[0-9a-z]{26}$/);
    expect(typeof c.snippet).toBe('string');
    expect(c.snippet.length).toBeGreaterThan(0);
    expect(typeof c.score).toBe('number');
    expect(c.score).toBeGreaterThan(0);
    expect(c.score).toBeLessThanOrEqual(1);
    expect(c.page === null || typeof c.page === 'number').toBe(true);
    expect(c.section === null || typeof c.section === 'string').toBe(true);
  });
  const used = markers(a.answer);
  expect(used.length).toBeGreaterThan(0);
  const indexes = new Set(a.citations.map((c) => c.index));
  for (const n of used) expect(indexes).toContain(n);
  for (const c of a.citations) expect(used).toContain(c.index);
}

function expectRefusal(a: ChatAnswer) {
  expect(Object.keys(a).sort()).toEqual(ANSWER_KEYS);
  expect(a.grounded).toBe(false);
  expect(a.citations).toEqual([]);
  expect(a.refusal).not.toBeNull();
  expect(Object.keys(a.refusal ?? {}).sort()).toEqual(['message', 'reason']);
  expect(a.refusal?.reason).toBe('no_relevant_documents');
  expect(a.refusal?.message.length).toBeGreaterThan(0);
  expect(a.answer).toBe(a.refusal?.message);
  expect(markers(a.answer)).toEqual([]);
  expect(a.source_label).toBe('From your uploaded documents');
  expect(a.request_id).toMatch(/^req_/);
}

interface SseEvent {
  event: string;
  data: unknown;
}

/** Parses a Server-Sent Events body into its events (blank-line separated blocks). */
function parseSse(body: string): SseEvent[] {
  return body
    .split(/\n\n/)
    .filter((block) => block.trim())
    .map((block) => {
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      return { event, data: JSON.parse(data.join('\n')) };
    });
}

describe('chat over HTTP', () => {
  let t: TestServer;
  let p: { id: string; key: string; client: ApiClient };
  const docs: Record<string, string> = {};

  const chat = (body: Record<string, unknown>, client: ApiClient = p.client, path = '/v1/chat') =>
    client.post<ChatAnswer>(path, body);

  beforeAll(async () => {
    t = await startTestServer();
    p = await t.project('chat');
    const sources = {
      refunds: {
        title: 'Refund policy',
        url: '/help/refunds',
        text: '# Refunds\n\nRefunds are accepted within 30 days of purchase. Shipping costs are not refunded.\n\n## Store credit\n\nAfter 30 days we offer store credit instead of a refund.',
        content_type: 'text/markdown',
      },
      shipping: {
        title: 'Shipping',
        url: '/help/shipping',
        text: 'Orders ship within two business days. Express delivery arrives the next business day.\n\nYou can track an order from the Orders page of your account.',
      },
      warranty: {
        title: 'Warranty',
        url: '/help/warranty',
        text: 'Every blender carries a two-year warranty covering the motor. The warranty does not cover broken glass jars.',
      },
    };
    for (const [name, body] of Object.entries(sources)) {
      const res = await p.client.post<{ document: { id: string } }>('/v1/documents?wait=true', body);
      expect(res.status).toBe(201);
      docs[name] = res.body.document.id;
    }
  });
  afterAll(async () => t.close());

  describe('a cited answer', () => {
    it('has exactly the shape of API.md, and every [n] names a citation', async () => {
      const res = await chat({ question: 'How many days do I have to ask for a refund?' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/json');
      const a = res.body;
      expectCitedAnswer(a);
      expect(a.request_id).toBe(res.headers.get('x-request-id'));
      expect(a.answer).toMatch(/30 days/);
      expect(a.citations[0]).toMatchObject({
        document_id: docs.refunds,
        title: 'Refund policy',
        url: '/help/refunds',
        page: null,
        section: 'Refunds',
      });
      expect(a.citations[0].snippet).toMatch(/30 days/);
    });

    it('cites chunks of this project whose text holds each snippet', async () => {
      const res = await chat({ question: 'Does the blender warranty cover the motor and glass jars?' });
      expectCitedAnswer(res.body);
      const retrieved = await p.client.post<{ results: { chunk_id: string; document_id: string; text: string }[] }>(
        '/v1/retrieve',
        { query: 'blender warranty motor glass jars', top_k: 50 },
      );
      for (const c of res.body.citations) {
        const chunk = retrieved.body.results.find((r) => r.chunk_id === c.chunk_id);
        expect(chunk).toBeDefined();
        expect(chunk?.document_id).toBe(c.document_id);
        expect(chunk?.text).toContain(c.snippet.replace(/\.\.\.$/, ''));
      }
      expect(res.body.citations.map((c) => c.document_id)).toContain(docs.warranty);
    });

    it('the long form with the admin key gives the same answer and citations', async () => {
      const question = 'How fast do orders ship?';
      const short = await chat({ question });
      const long = await chat({ question }, t.admin, `/v1/projects/${p.id}/chat`);
      expect(long.status).toBe(200);
      expectCitedAnswer(long.body);
      expect(long.body.answer).toBe(short.body.answer);
      expect(long.body.citations).toEqual(short.body.citations);
      expect(long.body.request_id).not.toBe(short.body.request_id);
      expect(long.body.citations[0].document_id).toBe(docs.shipping);
    });

    it('an answer drawing on two passages numbers its citations 1..n, and top_k limits them', async () => {
      const question = 'Are refunds accepted after 30 days, or do I get store credit?';
      const wide = await chat({ question });
      expectCitedAnswer(wide.body);
      expect(wide.body.citations.length).toBeGreaterThanOrEqual(2);
      expect(new Set(wide.body.citations.map((c) => c.chunk_id)).size).toBe(wide.body.citations.length);
      expect(wide.body.citations.map((c) => c.section)).toEqual(
        expect.arrayContaining(['Refunds', 'Refunds > Store credit']),
      );
      expect(markers(wide.body.answer)).toEqual(expect.arrayContaining([1, 2]));

      const narrow = await chat({ question, top_k: 1 });
      expectCitedAnswer(narrow.body);
      expect(narrow.body.citations).toHaveLength(1);
      expect(markers(narrow.body.answer).every((n) => n === 1)).toBe(true);
    });
  });

  describe('refusals', () => {
    it.each([
      'What is the capital of France?',
      'Where is my order ZX99812?',
      'What is the status of order ZX99812?',
      'How do I configure a Kubernetes ingress controller?',
      'Who won the football world cup in 1998?',
    ])('refuses %p instead of guessing', async (question) => {
      const res = await chat({ question });
      expect(res.status).toBe(200);
      expectRefusal(res.body);
      expect(res.body.request_id).toBe(res.headers.get('x-request-id'));
    });

    it('refuses in an empty project', async () => {
      const empty = await t.project('empty');
      const res = await chat({ question: 'How many days do I have to ask for a refund?' }, empty.client);
      expect(res.status).toBe(200);
      expectRefusal(res.body);
    });

    it('refuses when a filter excludes the documents that hold the answer', async () => {
      const res = await chat({
        question: 'How many days do I have to ask for a refund?',
        filter: { document_ids: [docs.warranty] },
      });
      expectRefusal(res.body);
    });
  });

  describe('messages', () => {
    it('answers the last user message', async () => {
      const res = await chat({
        messages: [
          { role: 'user', content: 'What is the capital of France?' },
          { role: 'assistant', content: "I couldn't find an answer to that." },
          { role: 'user', content: 'How many days do I have to ask for a refund?' },
        ],
      });
      expect(res.status).toBe(200);
      expectCitedAnswer(res.body);
      expect(res.body.citations[0].document_id).toBe(docs.refunds);
      expect(res.body.answer).toMatch(/30 days/);
    });

    it('earlier user messages do not answer for the last one', async () => {
      const res = await chat({
        messages: [
          { role: 'user', content: 'How many days do I have to ask for a refund?' },
          { role: 'assistant', content: 'Refunds are accepted within 30 days of purchase [1].' },
          { role: 'user', content: 'What is the capital of France?' },
        ],
      });
      expect(res.status).toBe(200);
      expectRefusal(res.body);
    });

    it('a trailing assistant message is skipped for the last user message', async () => {
      const res = await chat({
        messages: [
          { role: 'user', content: 'Does the warranty cover broken glass jars?' },
          { role: 'assistant', content: 'Let me check.' },
        ],
      });
      expectCitedAnswer(res.body);
      expect(res.body.citations[0].document_id).toBe(docs.warranty);
    });
  });

  describe('stream: true', () => {
    async function stream(body: Record<string, unknown>) {
      const res = await fetch(`${t.url}/v1/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${p.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, stream: true }),
      });
      return { status: res.status, headers: res.headers, text: await res.text() };
    }

    it('sends delta events and then one done event holding the whole answer', async () => {
      const question = 'How many days do I have to ask for a refund?';
      const res = await stream({ question });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(res.text).toMatch(/^event: delta\ndata: /m);
      expect(res.text).toMatch(/event: done\ndata: .*\n\n$/);

      const events = parseSse(res.text);
      const deltas = events.filter((e) => e.event === 'delta');
      const done = events.filter((e) => e.event === 'done');
      expect(deltas.length).toBeGreaterThan(0);
      expect(done).toHaveLength(1);
      expect(events[events.length - 1].event).toBe('done');
      expect(events.every((e) => e.event === 'delta' || e.event === 'done')).toBe(true);

      const whole = done[0].data as ChatAnswer;
      expectCitedAnswer(whole);
      expect(whole.request_id).toBe(res.headers.get('x-request-id'));
      const text = deltas.map((d) => (d.data as { text: string }).text).join('');
      expect(text).toBe(whole.answer);
      for (const d of deltas) expect(Object.keys(d.data as object)).toEqual(['text']);

      const plain = await chat({ question });
      expect(whole.answer).toBe(plain.body.answer);
      expect(whole.citations).toEqual(plain.body.citations);
    });

    it('streams a refusal the same way', async () => {
      const res = await stream({ question: 'What is the capital of France?' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const events = parseSse(res.text);
      const done = events.filter((e) => e.event === 'done');
      expect(done).toHaveLength(1);
      const whole = done[0].data as ChatAnswer;
      expectRefusal(whole);
      const text = events
        .filter((e) => e.event === 'delta')
        .map((d) => (d.data as { text: string }).text)
        .join('');
      expect(text).toBe(whole.answer);
    });

    it('stream: false gives plain JSON', async () => {
      const res = await chat({ question: 'How fast do orders ship?', stream: false });
      expect(res.headers.get('content-type')).toContain('application/json');
      expectCitedAnswer(res.body);
    });
  });
});
