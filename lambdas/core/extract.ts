import type * as HtmlParser from 'htmlparser2';
import type { Block, ExtractedDocument } from './chunking';
import { UnsupportedMedia } from './errors';

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

/** Thrown when content of a supported type cannot be read: the document becomes `failed`. */
export class ExtractionError extends Error {}

/**
 * Decides what a document is. A declared type wins when the bytes agree with it; the file
 * extension is only a hint; the bytes themselves (PDF and ZIP magic, NUL bytes, UTF-8 validity)
 * have the last word, so a binary file named `.txt` is refused rather than indexed as noise.
 */
export function detectContentType(bytes: Buffer, declared?: string | null, filename?: string | null): SupportedType {
  const claimed = claimedType(declared, filename);
  const sniffed = sniff(bytes);
  if (sniffed === 'binary') throw UnsupportedMedia('the content is binary and not of a supported format');
  if (sniffed === 'pdf' || sniffed === 'zip') {
    const type = sniffed === 'pdf' ? 'application/pdf' : EXTENSIONS.docx;
    if (claimed && claimed !== type) throw UnsupportedMedia(`the content is not ${claimed}`);
    return type;
  }
  if (claimed === 'application/pdf' || claimed === EXTENSIONS.docx) {
    throw UnsupportedMedia(`the content is not ${claimed}`);
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
    if (!known) throw UnsupportedMedia(`content type ${base} is not supported`);
    return known;
  }
  const ext = filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  return ext ? EXTENSIONS[ext] : undefined;
}

function sniff(bytes: Buffer): 'pdf' | 'zip' | 'binary' | 'text' {
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'zip';
  const sample = bytes.subarray(0, 8192);
  if (sample.includes(0)) return 'binary';
  if (!isUtf8(sample)) return 'binary';
  return 'text';
}

/** UTF-8 validity, tolerating a multi-byte character cut off at the end of the sample. */
function isUtf8(sample: Buffer): boolean {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(sample);
  const bad = (text.match(/\uFFFD/g) ?? []).length;
  return bad <= 2 && bad * 200 <= sample.length;
}

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

