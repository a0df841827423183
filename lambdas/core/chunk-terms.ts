import { foldedText, indexKey, STOPWORDS, TOKEN } from './text';

/**
 * How a chunk's words are kept for ranking: analysed once at write time (its field lengths, and
 * per content term its stem's frequency in each field) and stored as a compact buffer that the
 * ranking (rank.ts) reads back without re-reading or re-stemming the passage's text.
 */

/** Whether a token is indexed as a content term: the same rule queries follow. */
export function isContentToken(token: string): boolean {
  return token.length >= 2 && !STOPWORDS.has(token);
}

export interface AnalyzedChunk {
  /** words per field (stopwords included: they are part of the length) */
  lengths: [number, number, number];
  /** the chunk's content terms by index key, each once, in the order they first appear */
  keys: string[];
  /** term frequency per field of each key of `keys`, in the same order: [title, section, body] */
  tf: [number, number, number][];
  /** the two hashes of each key of `keys`, in the same order (spares encodeTerms a look-up per key) */
  hashes: number[];
}

/**
 * What a token is indexed as: its key and the key's two hashes (see termHash), one object per key
 * however many tokens share it ('refund', 'refunds'), so that a chunk counts a key in one place:
 * `chunk` is the last chunk that met it, `slot` its place among that chunk's keys.
 */
interface ContentTerm {
  key: string;
  a: number;
  b: number;
  chunk: number;
  slot: number;
}

/** Memoized, like the stems: a corpus repeats its words. Cleared between chunks, never within one. */
const contentTerms = new Map<string, ContentTerm | null>();
const termsByKey = new Map<string, ContentTerm>();
let chunksAnalyzed = 0;

/** A token's content term, or null for a stopword or a one-letter token. */
function contentTermOf(token: string): ContentTerm | null {
  let term = contentTerms.get(token);
  if (term === undefined) {
    term = null;
    if (isContentToken(token)) {
      const key = indexKey(token);
      term = termsByKey.get(key) ?? null;
      if (term === null) {
        const [a, b] = termHash(key);
        term = { key, a, b, chunk: -1, slot: 0 };
        termsByKey.set(key, term);
      }
    }
    contentTerms.set(token, term);
  }
  return term;
}

/**
 * What each ASCII character is to the word pattern (TOKEN): 1 a letter, 2 a digit, 0 neither.
 * In ASCII, `\p{L}` is A–Z and a–z and `\p{N}` is 0–9.
 */
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  ASCII_CLASS[c] = /\p{L}/u.test(ch) ? 1 : /\p{N}/u.test(ch) ? 2 : 0;
}
const APOSTROPHE = 39;

/**
 * The tokens met so far, by their characters, for ASCII text: found by a hash of the characters
 * as they are scanned, so that a known word costs no string, no match object and no Map look-up.
 * Open addressing over 2^17 slots (about 1.5 MB, made for the first token stored: a thread that
 * never analyses a chunk never holds it), emptied when half full, even within a chunk; a token it
 * no longer holds is found again through `contentTerms`.
 */
const TABLE_SLOTS = 1 << 17;
const TABLE_MASK = TABLE_SLOTS - 1;
let tableTokens: (string | undefined)[] = [];
let tableTerms: (ContentTerm | null)[] = [];
let tableHashes = new Int32Array(0);
let tableSize = TABLE_SLOTS; // made when the first token is stored

function emptyTable() {
  tableTokens = new Array(TABLE_SLOTS);
  tableTerms = new Array(TABLE_SLOTS).fill(null);
  tableHashes = new Int32Array(TABLE_SLOTS);
  tableSize = 0;
}

/** The content term of the token `text[start, end)` (lower-case ASCII), whose FNV-1a hash is `hash`. */
function asciiTermOf(text: string, start: number, end: number, hash: number): ContentTerm | null {
  const length = end - start;
  let at = hash & TABLE_MASK;
  for (let known = tableTokens[at]; known !== undefined; known = tableTokens[at]) {
    if (tableHashes[at] === hash && known.length === length) {
      let i = 0;
      while (i < length && known.charCodeAt(i) === text.charCodeAt(start + i)) i++;
      if (i === length) return tableTerms[at];
    }
    at = (at + 1) & TABLE_MASK;
  }
  const token = text.slice(start, end);
  const term = contentTermOf(token);
  if (tableSize >= TABLE_SLOTS / 2) {
    // never more than half full, so that a look-up always ends at an empty slot
    emptyTable();
    at = hash & TABLE_MASK;
  }
  tableTokens[at] = token;
  tableTerms[at] = term;
  tableHashes[at] = hash;
  tableSize++;
  return term;
}

/** The chunk being analysed: its keys, their frequencies and hashes, as analyzeChunk collects them. */
interface Collected {
  chunk: number;
  keys: string[];
  tf: [number, number, number][];
  hashes: number[];
}

