import { UnsupportedMedia } from '../errors';

/** The formats Oprag reads, by canonical content type. */
export const SUPPORTED_TYPES = [
  'text/plain',
  'text/markdown',
  'text/html',
  'text/csv',
  'application/json',
  'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
] as const;
export type SupportedType = (typeof SUPPORTED_TYPES)[number];

const ALIASES: Record<string, SupportedType> = {
  'text/x-markdown': 'text/markdown',
  'application/xhtml+xml': 'text/html',
  'application/csv': 'text/csv',
  'text/json': 'application/json',
  'application/x-pdf': 'application/pdf',
};

const EXTENSIONS: Record<string, SupportedType> = {
  txt: 'text/plain',
  text: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  csv: 'text/csv',
  json: 'application/json',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

/**
 * Decides what a document is. A declared type wins when the bytes agree with it; the file
 * extension is only a hint; the bytes themselves (PDF and ZIP magic, NUL bytes, UTF-8 validity)
 * have the last word, so a binary file named `.txt` is refused rather than indexed as noise.
 */
export function detectContentType(bytes: Buffer, declared?: string | null, filename?: string | null): SupportedType {
  const claimed = claimedType(declared, filename);
  const sniffed = sniff(bytes);
  if (sniffed === 'binary') throw new UnsupportedMedia('the content is binary and not of a supported format');
  if (sniffed === 'zip' && !looksLikeDocx(bytes)) {
    throw new UnsupportedMedia('the file is a ZIP archive but not a DOCX; send the documents inside it one by one');
  }
  if (sniffed === 'rtf') throw new UnsupportedMedia('RTF is not read; save the document as DOCX or PDF');
  if (sniffed === 'pdf' || sniffed === 'zip') {
    const type = sniffed === 'pdf' ? 'application/pdf' : EXTENSIONS.docx;
    if (claimed && claimed !== type) throw new UnsupportedMedia(`the content is not ${claimed}`);
    return type;
  }
  if (claimed === 'application/pdf' || claimed === EXTENSIONS.docx) {
    throw new UnsupportedMedia(`the content is not ${claimed}`);
  }
  if (claimed) return claimed;
  const head = bytes.subarray(0, 512).toString('utf8').trimStart().toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || /<(body|p|div|h1)[\s>]/.test(head)) {
    return 'text/html';
  }
  const sample = bytes.subarray(0, 16384).toString('utf8');
  if (/^#{1,6}\s+\S/m.test(sample) || /\[[^\]\n]+\]\([^)\s]+\)/.test(sample) || /^```/m.test(sample)) {
    return 'text/markdown';
  }
  return 'text/plain';
}

/**
 * The type a client claims: its declared content type (415 when that is not one Oprag reads),
 * or for a generic or missing one, the file extension's; undefined when neither says.
 */
export function claimedType(declared?: string | null, filename?: string | null): SupportedType | undefined {
  const base = declared?.split(';')[0].trim().toLowerCase() || '';
  if (base !== '' && base !== 'application/octet-stream' && base !== 'binary/octet-stream') {
    const known = (SUPPORTED_TYPES as readonly string[]).includes(base) ? (base as SupportedType) : ALIASES[base];
    if (!known) throw new UnsupportedMedia(`content type ${base} is not supported`);
    return known;
  }
  const ext = filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  return ext ? EXTENSIONS[ext] : undefined;
}

/**
 * Whether a ZIP archive is a Word document: entry names are stored as plain text in the archive
 * (in each entry's header and in the directory at its end), and every DOCX has a `word/` part and
 * `[Content_Types].xml`. A damaged or truncated DOCX still shows one of them near its start.
 */
function looksLikeDocx(bytes: Buffer): boolean {
  return bytes.includes('[Content_Types].xml', 0, 'latin1') || bytes.includes('word/', 0, 'latin1');
}

function sniff(bytes: Buffer): 'pdf' | 'zip' | 'rtf' | 'binary' | 'text' {
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  if (bytes.subarray(0, 5).toString('latin1') === '{\\rtf') return 'rtf';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'zip';
  if (bytes.subarray(0, 8).equals(OLE)) {
    throw new UnsupportedMedia(
      'the file is a password-protected Office document or a legacy .doc/.xls; save it as .docx without a password',
    );
  }
  const sample = bytes.subarray(0, 8192);
  if (sample.includes(0)) return 'binary';
  if (!isUtf8(sample) && !isSingleByteText(sample)) return 'binary';
  return 'text';
}

/** The compound-file signature of legacy and encrypted Office documents. */
const OLE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/**
 * Text in a single-byte encoding (Latin-1, Windows-1252): printable bytes, line breaks and tabs,
 * with the few control characters those encodings leave unassigned (0x81, 0x8d, 0x8f, 0x90, 0x9d)
 * or that text never holds kept under 1 %.
 */
function isSingleByteText(sample: Buffer): boolean {
  let control = 0;
  for (const b of sample) {
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) || b === 0x7f) control++;
    else if (b === 0x81 || b === 0x8d || b === 0x8f || b === 0x90 || b === 0x9d) control++;
  }
  return control * 100 <= sample.length;
}

/** UTF-8 validity, tolerating a multi-byte character cut off at the end of the sample. */
function isUtf8(sample: Buffer): boolean {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(sample);
  const bad = (text.match(/\uFFFD/g) ?? []).length;
  return bad <= 2 && bad * 200 <= sample.length;
}
