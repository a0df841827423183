import type { Block, ExtractedDocument } from '../chunking';
import { ExtractionError } from '../errors';
import { decodeEntities } from './entities';

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

/**
 * A JSON string that carries HTML (API docs often do: `"desc": "<p>Returns <code>[0, 0, 0]</code>.</p>"`)
 * as its text: tags out, entities read. Other strings as they are.
 */
function plain(value: string): string {
  if (!/<\/[a-z][a-z0-9]{0,10}>/i.test(value)) return value;
  return decodeEntities(value.replace(/<\/?[a-zA-Z][^<>]{0,500}>/g, ''))
    .replace(/\s+/g, ' ')
    .trim();
}

/** How deep a JSON document may nest (arrays and objects); deeper ones are refused, not crashed on. */
export const MAX_JSON_DEPTH = 64;

/** The deepest nesting of `[`/`{` outside strings, by one linear scan (no recursion to overflow). */
export function nestingDepth(source: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 93 || c === 125) depth--;
  }
  return deepest;
}

/** JSON: every leaf value with its path, grouped by top-level entry. */
export function json(source: string): ExtractedDocument {
  const depth = nestingDepth(source);
  if (depth > MAX_JSON_DEPTH) {
    throw new ExtractionError(`the JSON nests ${depth} levels deep; Oprag reads at most ${MAX_JSON_DEPTH}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (e) {
    throw new ExtractionError(`the JSON is not valid: ${(e as Error).message}`);
  }
  const blocks: Block[] = [];
  const lines = (v: unknown, path: string, out: string[]) => {
    if (v === null || typeof v !== 'object') {
      if (v !== null && v !== '') out.push(path ? `${path}: ${plain(String(v))}` : plain(String(v)));
      return;
    }
    // a nested record (an object of plain values) is one line, like a CSV row: "4217.29: alpha_3: CHF;
    // name: Swiss Franc; numeric: 756" keeps a currency's code beside its name
    const entries = Object.entries(v);
    if (
      path &&
      !Array.isArray(v) &&
      entries.length > 1 &&
      entries.every(([, c]) => c === null || typeof c !== 'object')
    ) {
      const record = entries
        .filter(([, c]) => c !== null && c !== '')
        .map(([k, c]) => `${k}: ${plain(String(c))}`)
        .join('; ');
      if (record) out.push(path ? `${path}: ${record}` : record);
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
