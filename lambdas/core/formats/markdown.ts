import type { Block, ExtractedDocument } from '../chunking';

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
