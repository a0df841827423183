/**
 * The pieces of a passage an answer may quote, with what surrounds them. A passage is made of
 * blocks (paragraphs, list items, option entries, table rows: ingestion keeps them apart with a
 * blank line); the unit a reader would point at is
 * - an option or definition entry (`-z, --gzip` then its description; `RestartSec=` then what it
 *   configures), kept whole when short, else its sentences with the entry's term as context;
 * - a table or CSV row, or a line of a list;
 * - a sentence of a paragraph, with the sentence before it and the FAQ question above it as
 *   context (the answer under "Why does X complain?" is about X even when it never names it);
 * - a code block, quoted only when code is asked for.
 * A line that asks a question is never quoted: it is context for what follows it.
 */
import { splitSentences } from './text';

export type UnitKind = 'sentence' | 'entry' | 'row' | 'code';

export interface AnswerUnit {
  kind: UnitKind;
  /** the text to quote */
  text: string;
  /** nearby text whose words tell what the unit is about (the entry's term, the FAQ question) */
  context: string;
  /** the unit that follows in the same block, if any (a "Defaults to …" after a sentence) */
  next?: AnswerUnit;
  /** 0..1: where the unit sits in its passage */
  position: number;
}

/** An entry's description longer than this is quoted by its sentences, not whole. */
const WHOLE_ENTRY_CHARS = 360;

/** A line that opens an option or definition entry: `-z, --gzip`, `RestartSec=`, `--interval=`. */
const TERM_LINE = /^(?:[-+]{1,2}[\w?#]|[\w.-]+=\S{0,40}$|[A-Z_][A-Z0-9_]{2,}$|`[^`]{1,60}`$)/;

/** Share of characters that are code punctuation. */
function symbolShare(text: string): number {
  let symbols = 0;
  for (const c of text) if ('{}[]();=<>$&|\\/*`#@^~'.includes(c)) symbols++;
  return text.length === 0 ? 0 : symbols / text.length;
}

/** A block that reads as code or data rather than prose. */
export function looksLikeCode(block: string): boolean {
  const lines = block.split('\n').filter((l) => l.trim());
  if (lines.length === 0) return false;
  const codeLines = lines.filter((l) =>
    /^\s*(?:\$ |# |\/\/|\/\*|import |export |const |let |var |function |return |await |if \(|for \(|\}|\{|<\/?[a-z][\w-]*[ >]|[\w.]+\(.*\);?$|[\w$.]+ ?= ?[^=])/.test(
      l,
    ),
  ).length;
  if (codeLines / lines.length >= 0.5 && lines.length >= 2) return true;
  const words = block.split(/\s+/).filter((w) => /^[A-Za-z]{2,}[,.;:]?$/.test(w)).length;
  const tokens = block.split(/\s+/).length;
  return symbolShare(block) > 0.08 && words / Math.max(1, tokens) < 0.55;
}

/** A line that starts a list item or a table row: `- x`, `* x`, `1. x`, `| x |`, or a `key: v; key: v` record. */
const ITEM = /^(?:[-*+•]|\d+[.)]|\|)\s|^[\w .-]{1,40}: .*; [\w .-]{1,40}: /;

/**
 * The items of a block that is a list or a table, a wrapped item's lines joined ("- expose: …,
 * defaulting to false" over two lines is one item); null for a block that is not one.
 */
function listItems(lines: string[]): string[] | null {
  const starts = lines.filter((l) => ITEM.test(l)).length;
  if (lines.length < 2 || starts < 2) return null;
  const items: string[] = [];
  for (const line of lines) {
    if (ITEM.test(line) || items.length === 0) items.push(line);
    else items[items.length - 1] += ` ${line}`;
  }
  return items;
}

/** A line that opens an option of a `--help` listing: `--port <port>  The port …`, `-v, --verbose`. */
const OPTION_LINE = /^--?[A-Za-z0-9][\w-]*(?:[ =,]|$)/;

/**
 * The entries of a block that lists options one per line (a program's `--help` output, a README's
 * "Options:" list), a description wrapped onto the next line joined to its option; null for a
 * block with fewer than two option lines or one where they are not most of its lines.
 */
function optionItems(lines: string[]): { header: string; items: string[] } | null {
  const starts = lines.filter((l) => OPTION_LINE.test(l)).length;
  if (starts < 2 || starts < lines.length / 2) return null;
  const header = !OPTION_LINE.test(lines[0]) && /:$/.test(lines[0]) ? lines[0] : '';
  const items: string[] = [];
  for (const line of header ? lines.slice(1) : lines) {
    if (OPTION_LINE.test(line) || items.length === 0) items.push(line.replace(/\s{2,}/g, '  '));
    else items[items.length - 1] += ` ${line}`;
  }
  return { header, items };
}

const isQuestion = (s: string) => /\?["'”)]*$/.test(s.trim());

/** The answer units of a passage's text, in order. */
export function answerUnits(text: string): AnswerUnit[] {
  const blocks = text
    .split(/\n[ \t]*\n/)
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  const out: Omit<AnswerUnit, 'position'>[] = [];
  let question = '';
  for (const block of blocks) {
    const lines = block.split('\n').map((l) => l.trim());
    if (lines.length === 1 && isQuestion(block) && block.length < 300) {
      question = block;
      continue;
    }
    if (looksLikeCode(block)) {
      out.push({ kind: 'code', text: block, context: question });
      continue;
    }
    const options = optionItems(lines);
    if (options) {
      const header = options.header ? `${options.header} ${question}` : question;
      for (const item of options.items) out.push({ kind: 'entry', text: item, context: header });
      continue;
    }
    if (lines.length >= 2 && TERM_LINE.test(lines[0]) && lines[0].length <= 80) {
      const term = lines[0];
      const description = lines.slice(1).join(' ');
      if (description.length + term.length <= WHOLE_ENTRY_CHARS) {
        out.push({ kind: 'entry', text: `${term} ${description}`, context: question });
      } else {
        chain(
          splitSentences(description).map((s) => ({ kind: 'entry' as const, text: s, context: `${term} ${question}` })),
          out,
        );
      }
      continue;
    }
    const items = listItems(lines);
    if (items) {
      const header = /:$/.test(items[0]) && !ITEM.test(items[0]) ? (items.shift() ?? '') : '';
      for (const item of items) {
        if (isQuestion(item)) continue;
        const text = item.replace(/^(?:[-*+•]|\|)\s+/, '');
        const sentences = text.length > WHOLE_ENTRY_CHARS ? splitSentences(text) : [text];
        chain(
          sentences.map((t) => ({ kind: 'row' as const, text: t, context: `${header} ${question}` })),
          out,
        );
      }
      continue;
    }
    const sentences = splitSentences(block);
    const units: Omit<AnswerUnit, 'position'>[] = [];
    sentences.forEach((s, i) => {
      if (isQuestion(s)) {
        question = s;
        return;
      }
      units.push({ kind: 'sentence', text: s, context: `${i > 0 ? sentences[i - 1] : ''} ${question}` });
    });
    chain(units, out);
  }
  const n = Math.max(1, out.length - 1);
  return out.map((u, i) => Object.assign(u, { position: i / n })) as AnswerUnit[];
}

/** Links each unit to the one after it in the same block, then appends them. */
function chain(units: Omit<AnswerUnit, 'position'>[], out: Omit<AnswerUnit, 'position'>[]) {
  for (let i = 0; i + 1 < units.length; i++) units[i].next = units[i + 1] as AnswerUnit;
  out.push(...units);
}
