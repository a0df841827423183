/**
 * CPU µs and bytes read per operation, in-process, for scripts/bench-open.ts: CPU from
 * `process.cpuUsage()` (user + system), bytes from /proc/self/io (`rchar`), the probes' own cost
 * measured once and taken off every figure.
 */
import { openSync, readSync } from 'node:fs';

const io = openSync('/proc/self/io', 'r');
const ioBuffer = Buffer.alloc(512);
const rchar = (): number => {
  const n = readSync(io, ioBuffer, 0, ioBuffer.length, 0);
  return Number(/^rchar: (\d+)/m.exec(ioBuffer.toString('latin1', 0, n))?.[1] ?? 0);
};
const cpu = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** What reading the probes costs: measured once and taken off every figure. */
export const probe = (() => {
  let c = 0;
  let r = 0;
  const n = 200;
  for (let i = 0; i < n; i++) {
    const c0 = cpu();
    const r0 = rchar();
    const r1 = rchar();
    const c1 = cpu();
    c += c1 - c0;
    r += r1 - r0;
  }
  return { cpu: c / n, rchar: r / n };
})();

/** Totals of CPU µs and bytes read over a number of operations. */
export class Tally {
  cpu = 0;
  bytes = 0;
  n = 0;
  async add<T>(work: () => Promise<T> | T): Promise<T> {
    const start = this.begin();
    const out = await work();
    this.end(start);
    return out;
  }
  addSync<T>(work: () => T): T {
    const start = this.begin();
    const out = work();
    this.end(start);
    return out;
  }
  private begin(): [number, number] {
    return [cpu(), rchar()];
  }
  private end([c0, r0]: [number, number]): void {
    const r1 = rchar();
    const c1 = cpu();
    this.cpu += c1 - c0 - probe.cpu;
    this.bytes += r1 - r0 - probe.rchar;
    this.n++;
  }
  line(name: string): string {
    const n = Math.max(1, this.n);
    return `${name.padEnd(44)} ${String(Math.round(this.cpu / n)).padStart(6)} µs CPU ${(this.bytes / n / 1024).toFixed(1).padStart(7)} KB read  (n=${this.n})`;
  }
}
