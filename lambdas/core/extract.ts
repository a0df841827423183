import type { ExtractedDocument } from './chunking';
import { ExtractionError } from './errors';
import type { SupportedType } from './formats/detect';
import { html } from './formats/html';
import { markdown } from './formats/markdown';
import { plainText } from './formats/plaintext';
import { csv, json } from './formats/structured';

export { ExtractionError } from './errors';
export { claimedType, detectContentType, SUPPORTED_TYPES, type SupportedType } from './formats/detect';
export { html } from './formats/html';
export { markdown } from './formats/markdown';
export { plainText } from './formats/plaintext';
export { csv, json, parseCsv } from './formats/structured';

/** Text formats are extracted here; binary formats by a reader the caller supplies. */
export function extractText(bytes: Buffer, type: SupportedType): ExtractedDocument {
  const text = decode(bytes);
  switch (type) {
    case 'text/plain':
      return plainText(text);
    case 'text/markdown':
      return markdown(text);
    case 'text/html':
      return html(text);
    case 'text/csv':
      return csv(text);
    case 'application/json':
      return json(text);
    default:
      throw new ExtractionError(`${type} needs a binary reader`);
  }
}

/**
 * UTF-8 — with stray invalid bytes as U+FFFD when the rest is UTF-8 — or, for text whose high
 * bytes are mostly not UTF-8 sequences (a Latin-1 or Windows-1252 export), Windows-1252.
 */
export function decode(bytes: Buffer): string {
  let text = new TextDecoder('utf-8').decode(bytes);
  let invalid = 0;
  let valid = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0xfffd) invalid++;
    else if (c > 0x7f) valid++;
  }
  if (invalid > valid) text = windows1252(bytes);
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

// 0x80–0x9f in Windows-1252 (Node 20's decoder reads them as Latin-1 control characters)
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

function windows1252(bytes: Buffer): string {
  return bytes.toString('latin1').replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]);
}
