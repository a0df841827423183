import { type ChunkDraft, chunkDocument, type ExtractedDocument } from './chunking';
import { ExtractionError } from './errors';
import type { SupportedType } from './formats/detect';
import { readDocument } from './read-document';
import { DEFAULT_READ_LIMITS, type ReadLimits } from './read-limits';
import { textMarker } from './stored-text';

/** A document read and cut into chunk drafts: what a reader hands back to the pipeline. */
export interface ParsedDocument {
  /** a title found in the content itself */
  title: string | null;
  drafts: ChunkDraft[];
  /**
   * the extracted text, as export shows it: headings on their own lines; a reader that sends the
   * result to another thread may leave it empty where `textMarker` gives it back
   */
  text: string;
  /** the marker that derives the extracted text from the original (core/stored-text.ts), if one does */
  textMarker?: string;
}

/**
 * Reads a document and cuts it into chunks within `limits`' output bounds (characters, chunks)
 * and container bounds (ZIP and PDF inflation, entries, pages). Memory and time are the caller's
 * to bound: the worker pool runs this in a thread it can stop. Throws an ExtractionError whose
 * message says which bound the document passed.
 */
export async function parseDocument(
  bytes: Buffer,
  type: SupportedType,
  limits: ReadLimits = DEFAULT_READ_LIMITS,
): Promise<ParsedDocument> {
  const extracted = await readDocument(bytes, type, limits);
  let chars = 0;
  for (const b of extracted.blocks) chars += b.text.length;
  if (chars > limits.maxChars) {
    throw new ExtractionError(
      `the document's text is longer than ${limits.maxChars.toLocaleString('en-US')} characters; split it into smaller files`,
    );
  }
  const drafts = chunkDocument(extracted);
  if (drafts.length > limits.maxChunks) {
    throw new ExtractionError(
      `the document yields more than ${limits.maxChunks.toLocaleString('en-US')} chunks; split it into smaller files`,
    );
  }
  const text = plainText(extracted);
  const marker = textMarker(bytes, type, text);
  return { title: extracted.title, drafts, text, ...(marker ? { textMarker: marker } : {}) };
}

function plainText(doc: ExtractedDocument): string {
  return doc.blocks
    .map((b) => b.text.trim())
    .filter(Boolean)
    .join('\n\n');
}
