/**
 * A BEIR data set (corpus.jsonl, queries.jsonl, qrels/<split>.tsv) read from ../shared/eval-data,
 * and its corpus indexed in-process the way ingestion indexes it (read as text, chunked, titled),
 * cached between runs in the temporary folder (or `OPRAG_TUNE_DIR`).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { SqliteSearchIndex } from '../lambdas/adapters/local/sqlite-index';
import { readCorpus } from '../lambdas/client/beir';
import { type ChunkingOptions, chunkDocument, DEFAULT_CHUNKING } from '../lambdas/core/chunking';
import { extractText } from '../lambdas/core/extract';
import { newId } from '../lambdas/core/ids';
import type { Chunk } from '../lambdas/core/model';

export { readCorpus, readJsonl, readQrels, readQueries } from '../lambdas/client/beir';

/** A short digest of a set of ids, the same whatever their order. */
const hashIds = (ids: ReadonlySet<string>) =>
  createHash('sha256')
    .update([...ids].sort().join('\n'))
    .digest('hex')
    .slice(0, 12);

/**
 * The corpus's index (document ids `doc_<corpus id>`), built on first use or with `fresh`.
 * `without` leaves those corpus ids out (an index where some questions have lost their answers);
 * such an index has a cache folder of its own, named after the ids left out.
 * Logs the indexing speed when it builds.
 */
/** A plain-text document's chunks as the index stores them: read and cut as ingestion does, no url or tags. */
export function textChunks(documentId: string, title: string | null, text: string, chunking: ChunkingOptions): Chunk[] {
  return chunkDocument(extractText(Buffer.from(text), 'text/plain'), chunking).map((c) => ({
    id: newId('chunk'),
    document_id: documentId,
    ordinal: c.ordinal,
    title,
    section: c.section,
    page: c.page,
    text: c.text,
    url: null,
    tags: [],
  }));
}

export async function openBeirIndex(
  dataset: string,
  opts: { chunking?: ChunkingOptions; fresh?: boolean; without?: ReadonlySet<string> } = {},
) {
  const chunking = opts.chunking ?? DEFAULT_CHUNKING;
  const without = opts.without ?? new Set<string>();
  const left = without.size > 0 ? `-without-${without.size}-${hashIds(without)}` : '';
  const dir = join(
    process.env.OPRAG_TUNE_DIR ?? tmpdir(),
    `oprag-tune-${basename(dataset)}-${Object.values(chunking).join('-')}${left}`,
  );
  const projectId = 'prj_01jz0000000000000000000000';
  if (opts.fresh) rmSync(dir, { recursive: true, force: true });
  const built = existsSync(join(dir, `${projectId}.db`));
  mkdirSync(dir, { recursive: true });
  const searchIndex = new SqliteSearchIndex(dir);
  const index = searchIndex.forProject(projectId);
  if (!built) {
    const corpus = readCorpus(dataset).filter((d) => !without.has(d._id));
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let chunks = 0;
    for (const d of corpus) {
      const docId = `doc_${d._id}`;
      const rows = textChunks(docId, d.title || null, d.text, chunking);
      chunks += rows.length;
      await index.replaceDocument(docId, rows);
    }
    const s = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    process.stderr.write(
      `indexed ${corpus.length} docs → ${chunks} chunks in ${s.toFixed(1)} s: ${Math.round(corpus.length / s)} docs/s ` +
        `(${Math.round(corpus.length / cpuS)} docs per CPU-second), extraction and chunking included, one transaction a document\n`,
    );
  }
  return { searchIndex, index, close: () => searchIndex.close() };
}
