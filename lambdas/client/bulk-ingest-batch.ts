/**
 * The batches of `oprag ingest`: text files go to the API many to a request
 * (`POST .../documents/batch`), as JSON text; anything else (PDF, DOCX, bytes that are not
 * UTF-8, a file too large for a batch) goes on its own as before.
 */
import { extname } from 'node:path';
import type { IngestFile } from './bulk-ingest-files';
import type { Described } from './front-matter';

/** Most documents in one batch request (the API takes up to 1000). */
export const DEFAULT_BATCH_SIZE = 250;
/** Most bytes of documents in one batch: JSON escaping and fields fit within the API's 4 MB body. */
export const BATCH_BYTES = 3 * 2 ** 20;
/** A file larger than this goes on its own, leaving room for others in a batch. */
export const BATCH_ITEM_BYTES = 2 ** 20;

const BINARY_FORMATS = new Set(['.pdf', '.docx']);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A file's text, when it can travel in a batch: UTF-8 without NUL bytes, of a text format, small enough. */
export function batchText(path: string, bytes: Buffer): string | null {
  if (bytes.length === 0 || bytes.length > BATCH_ITEM_BYTES || BINARY_FORMATS.has(extname(path).toLowerCase())) {
    return null;
  }
  if (bytes.includes(0)) return null;
  try {
    // the BOM is kept, so the API hashes exactly the file's bytes and a later run sees them unchanged
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

export interface BatchItem {
  file: IngestFile;
  described: Described;
  text: string;
  filename: string;
}

/** The JSON item of a file in a batch body: what a single POST would have sent as its fields. */
export function batchDocument({ file, described, text, filename }: BatchItem) {
  const { bytes: _, ...fields } = described;
  return { text, filename, external_id: file.externalId, ...fields };
}

/** The status a single POST would have answered for an item's error type, for a failure's reason. */
const STATUS: Record<string, number> = {
  invalid_request: 400,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
};
export const itemReason = (e: { type?: string; message?: string }) =>
  `${STATUS[e.type ?? ''] ?? e.type ?? 'error'} ${e.message ?? 'refused'}`;

/**
 * Gathers items into batches of at most `size` items and `BATCH_BYTES` bytes; a full batch is
 * handed to `send` by the `add` that filled it, the rest by `flush`.
 */
export class Batcher {
  private items: BatchItem[] = [];
  private bytes = 0;
  constructor(
    private readonly size: number,
    private readonly send: (items: BatchItem[]) => Promise<void>,
  ) {}

  async add(item: BatchItem): Promise<void> {
    const length = item.described.bytes.length;
    if (this.items.length > 0 && this.bytes + length > BATCH_BYTES) await this.take();
    this.items.push(item);
    this.bytes += length;
    if (this.items.length >= this.size) await this.take();
  }

  async flush(): Promise<void> {
    if (this.items.length > 0) await this.take();
  }

  private take(): Promise<void> {
    const items = this.items;
    this.items = [];
    this.bytes = 0;
    return this.send(items);
  }
}
