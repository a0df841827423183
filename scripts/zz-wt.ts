import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WriteThread } from '../lambdas/adapters/local/sqlite-write-thread';
import { createIndexFile } from '../lambdas/adapters/local/sqlite-schema';
(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-'));
  const file = join(dir, 'p.db');
  createIndexFile(file);
  for (let i = 0; i < 5; i++) {
    const wt = new WriteThread(16);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await wt.rest(file); // no-op without worker
    await wt.merge(file, 1);
    const t1 = performance.now();
    await wt.merge(file, 1);
    const t2 = performance.now();
    await wt.close();
    const c = process.cpuUsage(c0);
    console.log(`first ${(t1 - t0).toFixed(1)} ms, second ${(t2 - t1).toFixed(2)} ms, cpu ${((c.user + c.system) / 1000).toFixed(0)} ms (process)`);
  }
})();
