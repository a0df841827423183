import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const ROOT = join(__dirname, '../..');

/** `oprag mcp` as a child process serving one project's key, with the official SDK's client talking to it over stdio. */
export async function connectMcp(baseUrl: string, key: string, name = 'oprag-test'): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', join(ROOT, 'bin/oprag.ts'), 'mcp', '--base-url', baseUrl, '--key', key],
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '' },
    stderr: 'pipe',
  });
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  return client;
}
