/**
 * What the integrations look like from the outside, printed as transcripts (`npm run transcripts`,
 * about 15 seconds): the OpenAPI validator's verdict on the served document, OpenAI's official
 * client streaming an answer from `POST /v1/chat/completions`, and an MCP client session with
 * `oprag mcp` listing its tools and calling `ask`. It runs on a throwaway local server holding the
 * README walkthrough's refund document, and exits 1 when any step does not give what docs/api.md
 * says it gives.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { expectStatus } from '../lambdas/client/api-client';
import { withThrowawayServer } from '../lambdas/client/throwaway-server';
import { connectMcp } from '../test/helpers/mcp';

const root = join(__dirname, '..');
const QUESTION = 'How many days do I have to ask for a refund?';
const REFUNDS =
  'Refunds are accepted within 45 days of purchase. Shipping costs are not refunded. ' +
  'After 45 days we offer store credit instead of a refund.';

const problems: string[] = [];
function check(ok: boolean, what: string): void {
  if (!ok) problems.push(what);
}

/** The served document, through the same validator process test/unit/openapi.test.ts runs. */
async function validateOpenApi(baseUrl: string): Promise<void> {
  console.log(`$ curl ${baseUrl}/v1/openapi.json | validate-openapi`);
  const res = await fetch(`${baseUrl}/v1/openapi.json`);
  const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
  const dir = mkdtempSync(join(tmpdir(), 'oprag-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const run = spawnSync(process.execPath, [join(root, 'test/helpers/validate-openapi.mjs'), file], {
      encoding: 'utf8',
    });
    const verdict = JSON.parse(run.stdout) as { valid: boolean; version: string; errors: unknown };
    console.log(`${JSON.stringify(verdict)}   (OpenAPI ${doc.openapi}, ${Object.keys(doc.paths).length} paths)\n`);
    check(res.status === 200 && verdict.valid, 'the served OpenAPI document is not valid');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** OpenAI's client, streaming: each chunk's content as it arrives, then the citations. */
async function openAiStream(baseUrl: string, key: string): Promise<void> {
  console.log(
    `$ openai.chat.completions.create({ stream: true, messages: [{ role: 'user', content: '${QUESTION}' }] })`,
  );
  const openai = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: key, maxRetries: 0 });
  const stream = await openai.chat.completions.create({
    model: 'oprag',
    messages: [{ role: 'user', content: QUESTION }],
    stream: true,
  });
  let content = '';
  let last: unknown;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    const shown = { object: chunk.object, delta: choice.delta, finish_reason: choice.finish_reason };
    console.log(`chunk ${JSON.stringify(shown)}`);
    content += choice.delta.content ?? '';
    last = chunk;
  }
  const oprag = (last as { oprag?: { grounded: boolean; citations: { index: number; title: string; url: string }[] } })
    .oprag;
  console.log(`oprag.grounded ${oprag?.grounded}`);
  for (const c of oprag?.citations ?? []) console.log(`oprag.citations [${c.index}] ${c.title} <${c.url}>`);
  console.log(`content ${JSON.stringify(content)}\n`);
  check(/45 days.*\[1\]/.test(content) && oprag?.grounded === true, 'the streamed answer is not the cited one');
}

/** `oprag mcp` over stdio, driven by the official MCP SDK's client. */
async function mcpSession(baseUrl: string, key: string): Promise<void> {
  console.log(`$ oprag mcp --base-url ${baseUrl} --key oprag_pk_…   (an MCP client over stdio)`);
  const client = await connectMcp(baseUrl, key, 'oprag-transcript');
  try {
    const { tools } = await client.listTools();
    console.log('tools/list');
    for (const tool of tools) {
      const inputs = Object.keys(tool.inputSchema.properties ?? {}).join(', ');
      console.log(`  ${tool.name}(${inputs}): ${tool.description ?? ''}`);
    }
    console.log(`tools/call ask {"question": "${QUESTION}"}`);
    const result = (await client.callTool({ name: 'ask', arguments: { question: QUESTION } })) as {
      content: { type: string; text: string }[];
      isError?: boolean;
    };
    const text = result.content.map((c) => c.text).join('\n');
    for (const line of text.split('\n')) console.log(`  ${line}`);
    check(
      tools
        .map((t) => t.name)
        .sort()
        .join() === 'ask,list_documents,search_documents',
      'the MCP server does not list its three tools',
    );
    check(
      !result.isError && /45 days.*\[1\]/.test(text) && text.includes('</help/refunds>'),
      'ask gave no cited answer',
    );
  } finally {
    await client.close();
  }
}

async function main(): Promise<void> {
  await withThrowawayServer(
    async (admin) => {
      const created = expectStatus(
        await admin.post<{ project: { id: string }; api_key: { key: string } }>('/v1/projects', { name: 'Globex' }),
        201,
        'create a project',
      );
      const key = created.api_key.key;
      expectStatus(
        await admin
          .withKey(key)
          .post('/v1/documents?wait=true', { title: 'Refund policy', url: '/help/refunds', text: REFUNDS }),
        201,
        'ingest the refund policy',
      );
      await validateOpenApi(admin.baseUrl);
      await openAiStream(admin.baseUrl, key);
      await mcpSession(admin.baseUrl, key);
    },
    { prefix: 'oprag-transcripts-' },
  );
  if (problems.length > 0) {
    for (const p of problems) console.error(`FAILED: ${p}`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
