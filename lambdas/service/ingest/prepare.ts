import { ExtractionError } from '../../core/errors';
import type { SupportedType } from '../../core/formats/detect';
import { newId } from '../../core/ids';
import type { Chunk, DocumentRecord } from '../../core/model';
import { keptText } from '../../core/stored-text';
import { OutOfTime } from '../../core/time-budget';
import type { Context } from '../context';
import { embedResumable } from './embed';
import { originalKey } from './model';

/** A document read and cut into chunks, ready to be written; or why it could not be. */
export type Prepared =
  | { doc: DocumentRecord; title: string; chunks: Chunk[]; text: KeptText; checkpoints: string[] }
  | { doc: DocumentRecord; error: unknown };

/** A document's extracted text as it is kept: the text, or a marker that derives it from the original. */
export type KeptText = { bytes: Buffer; contentType: string };

const waiting = (d: DocumentRecord | null): d is DocumentRecord => d?.status === 'queued' || d?.status === 'processing';

/**
 * From this size a document's reading takes long enough for `processing` to be worth showing
 * where runs are kept from overlapping (runs.ts); a smaller one is read in milliseconds and goes
 * from `queued` to `ready` in the one write that settles it.
 */
export const SHOWN_PROCESSING_FROM_BYTES = 64 * 1024;

/**
 * Step 2 of ingestion, for documents of one project as last read: marks the waiting ones
 * `processing` (each only while it still holds the content it was read with: one replaced or
 * deleted since is left to its newer state), then reads each one's original and cuts it into
 * chunks, embedded where an embedder is configured. Each succeeds or fails on its own, except
 * when the invocation runs out of time: then the whole run stops (OutOfTime) and the documents
 * stay `processing`, for the next delivery to resume from the embeddings kept so far.
 *
 * `exclusive`: the caller holds the documents' runs (runs.ts), so the mark tells no other run
 * anything: only documents large enough for it to show (SHOWN_PROCESSING_FROM_BYTES) are marked,
 * and the others are read as they are, their record written once more only when settled.
 */
export async function prepare(
  ctx: Context,
  projectId: string,
  docs: (DocumentRecord | null)[],
  exclusive = false,
): Promise<Prepared[]> {
  const todo = docs.filter(waiting);
  if (todo.length === 0) return [];
  const toMark = exclusive ? todo.filter((d) => d.bytes >= SHOWN_PROCESSING_FROM_BYTES) : todo;
  const started = ctx.iso();
  const marked =
    toMark.length === 0
      ? []
      : await ctx.store.forProject(projectId).patchDocuments(
          toMark.map((d) => ({
            id: d.id,
            content_hash: d.content_hash,
            patch: { status: 'processing', updated_at: started },
          })),
        );
  const markedById = new Map(toMark.map((d, i) => [d.id, marked[i]]));
  const going = todo.map((d) => (markedById.has(d.id) ? markedById.get(d.id) : d));
  const prepared: Prepared[] = await Promise.all(
    going
      .filter((d) => d != null)
      .map((doc) =>
        readChunks(ctx, projectId, doc).then(
          (p) => ({ doc, ...p }),
          (error: unknown) => ({ doc, error }),
        ),
      ),
  );
  const cut = prepared.find((p) => 'error' in p && p.error instanceof OutOfTime);
  if (cut && 'error' in cut) throw cut.error;
  return prepared;
}

/**
 * Reads a document's stored original and cuts it into chunks, embedded where an embedder is
 * configured (resuming from the steps kept by an earlier run; `checkpoints` names them). `text`
 * is the extracted text as it is to be kept: a marker when the original gives it back exactly
 * (a text document), so a text document's words are not kept twice (core/stored-text.ts).
 */
export async function readChunks(ctx: Context, projectId: string, doc: DocumentRecord) {
  const key = originalKey(doc.id);
  const blob = await ctx.blobs.forProject(projectId).get(key);
  if (!blob) throw new ExtractionError('the original file is missing');
  // read in the reader's worker pool (on AWS, in the reader function, which fetches the original
  // itself): within memory, time and output limits, off the event loop
  const parsed = await ctx.reader.read(blob.bytes, doc.content_type as SupportedType, { projectId, key });
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
  const embedded = await embedResumable(
    ctx,
    projectId,
    doc,
    chunks.map((c) => [c.title, c.section, c.text].filter(Boolean).join('\n')),
  );
  if (embedded) {
    chunks.forEach((c, i) => {
      c.vector = embedded.vectors[i];
    });
  }
  // the reader worked out whether the original gives the text back (parse-document.ts)
  const text = keptText(parsed.text, parsed.textMarker);
  return { title, chunks, text, checkpoints: embedded?.checkpoints ?? [] };
}

function firstLine(text: string): string {
  const line = text.split('\n')[0].trim();
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
