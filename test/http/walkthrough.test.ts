import type { ChatAnswer } from '../../lambdas/core/model';
import { startTestServer, type TestServer } from '../helpers/server';

/** The README's walkthrough document, as a vendor would send it. */
const REFUND_POLICY = {
  title: 'Refund policy',
  url: '/help/refunds',
  text: '# Refunds\n\nRefunds are accepted within 45 days of purchase. Items must be unused and in their original packaging.\n\n# Shipping\n\nWe ship every order within two business days. Shipping costs are not refunded.',
};

describe("the README walkthrough's refund document", () => {
  let t: TestServer;
  let p: Awaited<ReturnType<TestServer['project']>>;

  beforeAll(async () => {
    t = await startTestServer();
    p = await t.project('walkthrough');
    expect((await p.client.post('/v1/documents?wait=true', REFUND_POLICY)).status).toBe(201);
  });
  afterAll(async () => t.close());

  it.each([
    'How long is the refund window?',
    'How many days do I have to ask for a refund?',
    'Can I still get a refund after 40 days?',
  ])('%s is answered from the refund sentence, cited with its url', async (question) => {
    const res = await p.client.post<ChatAnswer>('/v1/chat', { question });
    expect(res.status).toBe(200);
    expect(res.body.grounded).toBe(true);
    expect(res.body.answer.startsWith('Refunds are accepted within 45 days of purchase [1].')).toBe(true);
    expect(res.body.answer).not.toContain('ship');
    expect(res.body.citations[0]).toMatchObject({ index: 1, url: '/help/refunds', section: 'Refunds' });
  });

  it('retrieve ranks the refund sentence first for "how many days do I have to ask for a refund"', async () => {
    const res = await p.client.post<{ results: { text: string; section: string }[] }>('/v1/retrieve', {
      query: 'how many days do I have to ask for a refund',
    });
    expect(res.status).toBe(200);
    expect(res.body.results[0].section).toBe('Refunds');
    expect(res.body.results[0].text).toContain('within 45 days');
  });

  it('refuses what the document does not say', async () => {
    const res = await p.client.post<ChatAnswer>('/v1/chat', { question: 'Do you ship to Antarctica?' });
    expect(res.body.grounded).toBe(false);
    expect(res.body.refusal?.reason).toBe('no_relevant_documents');
  });
});
