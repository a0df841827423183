import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Lowers the CPU priority of the calling thread alone (Linux: a thread is a task of its own with a
 * nice value of its own; its id is the last part of /proc/thread-self). The threads that do
 * background work — reading documents, writing the index — call it at start, so a busy ingest
 * leaves the cores to the event loop and the read threads, which answer requests: one tenant's
 * ingest then delays other tenants' chats less. Elsewhere, or when refused, it does nothing.
 */
export function lowerThisThreadPriority(nice = 10): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0 || tid === process.pid) return false; // never the whole process
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
