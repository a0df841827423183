/**
 * How a document's extracted text is kept beside its original. For a text document the
 * extracted text is most often the original itself, or the original with each line's outer
 * spaces trimmed and runs of blank lines made one: keeping it again would double what the
 * document costs on disk. Such a text is kept as a marker instead, a few bytes naming the
 * derivation that gives it back from the original, byte for byte.
 *
 * A marker is written only after its derivation was run on the original and gave exactly the
 * extracted text, so reading it back is exact. It names the derivation and the original it was
 * made from (the first 128 bits of its SHA-256, in hex: `paragraphs/1 <32 hex digits>`), so a
 * marker never gives text from another original; accepting a new version first writes a marker's
 * text out in full (service/ingest/accept.ts keepTextOfReplaced). The derivations below are
 * frozen: a marker written once must read the same for ever. Changing what one does means adding
 * another under a new name (the `/1` is its version) and keeping the old one.
 */
import { createHash } from 'node:crypto';

/** The content type of an extracted-text blob that is a marker, not text. */
export const DERIVED_TEXT_TYPE = 'application/vnd.oprag.text-from-original';

/** The content type of an extracted-text blob that holds the text itself. */
export const PLAIN_TEXT_TYPE = 'text/plain';

/** The original's bytes as UTF-8, as they are. */
const same = (original: Buffer) => original.toString('utf8');

/**
 * The original as UTF-8 without a byte-order mark, line ends as `\n`, each line's leading and
 * trailing spaces and tabs removed, blank lines (whitespace only) between paragraphs as one,
 * none at either end, and each paragraph trimmed: plain prose as the text reader gives it.
 */
function paragraphs(original: Buffer): string {
  const lines = original
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split('\n');
  const paras: string[] = [];
  let current: string[] = [];
  const flush = () => {
    const text = current.join('\n').trim();
    if (text) paras.push(text);
    current = [];
  };
  for (const line of lines) {
    if (line.trim() === '') flush();
    else current.push(trimSpaces(line));
  }
  flush();
  return paras.join('\n\n');
}

function trimSpaces(line: string): string {
  let start = 0;
  let end = line.length;
  while (start < end && (line[start] === ' ' || line[start] === '\t')) start++;
  while (end > start && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
  return line.slice(start, end);
}

const DERIVATIONS: Readonly<Record<string, (original: Buffer) => string>> = {
  'same/1': same,
  'paragraphs/1': paragraphs,
};

/** Originals of these types are text a derivation may give back; others (PDF, DOCX) never are tried. */
const isTextType = (type: string) => type.startsWith('text/') || type === 'application/json';

/**
 * Larger originals keep their text as it is: trying costs about 10 ms of CPU a MB, in the thread
 * that reads the document (parse-document.ts works the marker out with the text).
 */
export const MAX_DERIVED_BYTES = 1024 * 1024;

/**
 * What to keep for a document's extracted text: a marker when a derivation of the original
 * gives exactly that text, else the text itself as UTF-8.
 */
export function storedText(
  original: Buffer,
  originalType: string,
  text: string,
): { bytes: Buffer; contentType: string } {
  return keptText(text, textMarker(original, originalType, text));
}

/** What is kept of a text whose marker (textMarker) is known: the marker, or else the text itself. */
export function keptText(text: string, marker: string | null | undefined): { bytes: Buffer; contentType: string } {
  return marker ? markerBlob(marker) : { bytes: Buffer.from(text), contentType: PLAIN_TEXT_TYPE };
}

/**
 * The marker that gives `text` back from the original, or null when no derivation does: what
 * storedText keeps. parseDocument works it out where the document is read, with the original
 * and the text at hand, so a reading thread can send the marker back instead of the text.
 */
export function textMarker(original: Buffer, originalType: string, text: string): string | null {
  if (isTextType(originalType) && original.length <= MAX_DERIVED_BYTES) {
    for (const [name, derive] of Object.entries(DERIVATIONS)) {
      if (derive(original) === text) return `${name} ${fingerprint(original)}`;
    }
  }
  return null;
}

/** A marker as it is kept (textMarker). */
export const markerBlob = (marker: string) => ({ bytes: Buffer.from(marker, 'ascii'), contentType: DERIVED_TEXT_TYPE });

/** The first 128 bits of the SHA-256 of the original, in hex: which original a marker was made from. */
const fingerprint = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex').slice(0, 32);

/** Whether a kept extracted-text blob is a marker, whose text comes from the original. */
export const isDerivedText = (stored: { contentType: string }) => stored.contentType === DERIVED_TEXT_TYPE;

/**
 * The extracted text from what was kept: the text itself, or the marker's derivation of the
 * original (null when the original is gone, or is no longer the one the marker was made from).
 * An unknown marker is an error, never a guess.
 */
export function textFromStored(stored: { bytes: Buffer; contentType: string }, original: Buffer | null): string | null {
  if (!isDerivedText(stored)) return stored.bytes.toString('utf8');
  const marker = /^([a-z]+\/\d+) ([0-9a-f]{32})$/.exec(stored.bytes.toString('latin1'));
  const derive = marker && Object.hasOwn(DERIVATIONS, marker[1]) ? DERIVATIONS[marker[1]] : undefined;
  if (!marker || !derive) throw new Error('unknown extracted-text marker');
  return original && fingerprint(original) === marker[2] ? derive(original) : null;
}
