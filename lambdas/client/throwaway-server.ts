/** A local server for a measurement run: a temporary data folder (removed after), or a kept one. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiClient } from './api-client';

/**
 * Starts a local server on a free port and runs `work` with a client holding the demo company's
 * admin key. Without `dataDir` the data lives in a temporary folder removed afterwards; with it,
 * the folder is kept, and a server started over it again reuses its company and admin key.
 */
export async function withThrowawayServer<T>(
  work: (admin: ApiClient) => Promise<T>,
  opts: { dataDir?: string; prefix?: string } = {},
): Promise<T> {
  const { startServer } = await import('../local/server');
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : mkdtempSync(join(tmpdir(), opts.prefix ?? 'oprag-run-'));
  let adminKey = '';
  try {
    adminKey = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
  } catch {
    // a new data folder: the server prints the key it creates
  }
  const server = await startServer({
    dataDir,
    port: 0,
    dropIntervalSeconds: 0,
    quietLogLevel: 'warn',
    print: (line) => {
      adminKey = line.match(/oprag_ak_\w+/)?.[0] ?? adminKey;
    },
  });
  try {
    if (!adminKey) throw new Error('the local server printed no admin key');
    return await work(new ApiClient(server.url, adminKey));
  } finally {
    await server.close();
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}
