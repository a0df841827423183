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

/** Keys whose string names the object that holds them: an API reference's entries, a manual's sections. */
const LABEL_KEYS = ['textRaw', 'title', 'displayName', 'heading', 'label', 'name'];

/** A string that reads as prose: HTML, or eight words or more. */
const isProse = (v: unknown): v is string =>
  typeof v === 'string' && (/<\/[a-z][a-z0-9]{0,10}>/i.test(v) || v.trim().split(/\s+/).length >= 8);

/** The label of an object that documents something: a label key beside prose ("textRaw" and "desc"). */
function sectionLabel(v: Record<string, unknown>): string | null {
  if (!Object.values(v).some(isProse)) return null;
  for (const k of LABEL_KEYS) {
    const label = v[k];
    if (typeof label === 'string' && label.trim() && !isProse(label)) return plain(label).replace(/`/g, '');
  }
  return null;
}

/** Prose as paragraphs: an HTML string's paragraphs and list items each a block of its own. */
function paragraphs(text: string): string[] {
  const parts = /<\/[a-z][a-z0-9]{0,10}>/i.test(text) ? text.split(/<\/(?:p|li|pre|h\d|dd|dt)>/i) : [text];
  return parts.map((p) => plain(`${p}</p>`)).filter((p) => p.length > 0);
}

/**
 * JSON: every leaf value with its path, grouped by top-level entry. A JSON document that documents
 * something (API references, manuals exported as JSON: an object with a label such as `textRaw`,
 * `title` or `name` beside prose) is read as sections instead: the label a heading, the prose its
 * paragraphs, its other fields one line — "`os.loadavg()`" then "Returns an array …" rather than
 * "modules.0.methods.8.desc: …".
 */
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
  let out: string[] = [];
  const flush = () => {
    if (out.length) blocks.push({ kind: 'text', text: out.join('\n') });
    out = [];
  };
  const section = (v: Record<string, unknown>, label: string, level: number) => {
    flush();
    blocks.push({ kind: 'heading', level: Math.min(level, 6), text: label });
    const fields: string[] = [];
    const nested: [string, unknown][] = [];
    for (const [k, child] of Object.entries(v)) {
      if (isProse(child)) for (const p of paragraphs(child)) blocks.push({ kind: 'text', text: p });
      else if (child !== null && typeof child === 'object') nested.push([k, child]);
      else if (child !== null && child !== '' && !LABEL_KEYS.includes(k)) fields.push(`${k}: ${plain(String(child))}`);
    }
    if (fields.length) blocks.push({ kind: 'text', text: fields.join('; ') });
    for (const [k, child] of nested) lines(child, k, level + 1);
    flush();
  };
  const lines = (v: unknown, path: string, level: number) => {
    if (v === null || typeof v !== 'object') {
      if (v !== null && v !== '') out.push(path ? `${path}: ${plain(String(v))}` : plain(String(v)));
      return;
    }
    const entries = Object.entries(v);
    if (!Array.isArray(v)) {
      const label = sectionLabel(v as Record<string, unknown>);
      if (label) return section(v as Record<string, unknown>, label, level);
    }
    // a nested record (an object of plain values) is one line, like a CSV row: "4217.29: alpha_3: CHF;
    // name: Swiss Franc; numeric: 756" keeps a currency's code beside its name
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
      lines(child, path ? `${path}.${k}` : String(k), level);
    }
  };
  if (value && typeof value === 'object') {
    const label = Array.isArray(value) ? null : sectionLabel(value as Record<string, unknown>);
    if (label) section(value as Record<string, unknown>, label, 1);
    else
      for (const [k, child] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
        lines(child, Array.isArray(value) ? '' : String(k), 1);
        flush();
      }
  } else {
    lines(value, '', 1);
    flush();
  }
  return { title: null, blocks };
}
