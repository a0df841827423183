import { createHash } from 'node:crypto';
import type { DocumentRecord } from '../../core/model';
import { ensureTime, OutOfTime } from '../../core/time-budget';
import type { Context } from '../context';
import { addUsage } from '../limits';

/**
 * Where one step of a document's embeddings is kept until the document is settled: named by the
 * document and by the texts embedded, so a step is only ever reused for the very same texts.
 */
export function checkpointKey(documentId: string, texts: string[]): string {
  const hash = createHash('sha256');
  for (const t of texts) hash.update(t).update('\u0000');
  return `embeddings/${documentId}_${hash.digest('hex')}`;
}

/** Vectors as little-endian float32, one after another. */
function encode(vectors: number[][], dimensions: number): Buffer {
  const out = Buffer.alloc(vectors.length * dimensions * 4);
  vectors.forEach((v, i) => {
    v.forEach((x, j) => {
      out.writeFloatLE(x, (i * dimensions + j) * 4);
    });
  });
  return out;
}

/** The vectors of a kept step; null when its size is not that of `count` vectors. */
function decode(bytes: Buffer, count: number, dimensions: number): number[][] | null {
  if (bytes.length !== count * dimensions * 4) return null;
  return Array.from({ length: count }, (_, i) =>
    Array.from({ length: dimensions }, (_, j) => bytes.readFloatLE((i * dimensions + j) * 4)),
  );
}

/** The steps a document's texts are embedded in. */
export function checkpointSteps(ctx: Context, texts: string[]): string[][] {
  const per = Math.max(1, ctx.settings.embedCheckpointChunks);
  const steps: string[][] = [];
  for (let i = 0; i < texts.length; i += per) steps.push(texts.slice(i, i + per));
  return steps;
}

/**
 * Embeds a document's chunk texts step by step (`embedCheckpointChunks` at a time, in requests of
 * `embedBatchSize`), keeping each finished step with the project's blobs and counting its usage
 * once. A step already kept is read back instead of embedded again, so a document cut short
 * (OutOfTime: no new step starts within `ingestReserveMs` of the invocation's end) resumes on its
 * next delivery where it stopped. Any other failure removes the steps it kept. Vectors are kept
 * and returned as float32 values, whether embedded now or earlier. Null without an embedder.
 */
export async function embedResumable(
  ctx: Context,
  projectId: string,
  doc: Pick<DocumentRecord, 'id'>,
  texts: string[],
): Promise<{ vectors: number[][]; checkpoints: string[] } | null> {
  const embedder = ctx.embedder;
  if (!embedder) return null;
  const blobs = ctx.blobs.forProject(projectId);
  const { dimensions } = embedder;
  const vectors: number[][] = [];
  const checkpoints: string[] = [];
  try {
    for (const step of checkpointSteps(ctx, texts)) {
      const key = checkpointKey(doc.id, step);
      checkpoints.push(key);
      const kept = await blobs.get(key);
      const reused = kept && decode(kept.bytes, step.length, dimensions);
      if (reused) {
        vectors.push(...reused);
        continue;
      }
      ensureTime(ctx.remainingMs, ctx.settings.ingestReserveMs, `embedding document ${doc.id}`);
      const fresh: number[][] = [];
      let units = 0;
      for (let i = 0; i < step.length; i += ctx.settings.embedBatchSize) {
        const batch = await embedder.embed(step.slice(i, i + ctx.settings.embedBatchSize), 'document');
        fresh.push(...batch.vectors);
        units += batch.units;
      }
      const bytes = encode(fresh, dimensions);
      await blobs.put(key, bytes, 'application/octet-stream');
      await addUsage(ctx, projectId, { embedding_units: units });
      vectors.push(...(decode(bytes, step.length, dimensions) ?? []));
    }
  } catch (e) {
    // the error that failed the document is the one to report, not a failed clean-up
    if (!(e instanceof OutOfTime)) await dropCheckpoints(ctx, projectId, checkpoints).catch(() => undefined);
    throw e;
  }
  return { vectors, checkpoints };
}

/** Removes kept steps once their document is settled (or can never use them). */
export async function dropCheckpoints(ctx: Context, projectId: string, keys: string[]): Promise<void> {
  const blobs = ctx.blobs.forProject(projectId);
  for (const key of keys) await blobs.delete(key);
}
