import { startTestServer, type TestServer } from '../helpers/server';

describe('the local server', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('answers from an ingested document, with a citation that links back', async () => {
    const p = await t.project();
    const doc = await p.client.post<{ document: { id: string; status: string } }>('/v1/documents?wait=true', {
      title: 'Refund policy',
      url: '/help/refunds',
      text: '# Refunds\n\nRefunds are accepted within 30 days of purchase. Shipping costs are not refunded.',
    });
    expect(doc.status).toBe(201);
    expect(doc.body.document.status).toBe('ready');
    const chat = await p.client.post<{
      answer: string;
      citations: { url: string; document_id: string }[];
      grounded: boolean;
    }>('/v1/chat', { question: 'How many days do I have to ask for a refund?' });
    expect(chat.status).toBe(200);
    expect(chat.body.grounded).toBe(true);
    expect(chat.body.answer).toMatch(/30 days.*\[1\]/);
    expect(chat.body.citations[0]).toMatchObject({ url: '/help/refunds', document_id: doc.body.document.id });
  });
});
