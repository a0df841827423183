import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { lowerThisThreadPriority } from '../../lambdas/adapters/thread-priority';
import { startTestServer } from '../helpers/server';

/** The nice value of a task (thread) from its stat line: the 19th field, the 17th after the name. */
const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);

// the tests read /proc, as the suite does elsewhere: it runs on Linux (CI, the Lambda runtime)
describe('lowerThisThreadPriority', () => {
  /** Runs `lowerThisThreadPriority(7)` in a worker thread (as `platform`, when given): its answer and the thread's stat line. */
  const inWorker = (platform?: string) =>
    new Promise<{ lowered: boolean; stat: string }>((resolve, reject) => {
      const source = `
        require('tsx/cjs');
        const { parentPort } = require('node:worker_threads');
        const { readFileSync } = require('node:fs');
        const { lowerThisThreadPriority } = require(${JSON.stringify(join(__dirname, '../../lambdas/adapters/thread-priority.ts'))});
        ${platform ? `Object.defineProperty(process, 'platform', { value: ${JSON.stringify(platform)} });` : ''}
        const lowered = lowerThisThreadPriority(7);
        parentPort.postMessage({ lowered, stat: readFileSync('/proc/thread-self/stat', 'utf8') });
      `;
      const worker = new Worker(source, { eval: true });
      worker.once('message', (m) => {
        resolve(m);
        void worker.terminate();
      });
      worker.once('error', reject);
    });

  it('lowers a worker thread alone: the process and its main thread keep their priority', async () => {
    const before = getPriority(process.pid);
    const reply = await inWorker();

    expect(reply.lowered).toBe(true);
    expect(niceOf(reply.stat)).toBe(before + 7);
    expect(getPriority(process.pid)).toBe(before);
    expect(niceOf(readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8'))).toBe(before);
  });

  it('does nothing on a platform whose threads have no priority of their own', async () => {
    const before = getPriority(process.pid);
    const reply = await inWorker('darwin');

    expect(reply.lowered).toBe(false);
    expect(niceOf(reply.stat)).toBe(before);
  });

  it('leaves the main thread alone, which is the whole process', () => {
    const before = getPriority(process.pid);
    expect(lowerThisThreadPriority()).toBe(false);
    expect(getPriority(process.pid)).toBe(before);
  });

  it("runs a server's document readers below its event loop", async () => {
    const t = await startTestServer();
    try {
      const base = niceOf(readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8'));
      const admin = t.client(t.adminKey);
      const made = await admin.post<{ api_key: { key: string } }>('/v1/projects', { name: 'priorities' });
      const posted = await t
        .client(made.body.api_key.key)
        .post<{ document: { status: string } }>('/v1/documents?wait=true', { text: 'Refunds take 30 days.' });
      expect(posted.body.document.status).toBe('ready');
      const nices = readdirSync(`/proc/${process.pid}/task`).map((tid) =>
        niceOf(readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8')),
      );
      expect(nices.filter((n) => n === base + 10).length).toBeGreaterThanOrEqual(1); // the reader that read it
      expect(niceOf(readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8'))).toBe(base);
    } finally {
      await t.close();
    }
  });
});