/** Markdown to plain text blocks: headings kept as sections, markup removed. */
export function markdown(source: string): ExtractedDocument {
  const blocks: Block[] = [];
  let title: string | null = null;
  let para: string[] = [];
  let fence: string | null = null;
  const flush = () => {
    const text = para.join('\n').trim();
    if (text) blocks.push({ kind: 'text', text });
    para = [];
  };
  const lines = source.replace(/^---\n[\s\S]*?\n---\n/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fenceMatch = /^\s*(```|~~~)/.exec(line);
    if (fenceMatch) {
      if (fence === null) {
        flush();
        fence = fenceMatch[1];
      } else if (line.trim().startsWith(fence)) {
        flush();
        fence = null;
      }
      continue;
    }
    if (fence !== null) {
      para.push(line);
      continue;
    }
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    const underline = i + 1 < lines.length && line.trim() ? /^\s*(=+|-+)\s*$/.exec(lines[i + 1]) : null;
    if (heading || (underline && para.length === 0)) {
      flush();
      const level = heading ? heading[1].length : underline?.[1].startsWith('=') ? 1 : 2;
      const text = inlineMarkdown(heading ? heading[2] : line.trim());
      if (!title && level === 1) title = text;
      blocks.push({ kind: 'heading', level, text });
      if (!heading) i++;
      continue;
    }
    if (!line.trim()) {
      flush();
      continue;
    }
    if (/^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line)) continue; // table rule
    const item = /^\s*(?:[-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (item && para.length && !/^\s*(?:[-*+]|\d+[.)])\s+/.test(para[para.length - 1])) flush();
    const row = /^\s*\|(.*)\|\s*$/.exec(line);
    const cleaned = row
      ? row[1]
          .split('|')
          .map((c) => inlineMarkdown(c.trim()))
          .join(' | ')
      : inlineMarkdown(line.replace(/^\s*>\s?/, '').replace(/^\s*(?:[-*+])\s+/, '- '));
    para.push(cleaned);
  }
  flush();
  return { title, blocks };
}

function inlineMarkdown(text: string): string {
  return text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
    .replace(/<\/?[a-zA-Z][^>]*>/g, '')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|[^\w*])[*_]([^*_\n]+)[*_](?=[^\w*]|$)/g, '$1$2')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/~~(.+?)~~/g, '$1')
    .trim();
}

const SKIPPED_TAGS = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'nav',
  'header',
  'footer',
  'aside',
  'form',
  'button',
  'select',
  'iframe',
  'canvas',
  'head',
]);
const BLOCK_TAGS = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'li',
  'ul',
  'ol',
  'table',
  'tr',
  'blockquote',
  'pre',
  'dd',
  'dt',
  'dl',
  'figure',
  'figcaption',
  'br',
  'hr',
  'caption',
  'summary',
  'details',
]);

/** HTML to plain text blocks: main content only, headings kept as sections. */
export function html(source: string): ExtractedDocument {
  // loaded on first use: the functions that only answer questions never parse HTML
  const { Parser } = require('htmlparser2') as typeof HtmlParser;
  const blocks: Block[] = [];
  let title: string | null = null;
  let inTitle = false;
  let titleText = '';
  let skipDepth = 0;
  let heading: { level: number; text: string } | null = null;
  let buffer = '';
  const flush = () => {
    const text = buffer
      .replace(/[ \t\f\v\r]+/g, ' ')
      .replace(/ *\n */g, '\n')
      .replace(/\n{2,}/g, '\n')
      .trim();
    if (text) blocks.push({ kind: 'text', text });
    buffer = '';
  };
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === 'title') inTitle = true;
        if (SKIPPED_TAGS.has(name)) {
          skipDepth++;
          return;
        }
        if (skipDepth) return;
        const h = /^h([1-6])$/.exec(name);
        if (h) {
          flush();
          heading = { level: Number(h[1]), text: '' };
        } else if (name === 'li' || name === 'tr' || name === 'p' || name === 'pre' || name === 'blockquote') {
          flush();
          if (name === 'li') buffer = '- ';
        } else if (name === 'td' || name === 'th') {
          if (buffer && !buffer.endsWith('- ')) buffer += ' | ';
        } else if (BLOCK_TAGS.has(name)) {
          buffer += '\n';
        }
      },
      ontext(text) {
        if (inTitle) titleText += text;
        if (skipDepth) return;
        if (heading) heading.text += text;
        else buffer += text;
      },
      onclosetag(name) {
        if (name === 'title') {
          inTitle = false;
          title = titleText.replace(/\s+/g, ' ').trim() || null;
        }
        if (SKIPPED_TAGS.has(name)) {
          skipDepth = Math.max(0, skipDepth - 1);
          return;
        }
        if (skipDepth) return;
        if (heading && /^h[1-6]$/.test(name)) {
          const text = heading.text.replace(/\s+/g, ' ').trim();
          if (text) blocks.push({ kind: 'heading', level: heading.level, text });
          heading = null;
        } else if (name === 'li' || name === 'tr' || name === 'p' || name === 'pre' || name === 'blockquote') {
          flush();
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(source);
  parser.end();
  flush();
  const firstHeading = blocks.find((b) => b.kind === 'heading' && b.level === 1)?.text ?? null;
  return { title: title ?? firstHeading, blocks };
}

/** CSV: one block per row, each value labelled with its column header. */
export function csv(source: string): ExtractedDocument {
  const rows = parseCsv(source).filter((r) => r.some((c) => c.trim()));
  if (rows.length === 0) return { title: null, blocks: [] };
  const [header, ...body] = rows;
  const blocks: Block[] = body.map((row) => ({
    kind: 'text',
    text: row
      .map((value, i) => [header[i]?.trim() || `column ${i + 1}`, value.trim()])
      .filter(([, v]) => v)
      .map(([h, v]) => `${h}: ${v}`)
      .join('; '),
  }));
  return { title: null, blocks: blocks.length ? blocks : [{ kind: 'text', text: header.join('; ') }] };
}

/** RFC 4180 CSV, with quoted fields that may hold commas, quotes and newlines. */
export function parseCsv(source: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quoted) {
      if (c === '"' && source[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new ExtractionError('the CSV has an unterminated quoted field');
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** JSON: every leaf value with its path, grouped by top-level entry. */
export function json(source: string): ExtractedDocument {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (e) {
    throw new ExtractionError(`the JSON is not valid: ${(e as Error).message}`);
  }
  const blocks: Block[] = [];
  const lines = (v: unknown, path: string, out: string[]) => {
    if (v === null || typeof v !== 'object') {
      if (v !== null && v !== '') out.push(path ? `${path}: ${String(v)}` : String(v));
      return;
    }
    for (const [k, child] of Array.isArray(v) ? v.entries() : Object.entries(v)) {
      lines(child, path ? `${path}.${k}` : String(k), out);
    }
  };
  if (value && typeof value === 'object') {
    for (const [k, child] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
      const out: string[] = [];
      lines(child, Array.isArray(value) ? '' : String(k), out);
      if (out.length) blocks.push({ kind: 'text', text: out.join('\n') });
    }
  } else {
    const out: string[] = [];
    lines(value, '', out);
    if (out.length) blocks.push({ kind: 'text', text: out.join('\n') });
  }
  return { title: null, blocks };
}
