import { promisify } from 'node:util';
import {
  constants,
  deflateRaw as deflateRawCb,
  deflateRawSync,
  inflateRaw as inflateRawCb,
  inflateRawSync,
} from 'node:zlib';

/**
 * How the embedded blob store keeps a blob's bytes: compressed where that pays (text-like types),
 * and, for a blob in a file of its own, the file's layout (a marker, the encoding, the content type).
 */

const deflateRaw = promisify(deflateRawCb);
const inflateRaw = promisify(inflateRawCb);

export type Blob = { bytes: Buffer; contentType: string };

/** How a blob's bytes are kept: as they are, or raw DEFLATE (RFC 1951, no header). */
export const STORED = 0;
export const DEFLATED = 1;
export type Encoding = typeof STORED | typeof DEFLATED;

/**
 * Level 4: of SciFact's text about 36 % of its size (level 6: 35 %, level 1: 40 %) for about
 * 23 ms of CPU a MB (level 6: 35 ms); inflating costs 4–7 ms a MB.
 */
const ZLIB = { level: 4, strategy: constants.Z_DEFAULT_STRATEGY };
/** Blobs shorter than this are kept as they are: DEFLATE has nothing to find in them. */
const MIN_COMPRESS = 128;

/**
 * Content types worth compressing: text and the text-based formats. PDF, DOCX, ZIP, images and
 * `application/octet-stream` (embedding checkpoints among them) are mostly compressed already or
 * random-looking, and are kept as they are without trying.
 */
export function compressible(contentType: string): boolean {
  const type = contentType.split(';')[0].trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript' ||
    type === 'application/csv' ||
    type === 'application/x-ndjson' ||
    type === 'application/jsonl'
  );
}

/** The compressed form is kept only when it saves at least an eighth of the bytes. */
const pays = (packed: Buffer, bytes: Buffer) => packed.length <= bytes.length - (bytes.length >> 3);

export function packSync(bytes: Buffer, contentType: string): { encoding: Encoding; bytes: Buffer } {
  if (bytes.length < MIN_COMPRESS || !compressible(contentType)) return { encoding: STORED, bytes };
  const packed = deflateRawSync(bytes, ZLIB);
  return pays(packed, bytes) ? { encoding: DEFLATED, bytes: packed } : { encoding: STORED, bytes };
}

/** As `packSync`, on the thread pool: for the large blobs, which would hold the event loop. */
export async function pack(bytes: Buffer, contentType: string): Promise<{ encoding: Encoding; bytes: Buffer }> {
  if (bytes.length < MIN_COMPRESS || !compressible(contentType)) return { encoding: STORED, bytes };
  const packed = await deflateRaw(bytes, ZLIB);
  return pays(packed, bytes) ? { encoding: DEFLATED, bytes: packed } : { encoding: STORED, bytes };
}

export function unpackSync(encoding: number, bytes: Buffer): Buffer {
  if (encoding === STORED) return bytes;
  if (encoding === DEFLATED) return inflateRawSync(bytes);
  throw new Error(`unknown blob encoding ${encoding}`);
}

/**
 * A blob file is: this marker, the encoding (1 byte), the content type's length (2 bytes), the
 * content type, then the bytes as encoded. Files of the first format (`MARK_1`: no encoding byte,
 * the bytes as they are) and files older still (just the bytes, with the type in a `.type` file
 * beside them) are still read.
 */
const MARK = Buffer.from('\x00oprag-blob-2\x00', 'latin1');
const MARK_1 = Buffer.from('\x00oprag-blob-1\x00', 'latin1');

export function encode(encoding: Encoding, bytes: Buffer, contentType: string): Buffer {
  const type = Buffer.from(contentType, 'utf8');
  const head = Buffer.alloc(3);
  head.writeUInt8(encoding, 0);
  head.writeUInt16BE(type.length, 1);
  return Buffer.concat([MARK, head, type, bytes]);
}

export function decode(file: Buffer): { encoding: number; bytes: Buffer; contentType: string } | null {
  const marked = (mark: Buffer, extra: number) =>
    file.length >= mark.length + extra && file.subarray(0, mark.length).equals(mark);
  let encoding = STORED as number;
  let at: number;
  if (marked(MARK, 3)) {
    encoding = file.readUInt8(MARK.length);
    at = MARK.length + 1;
  } else if (marked(MARK_1, 2)) at = MARK_1.length;
  else return null;
  const length = file.readUInt16BE(at);
  const start = at + 2;
  return {
    encoding,
    contentType: file.subarray(start, start + length).toString('utf8'),
    bytes: file.subarray(start + length),
  };
}

/** `unpackSync` off the event loop: a large blob's bytes inflated in libuv's pool. */
export async function unpack(encoding: number, bytes: Buffer): Promise<Buffer> {
  if (encoding === STORED) return bytes;
  if (encoding !== DEFLATED) throw new Error(`unknown blob encoding ${encoding}`);
  return inflateRaw(bytes);
}
