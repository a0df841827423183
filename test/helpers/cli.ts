import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

/** Runs the `oprag` CLI as a child process (asynchronously, so a server in this process keeps serving). */
export function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // the CLI is this child itself: tsx's own CLI would start a second Node process to run it
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/oprag.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Starts `oprag serve` as a real child process (the server itself, not a wrapper) and waits for its "listening" line. */
export function spawnServer(dataDir: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(
    process.execPath,
    // the server is this process itself (tsx's CLI would run it in a grandchild, which a SIGKILL never reaches)
    ['--import', 'tsx', join(ROOT, 'bin/oprag.ts'), 'serve'],
    {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', OPRAG_DATA_DIR: dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      output += d;
      const m = output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('exit', () => reject(new Error(`server exited early: ${output}`)));
  });
  return { child, ready, exited, output: () => output };
}
