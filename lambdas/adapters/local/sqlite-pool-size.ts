import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

/**
 * How many projects the embedded index keeps open, from the open files and the memory the
 * process may use rather than a constant.
 *
 * An open project holds a reading connection: three open files (the database, its `-wal` and
 * its `-shm`), and up to about 1 MB of memory (SQLite's page cache of the pages read, its parsed
 * schema and the prepared statements; a project of a few hundred chunks holds a few hundred KB).
 * Its write connection is opened for a write and closed once the project's writes are over.
 *
 * The index takes at most a quarter of the process's open-file limit and at most 720 files, and
 * at most 1/32 of the machine's memory and at most 192 MB; the pool is what fits in both, and at
 * least 16. With a limit of 20,000 files and 24 GB of memory: 192 projects, 576 files. Beside them
 * the process holds the write thread's connections (16 projects), the blob store's (16) and its
 * own files and sockets: about 720 open files in all. The memory cap was 256 MB (240 projects)
 * before 2026-12-04. Chatting with 1,000 tenants then ended at 477–523 MB against 455–494 with
 * 192. Since idle background threads stop (idle-stop.ts) both pools end near 400 MB, and 240 gave
 * no better latency than 192 (docs/benchmarks.md, "Scale on one machine").
 */
export const FILES_PER_PROJECT = 3;
export const MEMORY_PER_PROJECT = 2 ** 20;
const MAX_FILES = 720;
const MAX_MEMORY = 192 * 2 ** 20;
const MIN_POOL = 16;

export function poolSize(limits: { openFiles: number; memoryBytes: number } = processLimits()): number {
  const byFiles = Math.floor(Math.min(limits.openFiles / 4, MAX_FILES) / FILES_PER_PROJECT);
  const byMemory = Math.floor(Math.min(limits.memoryBytes / 32, MAX_MEMORY) / MEMORY_PER_PROJECT);
  return Math.max(MIN_POOL, Math.min(byFiles, byMemory));
}

/** The soft limit on open files (Linux's /proc/self/limits; 1,024 where it cannot be read) and the machine's memory. */
export function processLimits(): { openFiles: number; memoryBytes: number } {
  let openFiles = 1024;
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (line) openFiles = line[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(line[1]);
  } catch {
    // not Linux: the common default
  }
  return { openFiles, memoryBytes: totalmem() };
}