function count(into: Collected, term: ContentTerm, field: number) {
  if (term.chunk !== into.chunk) {
    term.chunk = into.chunk;
    term.slot = into.keys.length;
    into.keys.push(term.key);
    into.tf.push([0, 0, 0]);
    into.hashes.push(term.a, term.b);
  }
  into.tf[term.slot][field]++;
}

/**
 * Counts the words of lower-case ASCII text as TOKEN reads them: a run of letters and digits, then
 * an apostrophe and the letters after it, which the word drops. Returns the number of words.
 */
function countAscii(into: Collected, text: string, field: number): number {
  let words = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (ASCII_CLASS[c] === 0) {
      i++;
      continue;
    }
    const start = i;
    let hash = 0x811c9dc5;
    do {
      hash = Math.imul(hash ^ c, 0x01000193);
      c = ++i < n ? text.charCodeAt(i) : 0;
    } while (i < n && ASCII_CLASS[c] !== 0);
    const end = i;
    if (c === APOSTROPHE && i + 1 < n && ASCII_CLASS[text.charCodeAt(i + 1)] === 1) {
      i += 2;
      while (i < n && ASCII_CLASS[text.charCodeAt(i)] === 1) i++;
    }
    words++;
    const term = asciiTermOf(text, start, end, hash | 0);
    if (term !== null) count(into, term, field);
  }
  return words;
}

/** As countAscii, for text with other characters: TOKEN itself. */
function countWords(into: Collected, folded: string, field: number): number {
  let words = 0;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(folded); m !== null; m = TOKEN.exec(folded)) {
    words++;
    const term = contentTermOf(m[1]);
    if (term !== null) count(into, term, field);
  }
  return words;
}

/** Tokenizes and stems a chunk's fields once, at write time (the tokens of tokenize in text.ts). */
export function analyzeChunk(title: string | null, section: string | null, body: string): AnalyzedChunk {
  if (contentTerms.size >= 200_000) {
    contentTerms.clear();
    termsByKey.clear();
    // the table points at the terms just dropped: a token found there would count its key under
    // an object of its own, beside the one a new token of the same key gets
    emptyTable();
  }
  const into: Collected = { chunk: chunksAnalyzed++, keys: [], tf: [], hashes: [] };
  const lengths: [number, number, number] = [0, 0, 0];
  const fields = [title ?? '', section ?? '', body];
  for (let field = 0; field < 3; field++) {
    const { folded, ascii } = foldedText(fields[field]);
    lengths[field] = ascii ? countAscii(into, folded, field) : countWords(into, folded, field);
  }
  return { lengths, keys: into.keys, tf: into.tf, hashes: into.hashes };
}

const hashes = new Map<string, [number, number]>();

/**
 * Two independent 32-bit FNV-1a hashes of a key: 64 bits, so that two terms practically never
 * share one. Memoized, like the stems.
 */
export function termHash(key: string): [number, number] {
  let h = hashes.get(key);
  if (h) return h;
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193 + 2 * i + 1) >>> 0;
  }
  h = [a, b >>> 0];
  if (hashes.size >= 200_000) hashes.clear();
  hashes.set(key, h);
  return h;
}

/** The largest term frequency a field stores (10 bits). */
export const TF_MAX = 1023;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The stored uint32 little-endian words of a chunk's terms, as an array (copied only when it must be). */
export function wordsOf(buf: Buffer): Uint32Array {
  const n = Math.floor(buf.length / 4);
  if (LITTLE_ENDIAN && buf.byteOffset % 4 === 0) return new Uint32Array(buf.buffer, buf.byteOffset, n);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = buf.readUInt32LE(i * 4);
  return out;
}

/**
 * A chunk's term statistics as stored: uint32 little-endian words, then for each content term
 * [hash a, hash b, tf title | tf section << 10 | tf body << 20].
 */
export function encodeTerms(analyzed: AnalyzedChunk): Buffer {
  const { tf, hashes } = analyzed;
  const words = new Uint32Array(tf.length * 3);
  for (let i = 0, o = 0; i < tf.length; i++, o += 3) {
    const [t, s, b] = tf[i];
    words[o] = hashes[2 * i];
    words[o + 1] = hashes[2 * i + 1];
    words[o + 2] = Math.min(t, TF_MAX) | (Math.min(s, TF_MAX) << 10) | (Math.min(b, TF_MAX) << 20);
  }
  const buf = Buffer.from(words.buffer, words.byteOffset, words.byteLength);
  if (!LITTLE_ENDIAN) buf.swap32();
  return buf;
}

/** A chunk's stored terms read back: each key (`keys`, space-separated, in the order of `terms`) with its total frequency. */
export function storedTermCounts(terms: Buffer, keys: string): Map<string, number> {
  const split = keys.split(' ');
  const out = new Map<string, number>();
  for (let i = 0, o = 0; o + 12 <= terms.length && i < split.length; i++, o += 12) {
    const packed = terms.readUInt32LE(o + 8);
    out.set(split[i], (packed & TF_MAX) + ((packed >>> 10) & TF_MAX) + ((packed >>> 20) & TF_MAX));
  }
  return out;
}
