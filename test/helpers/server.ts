import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../lambdas/client/api-client';
import { type RunningServer, type ServerOptions, startServer } from '../../lambdas/local/server';
import type { PublicDocument } from '../../lambdas/service/document-view';
import { TestClock } from './clock';

export interface TestServer {
  server: RunningServer;
  url: string;
  dataDir: string;
  /** the time the server's services see; a test moves it instead of waiting */
  clock: TestClock;
  /** a client holding the demo company's admin key */
  admin: ApiClient;
  adminKey: string;
  client(key?: string): ApiClient;
  /** creates a project; returns its id, its first key and a client holding that key */
  project(name?: string): Promise<{ id: string; key: string; client: ApiClient }>;
  close(): Promise<void>;
}

/** A real local server on a random loopback port, with its own temporary data directory. */
export async function startTestServer(
  opts: Partial<Omit<ServerOptions, 'clock'>> & { clock?: TestClock } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'oprag-test-'));
  const clock = opts.clock ?? new TestClock();
  const lines: string[] = [];
  const server = await startServer({
    dropIntervalSeconds: 0,
    // searches and answers on one read thread: the pool is exercised, and tests start few threads
    readThreads: process.env.OPRAG_READ_THREADS ? undefined : 1,
    ...opts,
    clock,
    dataDir,
    port: 0,
    print: (l) => lines.push(l),
  });
  const keyLine = lines.find((l) => l.includes('oprag_ak_'));
  const adminKey = keyLine ? (keyLine.match(/oprag_ak_\w+/) as RegExpMatchArray)[0] : '';
  const admin = new ApiClient(server.url, adminKey);
  return {
    server,
    url: server.url,
    dataDir,
    clock,
    admin,
    adminKey,
    client: (key?: string) => new ApiClient(server.url, key),
    async project(name = 'test project') {
      const res = await admin.post<{ project: { id: string }; api_key: { key: string } }>('/v1/projects', { name });
      if (res.status !== 201) throw new Error(`project create failed: ${res.status} ${JSON.stringify(res.body)}`);
      return {
        id: res.body.project.id,
        key: res.body.api_key.key,
        client: new ApiClient(server.url, res.body.api_key.key),
      };
    },
    async close() {
      await server.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A file sent as `multipart/form-data` to `POST /v1/documents?wait=true` with `key`, expected
 * back `201` and `ready`: the document it became.
 */
export async function uploadReady(
  url: string,
  key: string,
  file: { bytes: Uint8Array; filename: string; type: string },
): Promise<PublicDocument> {
  const form = new FormData();
  form.append('file', new Blob([file.bytes], { type: file.type }), file.filename);
  const res = await fetch(`${url}/v1/documents?wait=true`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
  const body = (await res.json()) as { document: PublicDocument };
  expect([res.status, body.document.status]).toEqual([201, 'ready']);
  return body.document;
}
