/**
 * What a measurement script reads of the server process it started, from /proc (Linux): its
 * memory and open files (by kind), its CPU time (all threads or its main thread alone), a wait
 * until it is idle, and the bytes of the `-wal` files in its data directory; and, for a run that
 * reports what it can elsewhere, its memory and CPU time or null.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The server's memory (MB, now and at its peak) and open files, read from /proc. */
export function serverResources(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024, openFiles: readdirSync(`/proc/${pid}/fd`).length };
}

/** The server's open files by kind: project databases, their logs and shared memory, sockets, the rest. */
export function openFileKinds(pid: number) {
  const kinds: Record<string, number> = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target = '';
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const kind = /\/projects\/prj_[^/]*\.db(-wal|-shm)?$/.test(target)
      ? `project${/-(wal|shm)$/.exec(target)?.[0] ?? '.db'}`
      : /control\.db/.test(target)
        ? 'control'
        : (/^(socket|pipe|anon_inode)/.exec(target)?.[1] ?? 'other');
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

/** The server's CPU time so far (ms, all threads), from /proc/<pid>/stat; of its main thread with `main`. */
export function cpuMs(pid: number, main = false) {
  const file = main ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`;
  const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}

/** The server's CPU time so far (ms) by thread id, from /proc/<pid>/task: to tell where a run's CPU went. */
export function threadCpuMs(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
      out.set(Number(tid), ((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * Waits until the server is idle (under 5 % of a core over two half seconds in a row, at most two
 * minutes): after the last document is ready, each project's index is still tidied in the
 * background, which would otherwise fall inside the measured window.
 */
export async function quiet(pid: number) {
  let calm = 0;
  for (let i = 0; i < 240 && calm < 2; i++) {
    const before = cpuMs(pid);
    await new Promise((r) => setTimeout(r, 500));
    calm = cpuMs(pid) - before < 25 ? calm + 1 : 0;
  }
}

/** Bytes held by the `-wal` files of the project indexes. */
export function walBytes(dataDir: string) {
  const dir = join(dataDir, 'projects');
  let total = 0;
  for (const f of readdirSync(dir))
    if (f.endsWith('-wal')) total += statSync(join(dir, f), { throwIfNoEntry: false })?.size ?? 0;
  return total;
}

/** Resident memory of a process, in bytes: now, and the kernel's high-water mark (0 when unknown). */
export function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    try {
      const rss =
        Number(
          execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
            .toString()
            .trim(),
        ) * 1024;
      return { rss, hwm: 0 };
    } catch {
      return null;
    }
  }
}

/** CPU time a process has used, in seconds (Linux only; null elsewhere). */
export function cpuSecondsOf(pid: number): number | null {
  try {
    return cpuMs(pid) / 1000;
  } catch {
    return null;
  }
}
