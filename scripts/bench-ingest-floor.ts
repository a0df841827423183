/**
 * The least work ingesting a document takes in the embedded home (`npm run bench:ingest-floor`):
 * the SciFact abstracts, `--batch` (256) at a time, through the real adapters, on this one thread,
 * with nothing else: no HTTP, no validation, no queue, no thread hand-overs, no second status.
 * Per document: its hash and record (`queued`), its audit event, its original kept (compressed),
 * read and cut into chunks, the chunks analysed and written to the project's index, and its record
 * settled `ready`. What `bench:ingest` measures beyond this is the cost of the pipeline around it.
 *
 * Prints CPU µs a document (user and system, `process.cpuUsage()`) and each step's wall µs, for
 * `--rounds` rounds (4) into fresh files (the first round also compiles the code; the others are
 * the figure).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FsBlobStore } from '../lambdas/adapters/local/fs-blobs';
import { writeDocuments } from '../lambdas/adapters/local/sqlite-index-write';
import { createIndexFile, openIndexFile } from '../lambdas/adapters/local/sqlite-schema';
import { SqliteTenantStore } from '../lambdas/adapters/local/sqlite-tenant-store';
import { newId } from '../lambdas/core/ids';
import type { DocumentRecord } from '../lambdas/core/model';
import { parseDocument } from '../lambdas/core/parse-document';
import { originalKey } from '../lambdas/service/ingest/model';
import { option } from './args';
import { readCorpus } from './beir-index';

const dataset = resolve(option('dataset', '../shared/eval-data/scifact'));
const batchSize = Number(option('batch', '256'));
const rounds = Number(option('rounds', '4'));

const files = readCorpus(dataset).map((d) => Buffer.from(`${d.title}\n\n${d.text}\n`));
const TYPE = 'text/plain; charset=utf-8';
const steps = ['record', 'audit', 'original', 'parse', 'index', 'settle'] as const;

async function round(dir: string) {
  mkdirSync(join(dir, 'projects'));
  const store = new SqliteTenantStore(join(dir, 'control.db'));
  const projectId = newId('project');
  const records = store.forProject(projectId);
  const blobs = new FsBlobStore(join(dir, 'blobs'), 16).forProject(projectId);
  const file = join(dir, 'projects', `${projectId}.db`);
  createIndexFile(file);
  const index = openIndexFile(file);
  const spent = Object.fromEntries(steps.map((s) => [s, 0])) as Record<(typeof steps)[number], number>;
  let mark = performance.now();
  const step = (name: (typeof steps)[number]) => {
    const now = performance.now();
    spent[name] += now - mark;
    mark = now;
  };
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < files.length; i += batchSize) {
    const batch = files.slice(i, i + batchSize);
    mark = performance.now();
    const at = new Date().toISOString();
    const docs: DocumentRecord[] = batch.map((bytes, j) => ({
      id: newId('document'),
      title: null,
      url: null,
      filename: `${i + j}.txt`,
      content_type: TYPE,
      external_id: `scifact/${i + j}.txt`,
      tags: [],
      metadata: {},
      status: 'queued',
      error: null,
      chunks: 0,
      bytes: bytes.length,
      content_hash: createHash('sha256').update(bytes).digest('hex'),
      created_at: at,
      updated_at: at,
    }));
    if (records.putDocuments) await records.putDocuments(docs);
    else await Promise.all(docs.map((d) => records.putDocument(d)));
    step('record');
    await Promise.all(
      docs.map((d) =>
        records.appendAudit({
          id: newId('request'),
          at,
          actor: { type: 'project_key', key_id: null },
          action: 'documents.create',
          resource: d.id,
          outcome: 'success',
          request_id: 'req_floor',
        }),
      ),
    );
    step('audit');
    await Promise.all(docs.map((d, j) => blobs.put(originalKey(d.id), batch[j], TYPE)));
    step('original');
    const parsed = await Promise.all(batch.map((bytes) => parseDocument(bytes, 'text/plain')));
    step('parse');
    writeDocuments(
      index,
      docs.map((d, j) => ({
        documentId: d.id,
        chunks: parsed[j].drafts.map((c) => ({
          id: newId('chunk'),
          ordinal: c.ordinal,
          title: parsed[j].title ?? d.filename,
          section: c.section,
          page: c.page,
          text: c.text,
          url: null,
          tags: [],
        })),
      })),
    );
    step('index');
    await records.patchDocuments(
      docs.map((d, j) => ({
        id: d.id,
        content_hash: d.content_hash,
        patch: { status: 'ready', chunks: parsed[j].drafts.length, updated_at: at },
      })),
    );
    step('settle');
  }
  const cpu = process.cpuUsage(cpu0);
  store.close();
  index.close();
  const per = (us: number) => Math.round(us / files.length);
  return { user: per(cpu.user), system: per(cpu.system), steps: steps.map((s) => per(spent[s] * 1000)) };
}

async function main() {
  console.log(`${files.length} documents, ${batchSize} a batch, load average ${loadavg()[0].toFixed(1)}`);
  console.log(`round  CPU µs/doc (user + system)  wall µs/doc: ${steps.join(' / ')}`);
  for (let r = 1; r <= rounds; r++) {
    const dir = mkdtempSync(join(tmpdir(), 'oprag-floor-'));
    try {
      const f = await round(dir);
      console.log(
        `${String(r).padStart(5)}  ${String(f.user + f.system).padStart(4)} (${f.user} + ${f.system})`.padEnd(34) +
          `  ${f.steps.join(' / ')}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

void main();
