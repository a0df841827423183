import { type IngestFile, pool } from './bulk-ingest-files';
import { type Api, abortOn, type Doc, listDocuments, sleep } from './bulk-ingest-http';
import type { Counts, ProgressSink } from './bulk-ingest-progress';

/** Milliseconds since the epoch, and a pause: the system's, or a test's. */
export interface Timer {
  now(): number;
  sleep(ms: number): Promise<unknown>;
}
const realTimer: Timer = { now: () => Date.now(), sleep };

/** What the sending phase hands the waiting one: the documents in the works and how to settle each. */
export interface Waiting {
  call: Api;
  base: string;
  project: string;
  concurrency: number;
  progress: ProgressSink;
  /** the run's counts, which `track` and `fail` move */
  counts: Counts;
  /** document id → its file; emptied as documents settle */
  waiting: Map<string, IngestFile>;
  /** a document with its outcome (or still in the works) */
  track: (f: IngestFile, doc: Doc) => void;
  fail: (f: IngestFile, reason: string, documentId?: string) => void;
}

/**
 * Waits until every document sent is `ready` or `failed`, or the timeout. A round asks only
 * whether anything of the project is still queued or processing (two requests for one document
 * each), at most a quarter of a second apart, so that the wait ends soon after the last document
 * settles; a full round — every queued and processing document, a page per 200, and the outcome of
 * those that left, from one pass over the project's list where that takes fewer requests than
 * asking for each, else one by one — runs once nothing is left, and once a second before that to
 * move the progress on. Past the timeout, what is left fails.
 */
export async function waitUntilSettled(w: Waiting, o: { timeoutS: number; projectDocuments: number; timer?: Timer }) {
  const { call, base, project, waiting, progress } = w;
  const { now, sleep } = o.timer ?? realTimer;
  const deadline = now() + o.timeoutS * 1000;
  const total = waiting.size;
  const settle = (id: string, doc: Doc | null) => {
    const f = waiting.get(id) as IngestFile;
    if (!doc) w.fail(f, 'the document was deleted while processing', id);
    else w.track(f, doc);
    waiting.delete(id);
  };
  progress.start('processing', total);
  try {
    let lastFull = now();
    for (let delay = 25; waiting.size > 0; delay = Math.min(delay * 1.5, 250)) {
      const left = await anyLeft(call, base, project);
      if (left && now() - lastFull < 1000 && now() < deadline) {
        await sleep(Math.min(delay, Math.max(0, deadline - now())));
        continue;
      }
      lastFull = now();
      const unfinished = new Set([
        ...(await listDocuments(call, base, project, 'queued')).keys(),
        ...(await listDocuments(call, base, project, 'processing')).keys(),
      ]);
      const done = [...waiting.keys()].filter((id) => !unfinished.has(id));
      if (done.length > 0) {
        const pages = Math.ceil(o.projectDocuments / 200);
        const known = pages < done.length ? await listDocuments(call, base, project) : new Map<string, Doc>();
        await pool(done, w.concurrency, async (id) => {
          const listed = known.get(id);
          if (listed && listed.status !== 'queued' && listed.status !== 'processing') return settle(id, listed);
          const res = await call('GET', `${base}/documents/${id}`);
          if (res.status === 404) return settle(id, null);
          abortOn(res, project, `checking ${(waiting.get(id) as IngestFile).path}`);
          if (res.status !== 200) return; // try again next round
          const doc = res.body.document as Doc;
          if (doc.status === 'ready' || doc.status === 'failed') settle(id, doc);
        });
        progress.update(total - waiting.size, w.counts);
      }
      if (waiting.size === 0) break;
      if (now() >= deadline) {
        for (const [id, f] of waiting) w.fail(f, `not ready after the ${o.timeoutS} s timeout`, id);
        waiting.clear();
        break;
      }
      await sleep(Math.min(delay, Math.max(0, deadline - now())));
    }
  } finally {
    progress.stop();
  }
}

/** Whether any document of the project is still queued or processing: a one-document page of each. */
async function anyLeft(call: Api, base: string, project: string): Promise<boolean> {
  for (const status of ['queued', 'processing']) {
    const res = await call('GET', `${base}/documents?limit=1&status=${status}`);
    abortOn(res, project, 'listing the documents');
    if (res.status !== 200) return true; // the full round says what went wrong
    if ((res.body.documents as Doc[]).length > 0) return true;
  }
  return false;
}
