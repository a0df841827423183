/**
 * `oprag ingest`: bulk ingestion of a folder (or files) through the public HTTP API, so it works
 * against any deployment. Resumable: files whose content already sits `ready` under the same
 * external id are skipped before anything is sent, and the API itself answers `unchanged` for
 * the rest. Text files go many to a request through the batch route; other small files as
 * multipart/form-data; big ones through an upload URL.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Batcher, type BatchItem, batchDocument, batchText, DEFAULT_BATCH_SIZE, itemReason } from './bulk-ingest-batch';
import { collectFiles, type IngestFile, pool } from './bulk-ingest-files';
import {
  type Api,
  abortOn,
  type Doc,
  listDocuments,
  makeApi,
  message,
  multipartBody,
  type Reply,
  requester,
} from './bulk-ingest-http';
import type { Counts, IngestFailure, ProgressSink } from './bulk-ingest-progress';
import { waitUntilSettled } from './bulk-ingest-wait';
import { type Described, describeFile } from './front-matter';

export { collectFiles, IngestAbort, type IngestFile } from './bulk-ingest-files';
export { multipartBody } from './bulk-ingest-http';
export type { Counts, IngestFailure, ProgressSink } from './bulk-ingest-progress';

export const silentProgress: ProgressSink = { start() {}, update() {}, failure() {}, stop() {} };

export interface BulkIngestOptions {
  baseUrl: string;
  key: string;
  project: string;
  inputs: string[];
  concurrency?: number;
  /** wait until every sent document is ready or failed (default true) */
  wait?: boolean;
  timeoutSeconds?: number;
  /** files larger than this go through POST .../uploads and a PUT */
  uploadThresholdBytes?: number;
  progress?: ProgressSink;
  /** a document's `url` when its front matter gives none: `{path}` is the file's path in its folder */
  urlTemplate?: string;
  /** most text files sent in one batch request; 0 sends every file on its own */
  batchSize?: number;
}

export interface BulkIngestSummary extends Counts {
  project: string;
  files: number;
  /** sent through an upload URL rather than a multipart POST */
  uploads: number;
  /** sent in batch requests (`POST .../documents/batch`) */
  batched: number;
  /** sent but not waited for (--no-wait) */
  pending: number;
  waited: boolean;
  failures: IngestFailure[];
  elapsed_s: number;
  /** documents sent per second, end to end (walk, list, send and, unless --no-wait, processing) */
  docs_per_s: number;
}

/** The API's body limit is 10 MiB; leave room for the multipart envelope. */
export const DEFAULT_UPLOAD_THRESHOLD = 10 * 2 ** 20 - 64 * 2 ** 10;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export async function bulkIngest(o: BulkIngestOptions): Promise<BulkIngestSummary> {
  const started = performance.now();
  const concurrency = Math.max(1, o.concurrency ?? 4);
  const http = requester(concurrency);
  try {
    return await run(o, concurrency, makeApi(o.baseUrl, o.key, http.send), started);
  } finally {
    http.close();
  }
}

