import type { Block, ExtractedDocument } from '../chunking';
import { decodeEntities } from './entities';

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
  // runs of more than 32 spaces or tabs become one space: every pattern below then backtracks
  // over at most 32 characters, so a hostile line costs linear time, not quadratic
  const lines = source
    .replace(/^---\n[\s\S]*?\n---\n/, '')
    .replace(/[ \t]{33,}/g, ' ')
    .split('\n');
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
    const heading = headingOf(line);
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

/**
 * `# Heading #` → ['#', 'Heading'], or null. Trailing hashes and spaces are cut by hand: the
 * regular expression that did it backtracked quadratically over a long heading line.
 */
function headingOf(line: string): [string, string, string] | null {
  const m = /^ {0,3}(#{1,6})(?:[ \t]+(.*))?$/.exec(line);
  if (!m) return null;
  let text = m[2] ?? '';
  let end = text.length;
  while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  let hashes = end;
  while (hashes > 0 && text[hashes - 1] === '#') hashes--;
  // closing hashes count only after a space ("# C#" keeps its hash)
  if (hashes < end && (hashes === 0 || text[hashes - 1] === ' ' || text[hashes - 1] === '\t')) end = hashes;
  text = text.slice(0, end).trim();
  return [m[0], m[1], text];
}

/**
 * Markup out of one line. Every span a pattern may cross is bounded (link text 500 characters,
 * a URL 2,000) and stops at the next bracket: unbounded, a line of 40 KB of `[` or `![` took
 * seconds, and a line of megabytes, hours.
 */
function inlineMarkdown(text: string): string {
  return (
    text
      .replace(/!\[([^[\]]{0,500})\]\([^()]{0,2000}\)/g, '$1')
      .replace(/\[([^[\]]{1,500})\]\([^()]{0,2000}\)/g, '$1')
      .replace(/\[([^[\]]{1,500})\]\[[^[\]]{0,500}\]/g, '$1')
      .replace(/<\/?[a-zA-Z][^<>]{0,500}>/g, '')
      // entities read as the characters they stand for, except inside code spans (`&copy;` is code)
      .split(/(`[^`]{1,500}`)/)
      .map((part, i) => (i % 2 === 1 ? part : decodeEntities(part)))
      .join('')
      .replace(/(\*\*|__)(.{1,500}?)\1/g, '$2')
      .replace(/(^|[^\w*])[*_]([^*_\n]{1,500})[*_](?=[^\w*]|$)/g, '$1$2')
      .replace(/`([^`]{1,500})`/g, '$1')
      .replace(/~~(.{1,500}?)~~/g, '$1')
      .trim()
  );
}
