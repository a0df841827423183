import type { Block, ExtractedDocument } from '../chunking';

/**
 * Plain text, read for the structure of reference text: a man page rendered to text (`man foo |
 * col -b`), `--help` output, setext-underlined notes. Headings become heading blocks and each
 * option or definition entry (`-z, --gzip` or `RestartSec=` and its description) one text block,
 * `term\ndescription`, so an answer can quote an entry whole. Text with none of this structure
 * comes out as before: paragraphs at blank lines, each line's spaces and tabs trimmed.
 *
 * Linear in the text: lines are scanned by hand and the few regular expressions see strings of
 * bounded length (patterns that backtracked over a 200 KB line of spaces once took half a minute
 * of the one thread everything runs on).
 */
export function plainText(source: string): ExtractedDocument {
  return { title: null, blocks: new Reader(source.split('\n').map(toLine)).read() };
}

/** A line's indentation (tabs to the next multiple of 8) and its text, spaces and tabs trimmed. */
interface Line {
  indent: number;
  text: string;
}

const BLANK: Line = { indent: 0, text: '' };

function toLine(raw: string): Line {
  if (raw.trim() === '') return BLANK;
  let start = 0;
  let indent = 0;
  for (; raw[start] === ' ' || raw[start] === '\t'; start++) indent += raw[start] === ' ' ? 1 : 8 - (indent % 8);
  let end = raw.length;
  while (raw[end - 1] === ' ' || raw[end - 1] === '\t') end--;
  return { indent, text: raw.slice(start, end) };
}

/**
 * A GNU NEWS outline heading: `* Noteworthy changes in release 3.8 (2021-08-01) [stable]` (level 1,
 * it names a version) and `** Bug fixes` under it (level 2), so that a changelog entry keeps the
 * release it belongs to as its section.
 */
export function outlineLevel(text: string): number {
  const m = /^(\*{1,3}) (\S.{0,98})$/.exec(text);
  if (!m || m[2].endsWith('.')) return 0;
  if (m[1].length === 1) return /\b(?:release|version|v)\s*\d+\.\d+/i.test(m[2]) ? 1 : 0;
  return m[1].length;
}

/** `===` or `---`, three or more: a setext underline. */
function isRule(text: string): boolean {
  if (text.length < 3 || (text[0] !== '=' && text[0] !== '-')) return false;
  for (let i = 1; i < text.length; i++) if (text[i] !== text[0]) return false;
  return true;
}

