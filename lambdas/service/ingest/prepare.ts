import { ExtractionError } from '../../core/errors';
import type { SupportedType } from '../../core/formats/detect';
import { newId } from '../../core/ids';
import type { Chunk, DocumentRecord } from '../../core/model';
import type { Context } from '../context';
import { embedChunks } from '../search';
import { originalKey } from './model';

/** A document read and cut into chunks, ready to be written; or why it could not be. */
export type Prepared =
  | { doc: DocumentRecord; title: string; chunks: Chunk[]; text: Buffer }
  | { doc: DocumentRecord; error: unknown };

const waiting = (d: DocumentRecord | null): d is DocumentRecord => d?.status === 'queued' || d?.status === 'processing';

/**
 * Step 2 of ingestion, for documents of one project as last read: marks the waiting ones
 * `processing` (each only while it still holds the content it was read with: one replaced or
 * deleted since is left to its newer state), then reads each one's original and cuts it into
 * chunks, embedded where an embedder is configured. Each succeeds or fails on its own.
 */
export async function prepare(ctx: Context, projectId: string, docs: (DocumentRecord | null)[]): Promise<Prepared[]> {
  const todo = docs.filter(waiting);
  if (todo.length === 0) return [];
  const started = ctx.iso();
  const marked = await ctx.store.forProject(projectId).patchDocuments(
    todo.map((d) => ({
      id: d.id,
      content_hash: d.content_hash,
      patch: { status: 'processing', updated_at: started },
    })),
  );
  return Promise.all(
    marked
      .filter((d) => d !== null)
      .map((doc) =>
        readChunks(ctx, projectId, doc).then(
          (p) => ({ doc, ...p }),
          (error: unknown) => ({ doc, error }),
        ),
      ),
  );
}

/** Reads a document's stored original and cuts it into chunks, embedded where an embedder is configured. */
export async function readChunks(ctx: Context, projectId: string, doc: DocumentRecord) {
  const blob = await ctx.blobs.forProject(projectId).get(originalKey(doc.id));
  if (!blob) throw new ExtractionError('the original file is missing');
  // read in the reader's worker pool: within memory, time and output limits, off the event loop
  const parsed = await ctx.reader.read(blob.bytes, doc.content_type as SupportedType);
  const drafts = parsed.drafts;
  if (drafts.length === 0) throw new ExtractionError('the document contains no text');
  const title = doc.title ?? parsed.title ?? doc.filename ?? firstLine(drafts[0].text);
  const chunks: Chunk[] = drafts.map((d) => ({
    id: newId('chunk'),
    document_id: doc.id,
    ordinal: d.ordinal,
    title,
    section: d.section,
    page: d.page,
    text: d.text,
    url: doc.url,
    tags: doc.tags,
  }));
  const vectors = await embedChunks(
    ctx,
    projectId,
    chunks.map((c) => [c.title, c.section, c.text].filter(Boolean).join('\n')),
  );
  if (vectors) {
    chunks.forEach((c, i) => {
      c.vector = vectors[i];
    });
  }
  return { title, chunks, text: Buffer.from(parsed.text) };
}

function firstLine(text: string): string {
  const line = text.split('\n')[0].trim();
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
