/** The parts of scripts/bench-ingest.ts that are not the runs: its corpus' bytes, its HTTP client. */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { requester } from '../lambdas/client/bulk-ingest-http';
import { rawRequester } from './bench-raw-http';

/** The bytes of the files below `path` (links not followed); 0 when there is nothing there. */
export function bytesBelow(path: string): number {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((n, name) => n + bytesBelow(join(path, name)), 0);
}

export type Doc = { _id: string; title: string; text: string };

/** The text of the abstracts as the runs send it (title, a blank line, the text, a newline). */
export const bytesOf = (docs: Doc[]) =>
  docs.reduce((s, d) => s + Buffer.byteLength(d.title) + Buffer.byteLength(d.text) + 3, 0);

/**
 * How the `post` and `batch` runs send: kept-alive node:http (`http`), HTTP/1.1 written straight
 * onto kept-alive sockets (`raw`, bench-raw-http.ts), or fetch (`fetch`).
 */
export function sender(client: string, concurrency: number) {
  const http = requester(concurrency);
  const raws = new Map<string, ReturnType<typeof rawRequester>>();
  const raw = (url: string) => {
    let r = raws.get(url);
    if (!r) {
      r = rawRequester(url, concurrency);
      raws.set(url, r);
    }
    return r;
  };
  /**
   * One request: over kept-alive node:http connections (a remote client's cost is not the server's,
   * and this one shares the server's cores, so it is kept lean), or through fetch with `--client fetch`.
   */
  async function send(url: string, key: string, method: string, path: string, body?: unknown) {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const text = body === undefined ? undefined : JSON.stringify(body);
    if (client === 'raw') return raw(url).send(method, path, headers, text);
    if (client === 'http') {
      const res = await http.send(method, `${url}${path}`, headers, text);
      return { status: res.status, retryAfter: res.headers['retry-after'] as string | undefined, text: res.text };
    }
    const res = await fetch(`${url}${path}`, { method, headers, body: text });
    return { status: res.status, retryAfter: res.headers.get('retry-after') ?? undefined, text: await res.text() };
  }

  async function call<T>(url: string, key: string, method: string, path: string, body?: unknown) {
    const res = await send(url, key, method, path, body);
    return { status: res.status, body: JSON.parse(res.text) as T };
  }
  const close = () => {
    http.close();
    for (const r of raws.values()) r.close();
  };
  return { send, call, close };
}