/** `NAME` … `FORWARD SECURE SEALING (FSS) OPTIONS`: a man page's section heading, at column 0. */
const isShout = (l: Line) => l.indent === 0 && l.text.length <= 60 && /^[A-Z][A-Z0-9 ,.:;&'"()/+_-]*$/.test(l.text);

/** The `NAME(section)` at both ends of `TIMEOUT(1)   User Commands   TIMEOUT(1)`, else null. */
function manHeader(text: string): string | null {
  const first = text.length > 300 ? '' : text.slice(0, text.indexOf(' '));
  return first && text.endsWith(` ${first}`) && /^[^\s()]+\(\w+\)$/.test(first) ? first : null;
}

/** An option (`-z`, `--gzip`, `+x`) or a `Key=` setting. A marker and a space is a list item. */
const isStrong = (text: string) => /^(?:[-+]{1,2}[\w?#]|[A-Za-z_][\w.:@-]*=)/.test(text.slice(0, 80));
/** An option proper: the only term in a man page's deeper, nested lists. */
const isOption = (text: string) => (text[0] === '-' || text[0] === '+') && isStrong(text);
/** A short label: `active-pane`, `124`, `value@64`. A final stop or comma makes it prose. */
const isShort = (text: string) => text.length <= 40 && !/[.,;:!?]$/.test(text);

/**
 * A term and its description on one line: `-b, --bytes=LIST   select only these bytes` (2+
 * spaces), or groff's tag one narrower than the indent, `--help display this help and exit`,
 * split at `hint`, the description column as the next line or the last entry shows it.
 */
function splitTerm(text: string, hint: number, man: boolean): { term: string; col: number } | null {
  const gap = text.indexOf('  ');
  if (gap > 0 && gap <= 60 && !/[.,;:!?]$/.test(text.slice(0, gap))) {
    let col = gap;
    while (text[col] === ' ') col++;
    const term = text.slice(0, gap);
    if (text[col] === '-') return null; // `-E  --ignore-tab-expansion`: two spellings of one option
    // a word then two spaces is as likely a justified line of prose: labels need a wider gap
    if (isStrong(term) || (man && isShort(term) && col - gap >= 3)) return { term, col };
  }
  const tag = text.slice(0, hint - 1);
  const fits = hint > 1 && text[hint - 1] === ' ' && /^[A-Za-z]/.test(text.slice(hint, hint + 1));
  return fits && isStrong(tag) && !/[ .,;:]$/.test(tag) ? { term: tag, col: hint } : null;
}

/**
 * Hard-wrapped lines as one line of text. A line ending in a letter and `-` is a word the
 * renderer broke (`systemd.journal-` / `fields(7)`): joined without the space. (Looks at the
 * line before, not at a string built with +=: indexing that flattens it, every time.)
 */
function unwrap(lines: Line[]): string {
  return lines
    .map((l, i) => {
      const prev = i > 0 ? lines[i - 1].text : '';
      return i > 0 && !(prev.endsWith('-') && /[A-Za-z]/.test(prev.slice(-2, -1))) ? ` ${l.text}` : l.text;
    })
    .join('');
}

/** `o   item`, as man renders a bullet: a list item rather than a definition. */
const BULLETS = ['o', '*', '\u2022', '\u00b7'];

/** The text of a bulleted line (`o   item`; a bare `o` needs two spaces to be no word), else null. */
function bulletItem(text: string): string | null {
  let k = 1;
  while (text[k] === ' ') k++;
  return BULLETS.includes(text[0]) && k > (text[0] === 'o' ? 2 : 1) && k < text.length ? text.slice(k) : null;
}

/**
 * A description as running text: hard wraps and blank lines become spaces, except that a
 * paragraph indented deeper than the first (code, a sub-list) keeps its lines, and a bulleted
 * one (`o   strict refuses…`) starts a line of its own with a plain marker.
 */
function joinDescription(desc: Line[]): string {
  const paras: Line[][] = [[]];
  for (const l of desc) {
    if (l.text) paras[paras.length - 1].push(l);
    else paras.push([]);
  }
  const indentOf = (p: Line[]) => p.reduce((m, l) => Math.min(m, l.indent), Number.POSITIVE_INFINITY);
  const base = indentOf(paras[0]);
  const parts: string[] = [];
  let kept = false;
  for (const p of paras) {
    const item = bulletItem(p[0].text);
    const keep = item !== null || indentOf(p) > base;
    if (parts.length) parts.push(keep || kept ? '\n' : ' ');
    if (item !== null) parts.push(`- ${unwrap([{ indent: 0, text: item }, ...p.slice(1)])}`);
    else parts.push(keep ? p.map((l) => l.text).join('\n') : unwrap(p));
    kept = keep;
  }
  return parts.join('');
}

class Reader {
  private blocks: Block[] = [];
  private start = 0;
  private end: number;
  /** the body's indent: in a man page, text deeper than this is an example and keeps its lines */
  private base = 0;
  private man = false;
  /** the last entry's term indent and description column, for a tag that runs into its text */
  private last = { t: 0, col: 0 };

  constructor(private lines: Line[]) {
    this.end = lines.length;
  }

  read(): Block[] {
    this.frame();
    const { lines } = this;
    let afterHeading = false;
    for (let i = this.start; i < this.end; ) {
      const l = lines[i];
      if (!l.text) {
        i++;
        continue;
      }
      // `Title` over `=====` or `-----`, in any text
      const under = i + 1 < this.end && l.text.length <= 80 && !isStrong(l.text) ? lines[i + 1].text : '';
      const setext = isRule(under);
      const outline = l.indent === 0 ? outlineLevel(l.text) : 0;
      const level: number =
        this.man && isShout(l) ? 1 : setext ? (under[0] === '=' ? 1 : 2) : outline || this.subsection(i, afterHeading);
      afterHeading = level > 0;
      const entry = level ? null : this.entry(i);
      if (level)
        this.blocks.push({ kind: 'heading', level, text: outline ? l.text.replace(/^\*+ /, '') : l.text, page: null });
      else if (entry) this.blocks.push({ kind: 'text', text: entry.text, page: null });
      if (entry) this.last = { t: l.indent, col: entry.col };
      i = level ? i + (setext ? 2 : 1) : (entry?.next ?? this.paragraph(i));
    }
    return this.blocks;
  }

  /**
   * Drops a man page's header (`TIMEOUT(1)   User Commands   TIMEOUT(1)`) and footer, and decides
   * whether this is a man page: a header, or column-0 upper-case headings over an indented body.
   */
  private frame(): void {
    const { lines } = this;
    let first = 0;
    while (first < lines.length && !lines[first].text) first++;
    let last = lines.length - 1;
    while (last > first && !lines[last].text) last--;
    const name = first < last && lines[first].indent === 0 ? manHeader(lines[first].text) : null;
    const footer = lines[last];
    // groff's footer ends in the name; a BSD one is `BSD   December 2, 2026   BSD`
    const hasFooter = footer?.indent === 0 && (footer.text.endsWith(` ${name}`) || footer.text.includes('   '));
    if (name) [this.start, this.end] = [first + 1, hasFooter ? last : lines.length];
    const count = { shout: 0, flush: 0, indented: 0, firstIndent: 0 };
    for (let i = this.start; i < this.end; i++) {
      const l = lines[i];
      if (!l.text) continue;
      if (isShout(l)) count.shout++;
      else if (l.indent === 0) count.flush++;
      else if (count.indented++ === 0) count.firstIndent = l.indent;
      // the first line under the first heading (NAME's) shows the body's indent
      if (l.indent > 0 && count.shout && !this.base) this.base = l.indent;
    }
    this.base ||= count.firstIndent;
    this.man = name !== null || (count.shout > 0 && count.flush <= Math.max(1, count.indented / 20));
  }

  /** `   Options` under a section: indented 2–4, short, capitalised, after a break, over deeper text. */
  private subsection(i: number, afterHeading: boolean): number {
    const { lines } = this;
    const l = lines[i];
    if (!this.man || l.indent < 2 || l.indent > 4 || l.indent >= this.base) return 0;
    if (l.text.length > 50 || l.text.endsWith('.') || !/^[A-Z]/.test(l.text)) return 0;
    if (!afterHeading && i > this.start && lines[i - 1].text) return 0;
    let j = i + 1;
    while (j < this.end && !lines[j].text) j++;
    return j < this.end && lines[j].indent > l.indent ? 2 : 0;
  }

  /**
   * The option or definition entry at line i, if one starts there: its term line(s), then the
   * lines indented deeper, across blank lines, up to a line no deeper than the term.
   */
  private entry(i: number): { text: string; next: number; col: number } | null {
    const { lines } = this;
    const t = lines[i].indent;
    if (t === 0) return null;
    // in a man page, text indented past the body's terms is an example (it keeps its lines) or
    // an option list nested in a description
    const nested = this.man && t > this.base + 2;
    const terms: string[] = [];
    const desc: Line[] = [];
    let min = t + 1;
    let j = i;
    for (;;) {
      const { text } = lines[j];
      const after = j + 1 < this.end ? lines[j + 1] : BLANK;
      const deeper = after.text !== '' && after.indent > t;
      const split = splitTerm(text, deeper ? after.indent - t : this.last.t === t ? this.last.col : 0, this.man);
      // rows of a table of labels (`124    if COMMAND times out`) or justified prose: not entries
      const row = after.text && after.indent === t && !isStrong(after.text);
      if (split && !row && (!nested || isOption(split.term))) {
        terms.push(split.term);
        desc.push({ indent: t + split.col, text: text.slice(split.col) });
        min = t + split.col;
        j++;
        break;
      }
      // a man page's short label or hanging paragraph (a command synopsis over its description)
      const label = this.man && !nested && (isShort(text) || (deeper && !text.endsWith('.')));
      if (!label && !(nested ? isOption(text) : isStrong(text))) return null;
      terms.push(text);
      j++;
      // aliases on lines of their own: `-p pid` then `--attach=pid`
      if (!(isStrong(text) && after.indent === t && isStrong(after.text))) break;
    }
    while (j < this.end) {
      if (lines[j].text) {
        if (lines[j].indent < min) break;
        desc.push(lines[j++]);
        continue;
      }
      let k = j;
      while (k < this.end && !lines[k].text) k++;
      if (k === this.end || lines[k].indent < min || (desc.length > 0 && this.sibling(k, desc[0].indent))) break;
      if (desc.length) desc.push(BLANK); // one blank line marks the paragraph break
      j = k;
    }
    if (!desc.length) return null;
    const body = joinDescription(desc);
    const text = terms.length === 1 && BULLETS.includes(terms[0]) ? `- ${body}` : `${terms.join(', ')}\n${body}`;
    return { text, next: j, col: min > t + 1 ? min - t : desc[0].indent - t };
  }

  /** An option with its own description at a description's column: a sibling, not a sub-list. */
  private sibling(k: number, col: number): boolean {
    const { indent, text } = this.lines[k];
    const next = k + 1 < this.end ? this.lines[k + 1] : BLANK;
    return indent === col && isOption(text) && next.text !== '' && next.indent > indent;
  }

  /** Lines up to a blank line, a heading, or an entry that starts where the indent changes. */
  private paragraph(i: number): number {
    const { lines } = this;
    let j = i + 1;
    for (; j < this.end && lines[j].text; j++) {
      if (this.man && isShout(lines[j])) break;
      if (lines[j].indent !== lines[j - 1].indent && this.entry(j)) break;
    }
    const para = lines.slice(i, j);
    // a man page fills its paragraphs: the line breaks are the renderer's, not the author's
    const text = this.man && para[0].indent <= this.base ? unwrap(para) : para.map((l) => l.text).join('\n');
    this.blocks.push({ kind: 'text', text: text.trim(), page: null });
    return j;
  }
}
