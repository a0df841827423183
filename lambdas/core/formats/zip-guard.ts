import { inflateRawSync } from 'node:zlib';
import { ExtractionError } from '../errors';
import { DEFAULT_READ_LIMITS, mb } from '../read-limits';

/** What an Office document may expand to when unzipped, in total. */
export const MAX_EXPANDED_BYTES = DEFAULT_READ_LIMITS.maxInflatedBytes;

export interface ZipLimits {
  /** most bytes all entries together may expand to */
  maxInflatedBytes: number;
  /** most entries, counted by walking the directory */
  maxEntries: number;
}

interface Entry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/**
 * Checks a ZIP container before a reader unzips it whole: a readable central directory, no
 * encrypted entries, at most `maxEntries` entries and no more than `maxInflatedBytes` once
 * expanded — counted by actually inflating each entry with a ceiling, so an archive that
 * understates its sizes is caught too. The directory is walked record by record, as readers do:
 * the entry count of the end record is not trusted (an archive that under-counts its entries
 * hides the rest from a guard that believes it). Throws an ExtractionError a customer can act on.
 */
export function checkZip(bytes: Buffer, what: string, limits: number | Partial<ZipLimits> = {}): void {
  const { maxInflatedBytes: limit, maxEntries } = {
    maxInflatedBytes: DEFAULT_READ_LIMITS.maxInflatedBytes,
    maxEntries: DEFAULT_READ_LIMITS.maxZipEntries,
    ...(typeof limits === 'number' ? { maxInflatedBytes: limits } : limits),
  };
  const entries = centralDirectory(bytes, what, maxEntries);
  let declared = 0;
  for (const e of entries) declared += e.size;
  if (declared > limit) {
    throw new ExtractionError(
      `the ${what} expands to ${mb(declared)} MB when unzipped (at most ${mb(limit)} MB is read); it may be a zip bomb`,
    );
  }
  let budget = limit;
  for (const e of entries) {
    if (e.method === 0 || e.compressedSize === 0) {
      budget -= e.compressedSize;
      if (budget < 0) throw tooLarge(what, limit);
      continue;
    }
    if (e.method !== 8) throw new ExtractionError(`the ${what} uses a compression method Oprag cannot read`);
    const start = dataStart(bytes, e, what);
    try {
      const out = inflateRawSync(bytes.subarray(start, start + e.compressedSize), {
        maxOutputLength: Math.max(1, Math.min(budget, e.size + 1)),
      });
      budget -= out.length;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
        throw tooLarge(what, limit);
      }
      throw new ExtractionError(`the ${what} is damaged: ${e.name} cannot be unzipped`);
    }
  }
}

const tooLarge = (what: string, limit: number) =>
  new ExtractionError(
    `the ${what} expands to more than its directory declares or more than ${mb(limit)} MB; it may be a zip bomb`,
  );

const CENTRAL = 0x02014b50;

function centralDirectory(bytes: Buffer, what: string, maxEntries: number): Entry[] {
  // the end-of-central-directory record is in the last 64 KB + 22 bytes
  const from = Math.max(0, bytes.length - 65_557);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= from; i--) {
    if (bytes.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ExtractionError(`the ${what} is truncated or damaged (no ZIP directory at its end)`);
  const count = bytes.readUInt16LE(eocd + 10);
  const dirOffset = bytes.readUInt32LE(eocd + 16);
  const entries: Entry[] = [];
  let p = dirOffset;
  // every record up to the end record, whatever count the end record claims
  while (p + 4 <= bytes.length && bytes.readUInt32LE(p) === CENTRAL) {
    if (p + 46 > bytes.length) throw new ExtractionError(`the ${what} is damaged (its ZIP directory is unreadable)`);
    if (entries.length >= maxEntries) {
      throw new ExtractionError(`the ${what} holds more than ${maxEntries} files inside its ZIP container`);
    }
    const flags = bytes.readUInt16LE(p + 8);
    if (flags & 1) throw new ExtractionError(`the ${what} is password-protected; upload a copy without a password`);
    const nameLength = bytes.readUInt16LE(p + 28);
    entries.push({
      name: bytes.toString('utf8', p + 46, p + 46 + nameLength),
      method: bytes.readUInt16LE(p + 10),
      compressedSize: bytes.readUInt32LE(p + 20),
      size: bytes.readUInt32LE(p + 24),
      localOffset: bytes.readUInt32LE(p + 42),
    });
    p += 46 + nameLength + bytes.readUInt16LE(p + 30) + bytes.readUInt16LE(p + 32);
  }
  if (entries.length < count) throw new ExtractionError(`the ${what} is damaged (its ZIP directory is unreadable)`);
  return entries;
}

function dataStart(bytes: Buffer, e: Entry, what: string): number {
  const p = e.localOffset;
  if (p + 30 > bytes.length || bytes.readUInt32LE(p) !== 0x04034b50) {
    throw new ExtractionError(`the ${what} is damaged (${e.name} is not where its directory says)`);
  }
  const start = p + 30 + bytes.readUInt16LE(p + 26) + bytes.readUInt16LE(p + 28);
  if (start + e.compressedSize > bytes.length) throw new ExtractionError(`the ${what} is truncated`);
  return start;
}
