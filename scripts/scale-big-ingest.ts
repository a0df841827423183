/**
 * How the scale bench's big tenant takes its documents in (scale-big-tenant.ts): through the
 * CLI's bulk path, as `oprag ingest` sends a folder, and through single POSTs, each timed until
 * every document is ready.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bulkIngest } from '../lambdas/client/bulk-ingest';
import { sender } from './bench-ingest-client';
import { pool } from './pool';
import type { BigDoc } from './scale-big-tenant';
import { call } from './server-process';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface IngestFigures {
  documents: number;
  failed: number;
  seconds: number;
  docsPerSecond: number;
}

/** A document as a Markdown file: its title in front matter (so it stays the title), its text as the body. */
const asMarkdown = (d: BigDoc) => `---\ntitle: "${d.title.replace(/\s+/g, ' ')}"\n---\n\n${d.text}\n`;

/**
 * The documents written as files into `folder` (not timed), then sent by `bulkIngest` — the code
 * of `oprag ingest`, with its defaults (batches of 250 through the batch route, 4 in flight, each
 * answered once processed) — timed from its start until every document is ready or failed.
 */
export async function ingestThroughCli(
  server: { url: string },
  project: { id: string; key: string },
  docs: BigDoc[],
  folder: string,
): Promise<IngestFigures> {
  mkdirSync(folder, { recursive: true });
  for (const d of docs) writeFileSync(join(folder, `${d.external_id.replace(/[:/]/g, '_')}.md`), asMarkdown(d));
  try {
    const summary = await bulkIngest({ baseUrl: server.url, key: project.key, project: project.id, inputs: [folder] });
    if (summary.sent + summary.unchanged !== docs.length) {
      throw new Error(
        `the CLI sent ${summary.sent} of ${docs.length} documents: ${JSON.stringify(summary.failures[0])}`,
      );
    }
    return {
      documents: docs.length,
      failed: summary.failed,
      seconds: summary.elapsed_s,
      docsPerSecond: docs.length / summary.elapsed_s,
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * The documents as single JSON `POST .../documents` ({title, text, external_id}), `inFlight` at
 * a time over kept-alive connections (node:http, or `raw`: bench-raw-http.ts), then the project's list polled until none is queued or
 * processing: timed from the first request to the last document settled.
 */
export async function ingestThroughPosts(
  server: { url: string },
  project: { id: string; key: string },
  docs: BigDoc[],
  inFlight: number,
  client: 'http' | 'raw' = 'http',
): Promise<IngestFigures> {
  const { send, close } = sender(client, inFlight);
  try {
    const t0 = performance.now();
    await pool(docs, inFlight, async (d) => {
      const res = await send(server.url, project.key, 'POST', `/v1/projects/${project.id}/documents`, d);
      if (res.status !== 202) throw new Error(`POST ${d.external_id}: ${res.status} ${res.text}`);
    });
    const left = async (status: string) => {
      const path = `/v1/projects/${project.id}/documents?status=${status}&limit=1`;
      return ((await call(server.url, project.key, 'GET', path)).documents as unknown[]).length;
    };
    for (let delay = 20; (await left('queued')) + (await left('processing')) > 0; delay = Math.min(delay * 1.5, 250)) {
      await sleep(delay);
    }
    const seconds = (performance.now() - t0) / 1000;
    let failed = 0;
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const path = `/v1/projects/${project.id}/documents?status=failed&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await call(server.url, project.key, 'GET', path);
      failed += (page.documents as unknown[]).length;
      cursor = page.next_cursor as string | null;
    }
    return { documents: docs.length, failed, seconds, docsPerSecond: docs.length / seconds };
  } finally {
    close();
  }
}
