/**
 * A PDF's structure, read back from where its text sits on the page. A PDF holds positioned runs
 * of text, not paragraphs: read as a stream, a page is one run-on paragraph in which a manual's
 * headings, option entries, lists and tables of contents are lost. This rebuilds them from the
 * layout, as a reader's eye does:
 * - a line set in a larger type than the body, and short, is a heading (its size gives its level);
 * - a vertical gap wider than the usual line spacing, a bullet, or a line that starts further left
 *   than the one above opens a new block;
 * - a short first line whose following lines are indented is an entry: its term, then its
 *   description (`-k --keep` over "Keep (don't delete) input files …");
 * - lines set smaller than the body (code, tables) keep their line breaks;
 * - running heads and feet repeated page after page, lone page numbers and table-of-contents lines
 *   (dot leaders and a page number) are dropped;
 * - a word hyphenated across two lines is joined ("dis-" "tance" → "distance").
 */
import type { Block } from '../chunking';

/** One run of text as pdf.js reports it (its `transform`'s x and y, its height and width). */
export interface PdfTextItem {
  str: string;
  x: number;
  y: number;
  width: number;
  height: number;
  hasEOL: boolean;
}

export interface PdfLine {
  text: string;
  x: number;
  y: number;
  height: number;
}

/** The lines of a page: runs joined until an end of line, or a run that sits on another line. */
export function pageLines(items: PdfTextItem[]): PdfLine[] {
  const lines: PdfLine[] = [];
  let current: PdfLine | null = null;
  let lastEnd = 0;
  const close = () => {
    const line: PdfLine | null = current;
    if (line?.text.trim()) lines.push({ ...line, text: line.text.replace(/\s+/g, ' ').trim() });
    current = null;
  };
  for (const item of items) {
    const visible = item.str.trim().length > 0;
    if (current && visible && Math.abs(item.y - current.y) > Math.max(2, 0.5 * (item.height || current.height)))
      close();
    if (!current) {
      if (!visible) {
        if (item.hasEOL) close();
        continue;
      }
      current = { text: '', x: item.x, y: item.y, height: item.height };
      lastEnd = item.x;
    }
    // a gap between runs that neither run spells as a space
    const gap = item.x - lastEnd;
    if (visible && current.text && !/\s$/.test(current.text) && !/^\s/.test(item.str) && gap > 0.2 * item.height)
      current.text += ' ';
    current.text += item.str;
    if (visible) {
      current.height = Math.max(current.height, item.height);
      lastEnd = item.x + item.width;
    }
    if (item.hasEOL) close();
  }
  close();
  return lines;
}

const TOC_LINE = /(?:\.\s?){4,}\s*[ivxlc\d]+\s*$/i;
const PAGE_NUMBER = /^(?:page\s+)?[ivxlc\d]+(?:\s*(?:of|\/)\s*\d+)?$/i;
const BULLET = /^(?:[•▪◦●‣∙·○■□➢✓-]\s|\d{1,2}[.)]\s|[a-z][.)]\s)/;

/** The most common value of a list (rounded to a half), weighted. */
function mode(values: { v: number; w: number }[]): number {
  const counts = new Map<number, number>();
  for (const { v, w } of values) {
    const k = Math.round(v * 2) / 2;
    counts.set(k, (counts.get(k) ?? 0) + w);
  }
  let best = 0;
  let bestCount = -1;
  for (const [k, c] of counts)
    if (c > bestCount) {
      best = k;
      bestCount = c;
    }
  return best;
}

/** A line's text with its digits blurred, so "Page 3" and "Page 4" are the same running foot. */
const shape = (text: string) => text.replace(/\d+/g, '#').toLowerCase();

/** The lines repeated at the top or the bottom of several pages: running heads and feet. */
function runningLines(pages: PdfLine[][]): Set<string> {
  const seen = new Map<string, number>();
  for (const lines of pages) {
    const ends = new Set(
      [...lines.slice(0, 2), ...lines.slice(-2)].filter((l) => l.text.length <= 80).map((l) => shape(l.text)),
    );
    for (const s of ends) seen.set(s, (seen.get(s) ?? 0) + 1);
  }
  const min = 3;
  return new Set([...seen].filter(([, n]) => pages.length >= 4 && n >= min).map(([s]) => s));
}

