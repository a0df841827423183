/**
 * What `oprag ingest` sends beside a file's bytes: a Markdown file's front matter (`title`, `url`,
 * `tags`), which wins over `--url-template`, and the file without its front matter block, so the
 * block is never indexed as text.
 */
import { extname } from 'node:path';

export interface Described {
  /** the bytes to index: a Markdown file without its front matter */
  bytes: Buffer;
  title?: string;
  url?: string;
  tags?: string[];
}

const MARKDOWN = new Set(['.md', '.markdown', '.mdx']);
const BLOCK = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/;

function unquote(v: string): string {
  const t = v.trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  return t;
}

/** The `key: value` pairs of a front matter block (a flat YAML subset: strings and lists of strings). */
export function parseFrontMatter(block: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let listKey: string | null = null;
  for (const line of block.split(/\r?\n/)) {
    const item = line.match(/^\s+-\s+(.*)$/);
    if (item && listKey) {
      (out[listKey] as string[]).push(unquote(item[1]));
      continue;
    }
    const pair = line.match(/^([A-Za-z_][\w-]*)\s*:\s*(.*)$/);
    if (!pair) continue;
    const [, key, raw] = pair;
    listKey = null;
    if (raw.trim() === '') {
      out[key] = [];
      listKey = key;
    } else if (raw.trim().startsWith('[') && raw.trim().endsWith(']')) {
      out[key] = raw
        .trim()
        .slice(1, -1)
        .split(',')
        .map(unquote)
        .filter((t) => t !== '');
    } else out[key] = unquote(raw);
  }
  return out;
}

/** `{path}` in the template becomes the file's path, relative to the folder it was found in. */
export function urlFromTemplate(template: string, path: string): string {
  return template.replace(/\{path\}/g, path.split('/').map(encodeURIComponent).join('/'));
}

/** A file's bytes and fields: front matter first, then the URL template for a missing `url`. */
export function describeFile(file: string, relativePath: string, bytes: Buffer, urlTemplate?: string): Described {
  const out: Described = { bytes };
  if (MARKDOWN.has(extname(file).toLowerCase())) {
    const text = bytes.toString('utf8');
    const m = BLOCK.exec(text);
    if (m) {
      const fm = parseFrontMatter(m[1]);
      out.bytes = Buffer.from(text.slice(m[0].length), 'utf8');
      if (typeof fm.title === 'string' && fm.title) out.title = fm.title;
      if (typeof fm.url === 'string' && fm.url) out.url = fm.url;
      const tags = typeof fm.tags === 'string' ? fm.tags.split(',').map((t) => t.trim()) : fm.tags;
      if (tags?.length) out.tags = tags.filter((t) => t !== '');
    }
  }
  if (out.url === undefined && urlTemplate) out.url = urlFromTemplate(urlTemplate, relativePath);
  return out;
}
