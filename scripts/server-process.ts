/**
 * `oprag serve` as a process of its own for the benchmark scripts: the server is the child itself
 * (tsx loader, no wrapper), its output in a log file, its admin key read from the data directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');

/** Starts the server on a free loopback port; `nodeArgs` go before the loader (e.g. `--cpu-prof`). */
export async function startServerProcess(dataDir: string, logFile: string, nodeArgs: string[] = []) {
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(root, 'bin/oprag.ts'), 'serve'], {
    cwd: root,
    env: { ...process.env, PORT: '0', OPRAG_HOST: '127.0.0.1', OPRAG_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.pipe(out);
  const url = await new Promise<string>((resolveUrl, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the server did not start; see ${logFile}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      out.write(d);
      seen += d.toString();
      const m = seen.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening; see ${logFile}`));
    });
  });
  const adminKey = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
  return { child, url, adminKey, out };
}

/** SIGTERM, then SIGKILL after 30 s; resolves once the process is gone. */
export async function stopServerProcess(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/** A JSON request to the server with a key; throws unless it answers `expect`, else its parsed body. */
export async function call(url: string, key: string, method: string, path: string, body?: unknown, expect = 200) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${res.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}
