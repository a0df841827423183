import type { Block, ExtractedDocument } from './chunking';
import { ExtractionError } from './errors';
import type { SupportedType } from './formats/detect';
import { html } from './formats/html';
import { markdown } from './formats/markdown';
import { csv, json } from './formats/structured';

export { ExtractionError } from './errors';
export { claimedType, detectContentType, SUPPORTED_TYPES, type SupportedType } from './formats/detect';
export { html } from './formats/html';
export { markdown } from './formats/markdown';
export { csv, json, parseCsv } from './formats/structured';

/** Text formats are extracted here; binary formats by a reader the caller supplies. */
export function extractText(bytes: Buffer, type: SupportedType): ExtractedDocument {
  const text = decode(bytes);
  switch (type) {
    case 'text/plain':
      return { title: null, blocks: paragraphs(text) };
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

function decode(bytes: Buffer): string {
  return new TextDecoder('utf-8')
    .decode(bytes)
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n');
}

function paragraphs(text: string, page: number | null = null): Block[] {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.replace(/[ \t]*\n[ \t]*/g, '\n').trim())
    .filter(Boolean)
    .map((p) => ({ kind: 'text' as const, text: p, page }));
}
