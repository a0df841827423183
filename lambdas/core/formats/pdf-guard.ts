import { constants, inflateSync } from 'node:zlib';
import { ExtractionError } from '../errors';
import { mb } from '../read-limits';

const STREAM = Buffer.from('stream');
const ENDSTREAM = Buffer.from('endstream');

/**
 * Checks a PDF before a reader inflates it: every Flate-compressed stream (content streams,
 * object streams, fonts, images) is inflated here with a ceiling, all of them together bounded by
 * `maxBytes`, so a small file whose streams expand to gigabytes is refused before the reader
 * holds them. Streams are found by their `stream` … `endstream` keywords, as a damaged file's
 * reader finds them; a stream that does not inflate is left to the reader to judge.
 */
export function checkPdfStreams(bytes: Buffer, maxBytes: number): void {
  let budget = maxBytes;
  let at = 0;
  for (;;) {
    const kw = bytes.indexOf(STREAM, at);
    if (kw < 0) return;
    at = kw + STREAM.length;
    // `endstream` contains `stream`: only a keyword that is not the tail of `endstream` opens one
    if (kw >= 3 && bytes.toString('latin1', kw - 3, kw) === 'end') continue;
    let start = at;
    if (bytes[start] === 0x0d) start++;
    if (bytes[start] === 0x0a) start++;
    const dict = bytes.toString('latin1', Math.max(0, kw - 1024), kw);
    const end = bytes.indexOf(ENDSTREAM, start);
    const stop = end < 0 ? bytes.length : end;
    at = stop;
    const open = dict.lastIndexOf('<<');
    if (open < 0 || !/\/FlateDecode|\/Fl\b/.test(dict.slice(open))) continue;
    try {
      const out = inflateSync(bytes.subarray(start, stop), {
        maxOutputLength: Math.max(1, budget),
        finishFlush: constants.Z_SYNC_FLUSH,
      });
      budget -= out.length;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
        throw new ExtractionError(
          `the PDF's compressed streams expand to more than ${mb(maxBytes)} MB; it may be a decompression bomb`,
        );
      }
    }
    if (budget <= 0) {
      throw new ExtractionError(
        `the PDF's compressed streams expand to more than ${mb(maxBytes)} MB; it may be a decompression bomb`,
      );
    }
  }
}
