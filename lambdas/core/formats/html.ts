import type { Block, ExtractedDocument } from '../chunking';
import { ExtractionError } from '../errors';

/**
 * How deep the elements of a page may nest. The parser keeps its open elements in a list it
 * grows from the front, so each new one costs as much as the depth: 6 MB of unclosed tags held
 * the one thread for many minutes. Real pages stay far below this.
 */
export const MAX_HTML_DEPTH = 512;

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
/** ARIA landmarks around the content: a page's navigation, banner, footer and sidebars. */
const SKIPPED_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'complementary', 'search']);
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
  const { Parser } = require('./html-parser') as typeof import('./html-parser');
  const blocks: Block[] = [];
  let title: string | null = null;
  let inTitle = false;
  let titleText = '';
  let skipDepth = 0;
  let depth = 0;
  /** for each open element, whether it opened a skipped region */
  const open: boolean[] = [];
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
      onopentag(name, attributes) {
        if (++depth > MAX_HTML_DEPTH) {
          throw new ExtractionError(`the HTML nests elements more than ${MAX_HTML_DEPTH} deep`);
        }
        if (name === 'title') inTitle = true;
        const skipped = SKIPPED_TAGS.has(name) || SKIPPED_ROLES.has(attributes.role ?? '');
        open.push(skipped);
        if (skipped) {
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
        depth = Math.max(0, depth - 1);
        if (name === 'title') {
          inTitle = false;
          title = titleText.replace(/\s+/g, ' ').trim() || null;
        }
        if (open.pop()) {
          skipDepth = Math.max(0, skipDepth - 1);
          return;
        }
        if (skipDepth) return;
        if (heading && /^h[1-6]$/.test(name)) {
          // a permalink beside the heading ("Class: tty.ReadStream#", "Usage¶") is not its text
          const text = heading.text
            .replace(/\s+/g, ' ')
            .trim()
            .replace(/\s*[#¶§]+$/u, '');
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
