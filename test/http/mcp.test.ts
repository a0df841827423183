import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectMcp as connect } from '../helpers/mcp';
import { startTestServer, type TestServer } from '../helpers/server';

type ToolResult = { content: { type: string; text: string }[]; isError?: boolean };

const textOf = (result: unknown) => (result as ToolResult).content.map((c) => c.text).join('\n');

describe('oprag mcp', () => {
  let t: TestServer;
  let client: Client;
  let refundsId: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    t = await startTestServer();
    const p = await t.project('mcp');
    const res = await p.client.post<{ document: { id: string } }>('/v1/documents?wait=true', {
      title: 'Refund policy',
      url: '/help/refunds',
      text: 'Refunds are accepted within 30 days of purchase. Shipping costs are not refunded.',
    });
    expect(res.status).toBe(201);
    refundsId = res.body.document.id;
    const other = await t.project('another tenant');
    expect(
      (
        await other.client.post('/v1/documents?wait=true', {
          title: 'Vault',
          text: 'The vault combination of the zebra archive is 7719-ALPHA.',
        })
      ).status,
    ).toBe(201);
    client = await connect(t.url, p.key);
    clients.push(client);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await t.close();
  });

  it('lists the three tools with their inputs', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['ask', 'list_documents', 'search_documents']);
    const search = tools.find((tool) => tool.name === 'search_documents');
    expect(Object.keys(search?.inputSchema.properties ?? {}).sort()).toEqual(['query', 'top_k']);
    expect(search?.inputSchema.required).toEqual(['query']);
    expect(tools.find((tool) => tool.name === 'ask')?.inputSchema.required).toEqual(['question']);
  });

  it('search_documents gives passages with title, url and document id', async () => {
    const result = await client.callTool({ name: 'search_documents', arguments: { query: 'refund days', top_k: 3 } });
    expect(result.isError).toBeFalsy();
    const passages = JSON.parse(textOf(result)) as { document_id: string; title: string; url: string; text: string }[];
    expect(passages.length).toBeGreaterThan(0);
    expect(passages[0]).toMatchObject({ document_id: refundsId, title: 'Refund policy', url: '/help/refunds' });
    expect(passages[0].text).toContain('30 days');
  });

  it('ask gives the cited answer with its sources and urls', async () => {
    const result = await client.callTool({
      name: 'ask',
      arguments: { question: 'How many days do I have to ask for a refund?' },
    });
    expect(result.isError).toBeFalsy();
    const text = textOf(result);
    expect(text).toMatch(/30 days.*\[1\]/);
    expect(text).toContain(`[1] Refund policy </help/refunds> (document ${refundsId})`);
    expect((result.structuredContent as { grounded: boolean }).grounded).toBe(true);
  });

  it("ask refuses what the project's documents don't hold, another project's included", async () => {
    const result = await client.callTool({
      name: 'ask',
      arguments: { question: 'What is the vault combination of the zebra archive?' },
    });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toMatch(/^No answer in this project's documents/);
    expect(textOf(result)).not.toContain('7719');
  });

  it('list_documents lists only this project', async () => {
    const result = await client.callTool({ name: 'list_documents', arguments: {} });
    expect(result.isError).toBeFalsy();
    const body = JSON.parse(textOf(result)) as { documents: { id: string; title: string }[]; next_cursor: null };
    expect(body.documents.map((d) => d.id)).toEqual([refundsId]);
    expect(body.next_cursor).toBeNull();
  });

  it('a bad key gives a tool error that says so', async () => {
    const bad = await connect(t.url, 'oprag_pk_notarealkey');
    clients.push(bad);
    for (const [name, args] of [
      ['ask', { question: 'refunds?' }],
      ['search_documents', { query: 'refunds' }],
      ['list_documents', {}],
    ] as const) {
      const result = await bad.callTool({ name, arguments: args });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^Oprag API error 401 unauthorized: .*--key/);
    }
  }, 60_000);
});
