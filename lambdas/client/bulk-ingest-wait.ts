import { type IngestFile, pool } from './bulk-ingest-files';
import { type Api, abortOn, type Doc, listDocuments, sleep } from './bulk-ingest-http';
import type { Counts, ProgressSink } from './bulk-ingest-progress';

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
 * Waits until every document sent is `ready` or `failed`, or the timeout: each round asks only for
 * what is still queued or processing, a page per 200 documents, rather than for each document;
 * those that left get their outcome from one pass over the project's list where that takes fewer
 * requests than asking for each, else one by one. Past the timeout, what is left fails.
 */
export async function waitUntilSettled(w: Waiting, o: { timeoutS: number; projectDocuments: number }) {
  const { call, base, project, waiting, progress } = w;
  const deadline = Date.now() + o.timeoutS * 1000;
  const total = waiting.size;
  const settle = (id: string, doc: Doc | null) => {
    const f = waiting.get(id) as IngestFile;
    if (!doc) w.fail(f, 'the document was deleted while processing', id);
    else w.track(f, doc);
    waiting.delete(id);
  };
  progress.start('processing', total);
  try {
    for (let delay = 50; waiting.size > 0; delay = Math.min(delay * 1.5, 1000)) {
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
      if (Date.now() >= deadline) {
        for (const [id, f] of waiting) w.fail(f, `not ready after the ${o.timeoutS} s timeout`, id);
        waiting.clear();
        break;
      }
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    }
  } finally {
    progress.stop();
  }
}