/** Joins a line to the text before it, mending a word hyphenated across the break. */
function joinLine(text: string, line: string): string {
  if (!text) return line;
  if (/[a-z]-$/.test(text) && /^[a-z]/.test(line)) return text.slice(0, -1) + line;
  if (/-$/.test(text) && /^\w/.test(line)) return text + line;
  return `${text} ${line}`;
}

/** The blocks of a document, from its pages' lines (page n of the array is page n + 1). */
export function layoutBlocks(pages: PdfLine[][]): Block[] {
  const running = runningLines(pages);
  const kept = pages.map((lines) =>
    lines.filter((l, j) => {
      // a head or a foot sits beside a page's text: a page that holds nothing else keeps it
      const atEdge = lines.length > 1 && (j < 2 || j >= lines.length - 2);
      if (atEdge && (running.has(shape(l.text)) || PAGE_NUMBER.test(l.text))) return false;
      return !TOC_LINE.test(l.text) && !/^(?:table of )?contents$/i.test(l.text);
    }),
  );
  const all = kept.flat();
  const body = mode(all.map((l) => ({ v: l.height, w: l.text.length })));
  const gaps: { v: number; w: number }[] = [];
  for (const lines of kept)
    for (let j = 1; j < lines.length; j++) {
      const gap = lines[j - 1].y - lines[j].y;
      const bodyLines = Math.abs(lines[j].height - body) < 0.5 && Math.abs(lines[j - 1].height - body) < 0.5;
      if (gap > 0 && bodyLines) gaps.push({ v: gap, w: 1 });
    }
  const spacing = mode(gaps) || body * 1.2;
  // heading sizes, largest first: level 1, 2, 3 …
  const headingSizes = [
    ...new Set(all.filter((l) => isHeading(l, body)).map((l) => Math.round(l.height * 2) / 2)),
  ].sort((a, b) => b - a);

  const blocks: Block[] = [];
  kept.forEach((lines, p) => {
    const page = p + 1;
    let block: { lines: PdfLine[] } | null = null;
    const flush = () => {
      if (block) blocks.push({ kind: 'text', text: blockText(block.lines, body), page });
      block = null;
    };
    lines.forEach((line, j) => {
      if (isHeading(line, body)) {
        flush();
        const level = headingSizes.indexOf(Math.round(line.height * 2) / 2) + 1;
        const prev = blocks[blocks.length - 1];
        // a heading wrapped over two lines is one heading
        if (prev?.kind === 'heading' && prev.page === page && j > 0 && isHeading(lines[j - 1], body))
          prev.text = `${prev.text} ${line.text}`;
        else blocks.push({ kind: 'heading', level: Math.min(level, 6), text: line.text, page });
        return;
      }
      const prev = j > 0 ? lines[j - 1] : null;
      const gap = prev ? prev.y - line.y : 0;
      const startsAnew =
        !block ||
        !prev ||
        gap > spacing * 1.45 ||
        gap < -spacing ||
        BULLET.test(line.text) ||
        Math.abs(line.height - prev.height) > 0.5 ||
        line.x < prev.x - Math.max(2, 0.5 * body);
      if (startsAnew) {
        flush();
        block = { lines: [line] };
      } else block?.lines.push(line);
    });
    flush();
  });
  return blocks.filter((b) => b.text.trim().length > 0);
}

/** A line set larger than the body, short, and not ending a sentence. */
function isHeading(line: PdfLine, body: number): boolean {
  return (
    line.height >= body * 1.08 && line.text.length <= 100 && !/[.,;:]$/.test(line.text) && /\p{L}/u.test(line.text)
  );
}

/**
 * A block's text: prose lines joined into one paragraph; an entry as its term, a line break, then
 * its description; lines set smaller than the body (code, a table) one per line.
 */
function blockText(lines: PdfLine[], body: number): string {
  if (lines.every((l) => l.height < body - 0.4)) return lines.map((l) => l.text).join('\n');
  const [first, ...rest] = lines;
  if (rest.length > 0 && first.text.length <= 60 && rest.every((l) => l.x > first.x + Math.max(2, 0.5 * body)))
    return `${first.text}\n${rest.reduce((t, l) => joinLine(t, l.text), '')}`;
  return lines.reduce((t, l) => joinLine(t, l.text), '');
}