async function run(o: BulkIngestOptions, concurrency: number, call: Api, started: number): Promise<BulkIngestSummary> {
  const progress = o.progress ?? silentProgress;
  const threshold = o.uploadThresholdBytes ?? DEFAULT_UPLOAD_THRESHOLD;
  const base = `/v1/projects/${encodeURIComponent(o.project)}`;
  const files = await collectFiles(o.inputs);

  // what the project already holds, by external id
  const listed = await listDocuments(call, base, o.project);
  const projectSize = listed.size;
  const existing = new Map<string, Doc>();
  for (const d of listed.values()) if (d.external_id) existing.set(d.external_id, d);

  const counts: Counts = { sent: 0, unchanged: 0, ready: 0, failed: 0 };
  const failures: IngestFailure[] = [];
  const waiting = new Map<string, IngestFile>(); // document id → its file
  let uploads = 0;
  const fail = (f: IngestFile, reason: string, documentId?: string) => {
    const failure = { file: f.path, external_id: f.externalId, document_id: documentId, reason };
    counts.failed++;
    failures.push(failure);
    progress.failure(failure);
  };
  /** A document the API accepted (or already had in the works): settled now, or one to wait for. */
  const track = (f: IngestFile, doc: Doc) => {
    if (doc.status === 'ready') counts.ready++;
    else if (doc.status === 'failed') fail(f, doc.error ?? 'the document could not be processed', doc.id);
    else waiting.set(doc.id, f);
  };

  const upload = async (f: IngestFile, { bytes, ...fields }: Described) => {
    const filename = basename(f.path);
    const type = 'application/octet-stream'; // the service types it by extension and content
    const created = await call(
      'POST',
      `${base}/uploads`,
      // the URL is bound to the file's length: S3 (or the local server) takes no other
      JSON.stringify({ filename, content_type: type, external_id: f.externalId, ...fields, size: bytes.length }),
      { 'content-type': 'application/json' },
    );
    abortOn(created, o.project, `creating an upload URL for ${f.path}`);
    if (created.status !== 201) return fail(f, `${created.status} ${message(created)}`);
    const u = created.body.upload as { url: string; method: string; headers: Record<string, string> };
    const put = await call(u.method, u.url, bytes, u.headers);
    if (put.status >= 300) return fail(f, `${put.status} ${message(put)}`);
    uploads++;
    counts.sent++;
    track(f, put.body.document as Doc);
  };

  /** A file on its own: multipart, or an upload URL when too large for a request body. */
  const single = async (f: IngestFile, described: Described) => {
    const { bytes, ...fields } = described;
    if (bytes.length > threshold) return upload(f, described);
    const form = multipartBody(bytes, basename(f.path), f.externalId, fields);
    const res = await call('POST', `${base}/documents`, form.body, { 'content-type': form.contentType });
    abortOn(res, o.project, `sending ${f.path}`);
    if (res.status === 413) return upload(f, described);
    accepted(f, res);
  };
  /** What the API answered for a document sent (alone, or as an item of a batch). */
  const accepted = (f: IngestFile, res: { status: number; body: Record<string, unknown> }) => {
    if (res.status === 200 && res.body.unchanged) {
      counts.unchanged++;
      const doc = res.body.document as Doc;
      if (doc.status !== 'ready') track(f, doc); // the same content, still being processed
      return;
    }
    if (res.status !== 201 && res.status !== 202) return fail(f, `${res.status} ${message(res as Reply)}`);
    counts.sent++;
    track(f, res.body.document as Doc);
  };

  const wait = o.wait ?? true;
  let sentFiles = 0;
  let batched = 0;
  /** a server without the batch route (404): every file goes on its own from then on */
  let batchRoute = (o.batchSize ?? DEFAULT_BATCH_SIZE) > 0;
  const sendBatch = async (items: BatchItem[]) => {
    const res = batchRoute
      ? // waiting, the answer comes once the batch is processed: nothing to poll for afterwards
        await call(
          'POST',
          `${base}/documents/batch${wait ? '?wait=true' : ''}`,
          JSON.stringify({ documents: items.map(batchDocument) }),
          {
            'content-type': 'application/json',
          },
        )
      : null;
    if (res && res.status !== 404) abortOn(res, o.project, `sending ${items.length} files`);
    if (!res || res.status === 404 || res.status === 413) {
      // no batch route here, or a batch the body limit refused: each file on its own
      if (res?.status === 404) batchRoute = false;
      for (const item of items) {
        await single(item.file, item.described);
        progress.update(++sentFiles, counts);
      }
      return;
    }
    const answers = (res.status === 202 || res.status === 200 ? res.body.documents : null) as
      | ({ document: Doc; unchanged?: boolean } | { error: { type?: string; message?: string } })[]
      | null;
    for (const [i, { file, described }] of items.entries()) {
      const answer = answers?.[i];
      if (!answer) fail(file, `${res.status} ${message(res)}`);
      else if ('error' in answer) {
        // past the rate limit: on its own, a single POST waits for its Retry-After
        if (answer.error.type === 'rate_limited') await single(file, described);
        else fail(file, itemReason(answer.error));
      } else {
        if (!answer.unchanged) batched++;
        accepted(file, { status: answer.unchanged ? 200 : 202, body: answer });
      }
    }
    sentFiles += items.length;
    progress.update(sentFiles, counts);
  };
  const batcher = new Batcher(Math.max(1, o.batchSize ?? DEFAULT_BATCH_SIZE), sendBatch);

  /** Sends a file, or adds it to a batch; true once it is sent, false when its batch will tell. */
  const send = async (f: IngestFile): Promise<boolean> => {
    // a small file from the page cache: cheaper than four trips to the I/O threads
    const described = describeFile(f.path, f.externalId, readFileSync(f.path), o.urlTemplate);
    const known = existing.get(f.externalId);
    if (known?.status === 'ready' && known.content_hash === sha256(described.bytes)) {
      counts.unchanged++;
      return true;
    }
    const text = batchRoute && described.bytes.length <= threshold ? batchText(f.path, described.bytes) : null;
    if (text === null) {
      await single(f, described);
      return true;
    }
    await batcher.add({ file: f, described, text, filename: basename(f.path) });
    return false;
  };

  progress.start('sending', files.length);
  try {
    await pool(files, concurrency, async (f) => {
      if (await send(f)) progress.update(++sentFiles, counts);
    });
    await batcher.flush();
  } finally {
    progress.stop();
  }

  if (wait && waiting.size > 0) {
    await waitUntilSettled(
      { call, base, project: o.project, concurrency, progress, counts, waiting, track, fail },
      {
        timeoutS: o.timeoutSeconds ?? 300,
        projectDocuments: projectSize + counts.sent,
      },
    );
  }

  const elapsed = (performance.now() - started) / 1000;
  return {
    project: o.project,
    files: files.length,
    ...counts,
    uploads,
    batched,
    pending: waiting.size,
    waited: wait,
    failures,
    elapsed_s: Math.round(elapsed * 100) / 100,
    docs_per_s: elapsed > 0 ? Math.round((counts.sent / elapsed) * 10) / 10 : 0,
  };
}
