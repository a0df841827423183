import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { OpragError } from '../../lambdas/core/errors';
import {
  claimedType,
  csv,
  detectContentType,
  ExtractionError,
  extractText,
  html,
  json,
  markdown,
  parseCsv,
} from '../../lambdas/core/extract';
import { readDocument } from '../../lambdas/core/read-document';
import { makeDocx, zip, entry as zipEntry } from '../fixtures/documents';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const text = (s: string) => Buffer.from(s, 'utf8');
const PDF_BYTES = Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n', 'latin1');
const ZIP_BYTES = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(40, 0)]);
/** the start of a DOCX cut short: its first entry's name is all that is left of it */
const DOCX_START = Buffer.concat([ZIP_BYTES, Buffer.from('[Content_Types].xml', 'latin1'), Buffer.alloc(20, 0)]);

/** Calls `fn` and returns what it threw, failing the test when it throws nothing. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

function expectUnsupported(fn: () => unknown) {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(OpragError);
  expect((e as OpragError).type).toBe('unsupported_media_type');
  expect((e as OpragError).status).toBe(415);
  return e as OpragError;
}

const texts = (blocks: { kind: string; text: string }[]) => blocks.filter((b) => b.kind === 'text').map((b) => b.text);

describe('detectContentType', () => {
  it('uses the declared type when the bytes agree', () => {
    expect(detectContentType(text('# Title'), 'text/markdown')).toBe('text/markdown');
    expect(detectContentType(text('a,b\n1,2'), 'text/csv; charset=utf-8')).toBe('text/csv');
    expect(detectContentType(text('{"a":1}'), 'APPLICATION/JSON')).toBe('application/json');
  });

  it('maps aliases of supported types to their canonical type', () => {
    expect(detectContentType(text('# x'), 'text/x-markdown')).toBe('text/markdown');
    expect(detectContentType(text('<p>x</p>'), 'application/xhtml+xml')).toBe('text/html');
    expect(detectContentType(text('{}'), 'text/json')).toBe('application/json');
  });

  it('lets the declared type win over the file extension', () => {
    expect(detectContentType(text('# Title'), 'text/plain', 'notes.md')).toBe('text/plain');
  });

  it('takes the extension as a hint when no type, or a generic one, is declared', () => {
    expect(detectContentType(text('# Title'), null, 'notes.md')).toBe('text/markdown');
    expect(detectContentType(text('# Title'), undefined, 'NOTES.MARKDOWN')).toBe('text/markdown');
    expect(detectContentType(text('a,b'), 'application/octet-stream', 'data.csv')).toBe('text/csv');
    expect(detectContentType(text('<p>x</p>'), '', 'page.htm')).toBe('text/html');
    expect(detectContentType(text('{}'), 'binary/octet-stream', 'x.json')).toBe('application/json');
  });

  it('recognises PDF bytes by their %PDF magic, whatever the name', () => {
    expect(detectContentType(PDF_BYTES)).toBe('application/pdf');
    expect(detectContentType(PDF_BYTES, 'application/pdf', 'a.pdf')).toBe('application/pdf');
    expect(detectContentType(PDF_BYTES, 'application/octet-stream', 'upload.bin')).toBe('application/pdf');
  });

  it('recognises a PK zip holding a Word document as DOCX, even cut short', () => {
    expect(detectContentType(makeDocx(['Hello']))).toBe(DOCX);
    expect(detectContentType(DOCX_START)).toBe(DOCX);
    expect(detectContentType(DOCX_START, DOCX, 'report.docx')).toBe(DOCX);
  });

  it('refuses a ZIP that is not a DOCX, and RTF, as 415 whatever they are called', () => {
    const archive = zip([zipEntry('notes/readme.txt', 'Hello from inside an archive.')]);
    for (const [declared, name] of [
      [null, 'bundle.zip'],
      [DOCX, 'report.docx'],
      ['application/octet-stream', 'report.docx'],
    ] as const) {
      expect(expectUnsupported(() => detectContentType(archive, declared, name)).message).toMatch(
        /ZIP archive but not a DOCX/,
      );
    }
    expectUnsupported(() => detectContentType(ZIP_BYTES, DOCX, 'empty.docx'));
    const rtf = text('{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}} Hello \\b world\\b0 .}');
    for (const name of ['letter.rtf', 'letter.txt', null]) {
      expect(expectUnsupported(() => detectContentType(rtf, null, name)).message).toMatch(/RTF/);
    }
  });

  it('refuses PDF or zip bytes claimed to be another type', () => {
    expect(expectUnsupported(() => detectContentType(PDF_BYTES, 'text/plain')).message).toContain('text/plain');
    expectUnsupported(() => detectContentType(PDF_BYTES, null, 'notes.txt'));
    expectUnsupported(() => detectContentType(DOCX_START, 'application/pdf'));
    expectUnsupported(() => detectContentType(DOCX_START, null, 'file.pdf'));
  });

  it('refuses text claimed to be a PDF or a DOCX', () => {
    expect(expectUnsupported(() => detectContentType(text('just text'), 'application/pdf')).message).toContain(
      'application/pdf',
    );
    expectUnsupported(() => detectContentType(text('just text'), null, 'fake.pdf'));
    expectUnsupported(() => detectContentType(text('just text'), null, 'fake.docx'));
  });

  it('refuses bytes with NUL characters, even named or declared as text', () => {
    const withNul = Buffer.from([0x68, 0x69, 0x00, 0x21]);
    expectUnsupported(() => detectContentType(withNul));
    expectUnsupported(() => detectContentType(withNul, 'text/plain'));
    expectUnsupported(() => detectContentType(withNul, null, 'readme.txt'));
  });

  it('refuses bytes that are not UTF-8', () => {
    const binary = Buffer.from(Array.from({ length: 600 }, (_, i) => 0x80 + (i % 0x7f)));
    expectUnsupported(() => detectContentType(binary, null, 'notes.txt'));
  });

  it('accepts UTF-8 text with multi-byte characters, even cut off at the sample end', () => {
    const body = Buffer.from('Größe ünd café — 東京 '.repeat(600), 'utf8');
    expect(body.length).toBeGreaterThan(8192);
    expect(detectContentType(body)).toBe('text/plain');
  });

  it('refuses a declared type Oprag does not read', () => {
    const e = expectUnsupported(() => detectContentType(text('hello'), 'image/png'));
    expect(e.message).toContain('image/png');
    expectUnsupported(() => detectContentType(text('hello'), 'application/zip', 'a.txt'));
  });

  it('sniffs HTML when nothing is claimed', () => {
    expect(detectContentType(text('  <!DOCTYPE html><html><body>x</body></html>'))).toBe('text/html');
    expect(detectContentType(text('<html><p>x</p></html>'))).toBe('text/html');
    expect(detectContentType(text('Intro\n<p>a paragraph</p>'))).toBe('text/html');
  });

  it('falls back to plain text for unclaimed text and unknown extensions', () => {
    expect(detectContentType(text('Hello world.'))).toBe('text/plain');
    expect(detectContentType(text('Hello world.'), null, 'weird.xyz')).toBe('text/plain');
    expect(detectContentType(text('Hello world.'), null, 'no-extension')).toBe('text/plain');
  });
});

describe('claimedType', () => {
  it('is undefined when neither a type nor a known extension says anything', () => {
    expect(claimedType(null, null)).toBeUndefined();
    expect(claimedType('application/octet-stream', 'file')).toBeUndefined();
  });

  it('throws a 415 OpragError for an unsupported declared type', () => {
    expectUnsupported(() => claimedType('video/mp4', 'a.txt'));
  });
});

describe('markdown', () => {
  it('turns ATX and setext headings into heading blocks with levels, first H1 as title', () => {
    const doc = markdown('# Billing\n\nIntro.\n\n## Refunds ##\n\nBody.\n\nSetext Two\n----------\n\nMore.');
    expect(doc.title).toBe('Billing');
    expect(doc.blocks.filter((b) => b.kind === 'heading')).toEqual([
      { kind: 'heading', level: 1, text: 'Billing' },
      { kind: 'heading', level: 2, text: 'Refunds' },
      { kind: 'heading', level: 2, text: 'Setext Two' },
    ]);
    expect(texts(doc.blocks)).toEqual(['Intro.', 'Body.', 'More.']);
  });

  it('uses a setext H1 as the title', () => {
    expect(markdown('Guide\n=====\n\ntext').title).toBe('Guide');
  });

  it('has no title without an H1', () => {
    expect(markdown('## Only level two\n\ntext').title).toBeNull();
  });

  it('strips links, images, emphasis, inline code, strikethrough and inline HTML', () => {
    const doc = markdown(
      'See [the docs](https://example.com/docs) and ![a chart](chart.png), **bold**, __strong__, *em*, _also em_, `npm test`, ~~old~~ and <b>tags</b>.',
    );
    expect(texts(doc.blocks)).toEqual(['See the docs and a chart, bold, strong, em, also em, npm test, old and tags.']);
  });

  it('leaves underscores inside identifiers alone', () => {
    expect(texts(markdown('Set max_retry_count to 3.').blocks)).toEqual(['Set max_retry_count to 3.']);
  });

  it('removes markup from headings too', () => {
    expect(markdown('# The **new** [API](x)').blocks[0]).toEqual({ kind: 'heading', level: 1, text: 'The new API' });
  });

  it('drops YAML front matter', () => {
    const doc = markdown('---\ntitle: Secret\nslug: hidden\n---\n# Visible\n\nBody text.');
    expect(doc.title).toBe('Visible');
    const all = doc.blocks.map((b) => b.text).join('\n');
    expect(all).not.toContain('Secret');
    expect(all).not.toContain('slug');
  });

  it('turns tables into pipe-separated rows without the rule line', () => {
    const doc = markdown('| Plan | Days |\n| :--- | ---: |\n| **Pro** | 30 |\n| Basic | 14 |');
    expect(texts(doc.blocks)).toEqual(['Plan | Days\nPro | 30\nBasic | 14']);
  });

  it('keeps list items as lines with a plain marker, apart from the paragraph before them', () => {
    const doc = markdown('Steps:\n* open *settings*\n+ click [save](x)\n- done\n\n1. first\n2) second');
    expect(texts(doc.blocks)).toEqual(['Steps:', '- open settings\n- click save\n- done', '1. first\n2) second']);
  });

  it('keeps fenced code verbatim and strips block quote markers', () => {
    const doc = markdown('> quoted *line*\n\n```js\nconst a = b * c * d;\n```\n\nAfter.');
    expect(texts(doc.blocks)).toEqual(['quoted line', 'const a = b * c * d;', 'After.']);
  });

  it('does not treat # inside a code fence as a heading', () => {
    const doc = markdown('```sh\n# a shell comment\n```');
    expect(doc.blocks).toEqual([{ kind: 'text', text: '# a shell comment' }]);
    expect(doc.title).toBeNull();
  });
});

describe('html', () => {
  const page = `<!DOCTYPE html>
<html>
<head><title>  Refund   Policy </title><style>.x { color: red }</style><script>var secret = 1;</script></head>
<body>
  <nav><a href="/">Home</a> | <a href="/pricing">Pricing</a></nav>
  <header>Site banner</header>
  <main>
    <h1>Refunds</h1>
    <p>Refunds are accepted within <b>30 days</b> &amp; shipping is &quot;free&quot; &lt;always&gt; &eacute;t&eacute;.</p>
    <h2>Exceptions</h2>
    <ul><li>Gift cards</li><li>Sale items</li></ul>
    <script>document.write('injected')</script>
    <table><tr><th>Plan</th><th>Days</th></tr><tr><td>Pro</td><td>30</td></tr></table>
  </main>
  <aside>Related links</aside>
  <footer>Copyright ACME</footer>
</body>
</html>`;
  const doc = html(page);
  const all = doc.blocks.map((b) => b.text).join('\n');

  it('uses <title> as the title, whitespace collapsed', () => {
    expect(doc.title).toBe('Refund Policy');
  });

  it('falls back to the first h1 when there is no <title>', () => {
    expect(html('<h2>Sub</h2><h1>Main heading</h1><p>x</p>').title).toBe('Main heading');
    expect(html('<p>no headings</p>').title).toBeNull();
  });

  it('keeps headings as heading blocks with their level', () => {
    expect(doc.blocks.filter((b) => b.kind === 'heading')).toEqual([
      { kind: 'heading', level: 1, text: 'Refunds' },
      { kind: 'heading', level: 2, text: 'Exceptions' },
    ]);
  });

  it('drops script, style, nav, header, aside and footer content', () => {
    for (const gone of ['secret', 'color', 'injected', 'Home', 'Pricing', 'Site banner', 'Related', 'Copyright']) {
      expect(all).not.toContain(gone);
    }
  });

  it('decodes entities', () => {
    expect(texts(doc.blocks)).toContain('Refunds are accepted within 30 days & shipping is "free" <always> été.');
  });

  it('turns list items into "- " lines and table rows into pipe-separated lines', () => {
    expect(texts(doc.blocks)).toEqual(
      expect.arrayContaining(['- Gift cards', '- Sale items', 'Plan | Days', 'Pro | 30']),
    );
  });

  it('keeps the reading order of headings and text', () => {
    expect(doc.blocks.map((b) => b.text)).toEqual([
      'Refunds',
      'Refunds are accepted within 30 days & shipping is "free" <always> été.',
      'Exceptions',
      '- Gift cards',
      '- Sale items',
      'Plan | Days',
      'Pro | 30',
    ]);
  });
});

describe('csv', () => {
  it('labels every value with its column header, one block per row', () => {
    const doc = csv('name,plan,days\nAda,Pro,30\nBob,Basic,14\n');
    expect(doc.blocks).toEqual([
      { kind: 'text', text: 'name: Ada; plan: Pro; days: 30' },
      { kind: 'text', text: 'name: Bob; plan: Basic; days: 14' },
    ]);
  });

  it('keeps commas, escaped quotes and newlines inside quoted fields', () => {
    const doc = csv('name,notes\n"Smith, J","line one\nline two"\nBob,"says ""hi"""\n');
    expect(doc.blocks.map((b) => b.text)).toEqual([
      'name: Smith, J; notes: line one\nline two',
      'name: Bob; notes: says "hi"',
    ]);
  });

  it('skips empty values and blank rows, and names columns beyond the header', () => {
    const doc = csv('a,b\n1,\n\n,\n2,3,4\n');
    expect(doc.blocks.map((b) => b.text)).toEqual(['a: 1', 'a: 2; b: 3; column 3: 4']);
  });

  it('reads CRLF line endings through extractText', () => {
    const doc = extractText(text('a,b\r\n1,2\r\n'), 'text/csv');
    expect(doc.blocks.map((b) => b.text)).toEqual(['a: 1; b: 2']);
  });

  it('keeps a header-only file as one block', () => {
    expect(csv('only,a,header\n').blocks).toEqual([{ kind: 'text', text: 'only; a; header' }]);
    expect(csv('').blocks).toEqual([]);
  });

  it('throws an ExtractionError on an unterminated quoted field', () => {
    expect(() => csv('a,b\n"never closed,2\n')).toThrow(ExtractionError);
    expect(() => parseCsv('"x')).toThrow(/unterminated/);
  });
});

describe('json', () => {
  it('writes every leaf with its dotted path, one block per top-level entry', () => {
    const doc = json('{"plan":{"name":"Pro","limits":{"seats":5}},"tags":["a","b"],"active":true}');
    expect(doc.blocks.map((b) => b.text)).toEqual([
      'plan.name: Pro\nplan.limits.seats: 5',
      'tags.0: a\ntags.1: b',
      'active: true',
    ]);
  });

  it('drops null and empty values', () => {
    expect(json('{"a":null,"b":"","c":0}').blocks.map((b) => b.text)).toEqual(['c: 0']);
  });

  it('makes one block per element of a top-level array', () => {
    expect(json('[{"q":"How?","a":"Like this"},{"q":"Why?"}]').blocks.map((b) => b.text)).toEqual([
      'q: How?\na: Like this',
      'q: Why?',
    ]);
  });

  it('reads a bare scalar', () => {
    expect(json('"just a string"').blocks).toEqual([{ kind: 'text', text: 'just a string' }]);
  });

  it('throws an ExtractionError on invalid JSON', () => {
    expect(() => json('{"a":')).toThrow(ExtractionError);
  });
});

describe('extractText', () => {
  it('splits plain text into paragraphs, stripping a BOM and CRLF', () => {
    const doc = extractText(text('\uFEFFFirst line\r\nstill first.\r\n\r\n\r\nSecond.\n  \nThird.'), 'text/plain');
    expect(doc).toEqual({
      title: null,
      blocks: [
        { kind: 'text', text: 'First line\nstill first.', page: null },
        { kind: 'text', text: 'Second.', page: null },
        { kind: 'text', text: 'Third.', page: null },
      ],
    });
  });

  it('refuses binary formats, which need a reader', () => {
    expect(() => extractText(PDF_BYTES, 'application/pdf')).toThrow(ExtractionError);
    expect(() => extractText(ZIP_BYTES, DOCX)).toThrow(ExtractionError);
  });
});

/** A minimal, valid one-page PDF with a single Helvetica text object; offsets computed here. */
function minimalPdf(content: string, title?: string): Buffer {
  const stream = `BT /F1 24 Tf 72 720 Td (${content}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  if (title) objects.push(`<< /Title (${title}) >>`);
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  const info = title ? ` /Info ${objects.length} 0 R` : '';
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R${info} >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/**
 * Runs readDocument in a plain Node process (through tsx). unpdf loads pdf.js with a dynamic
 * `import()`, which Jest's module sandbox refuses without --experimental-vm-modules, so inside
 * Jest every PDF would fail for a reason that has nothing to do with the PDF.
 */
function readPdfInNode(
  bytes: Buffer,
): { title: string | null; blocks: unknown[] } | { error: string; message: string } {
  const script = `
    const { readDocument } = require(${JSON.stringify(join(__dirname, '../../lambdas/core/read-document.ts'))});
    readDocument(Buffer.from(process.argv[1], 'base64'), 'application/pdf').then(
      (doc) => process.stdout.write('RESULT ' + JSON.stringify(doc) + '\\n'),
      (e) => process.stdout.write('RESULT ' + JSON.stringify({ error: e.constructor.name, message: e.message }) + '\\n'),
    );`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script, bytes.toString('base64')], {
    cwd: join(__dirname, '../..'),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no result from the PDF reader: ${out}`);
  return JSON.parse(line.slice('RESULT '.length));
}

describe('readDocument', () => {
  it('reads the text of a hand-built PDF as page 1, with its metadata title', () => {
    const bytes = minimalPdf('Hello PDF world', 'Greeting');
    expect(detectContentType(bytes, null, 'hello.pdf')).toBe('application/pdf');
    expect(readPdfInNode(bytes)).toEqual({
      title: 'Greeting',
      blocks: [{ kind: 'text', text: 'Hello PDF world', page: 1 }],
    });
  });

  it('fails a PDF without a text layer with a readable ExtractionError', () => {
    expect(readPdfInNode(minimalPdf(''))).toEqual({
      error: 'ExtractionError',
      message: expect.stringContaining('no text layer'),
    });
  });

  it('fails a cut-off PDF as truncated, and a complete but garbled one as damaged', () => {
    expect(readPdfInNode(PDF_BYTES)).toEqual({
      error: 'ExtractionError',
      message: expect.stringContaining('the PDF is truncated'),
    });
    expect(readPdfInNode(Buffer.concat([PDF_BYTES, Buffer.from('garbage\n%%EOF\n')]))).toEqual({
      error: 'ExtractionError',
      message: expect.stringMatching(/the PDF (is damaged|could not be read)/),
    });
  });

  it('fails a broken DOCX with an ExtractionError', async () => {
    await expect(readDocument(ZIP_BYTES, DOCX)).rejects.toBeInstanceOf(ExtractionError);
  });

  it('reads text formats through extractText', async () => {
    const doc = await readDocument(text('# Title\n\nBody.'), 'text/markdown');
    expect(doc).toEqual({
      title: 'Title',
      blocks: [
        { kind: 'heading', level: 1, text: 'Title' },
        { kind: 'text', text: 'Body.' },
      ],
    });
  });
});

/**
 * Text is read on the one thread every request shares, so a reader must take time in proportion
 * to its input. Each input here took from seconds to hours with the patterns these readers used
 * to have (their time grew with the square of a line's length); each must now finish at once.
 */
describe('hostile text is read in linear time', () => {
  const N = 200_000;
  /** ms `read` takes, the fastest of `runs`, and what the last run gave or threw */
  const timed = <T>(read: () => T, runs: number) => {
    let best = Number.POSITIVE_INFINITY;
    let out = { error: new Error('not read') } as { value: T } | { error: unknown };
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      try {
        out = { value: read() };
      } catch (error) {
        out = { error };
      }
      best = Math.min(best, performance.now() - started);
    }
    return { ms: best, out };
  };
  /**
   * Reads the hostile input `make(n)` at n and at an eighth of n: a reader whose time is linear in
   * its input takes about 8 times as long for the whole, one whose time grows with the square of a
   * line 64 times. The reader is compared with itself on this machine at this moment, never with a
   * fixed budget, so a loaded machine slows both sides alike. A reader that gives up must give up
   * as quickly as one that reads: the time counts either way.
   */
  const quickly = <T>(make: (n: number) => string, read: (input: string) => T, n = N): T => {
    const small = make(n / 8);
    const whole = make(n);
    const eighth = timed(() => read(small), 3);
    const all = timed(() => read(whole), 2);
    expect(all.ms).toBeLessThan(24 * eighth.ms + 100);
    if ('error' in all.out) throw all.out.error;
    return all.out.value;
  };
  const plain = (s: string) => extractText(text(s), 'text/plain');

  it.each([
    ['a line of spaces', (n: number) => `${' '.repeat(n)}x`],
    ['blank-looking lines', (n: number) => `${'\n '.repeat(n)}x`],
  ])('plain text: %s', (_name, make) => {
    const doc = quickly(make, plain);
    expect(doc.blocks.map((b) => b.text)).toEqual(['x']);
  });

  it.each([
    ['[', '['],
    ['![', '!['],
    ['[a](', '[a]('],
    ['[a][', '[a]['],
    ['<a', '<a'],
    ['**', '**'],
    ['_a ', '_a '],
  ])('markdown: a line of %s', (_name, unit) => {
    const doc = quickly((n) => `# Title\n\n${unit.repeat(Math.floor(n / unit.length))}x`, markdown);
    expect(doc.title).toBe('Title');
  });

  it('markdown: a heading or a line padded with spaces', () => {
    const doc = quickly((n) => `# ${' '.repeat(n)}Spaced\n\n${' '.repeat(n)}body`, markdown);
    expect(doc.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Spaced' },
      { kind: 'text', text: 'body' },
    ]);
  });

  it('markdown headings keep a hash that is part of a word, and drop closing ones', () => {
    expect(markdown('# C#\n\ntext').title).toBe('C#');
    expect(markdown('## Refunds ##\n\ntext').blocks[0]).toEqual({ kind: 'heading', level: 2, text: 'Refunds' });
  });

  it('html: elements nested past the limit fail with a reason, at once', () => {
    const nested = (n: number) => `<html><body>${'<div>'.repeat(n)}x`;
    expect(() => quickly(nested, html, 500_000)).toThrow(ExtractionError);
    expect(() => html(nested(500_000))).toThrow(/nests elements more than 512 deep/);
    expect(() => quickly((n) => '<b><i><u>'.repeat(n), html, 700_000)).toThrow(/more than 512 deep/);
    // a deep but reasonable page is read
    const deep = `<html><body>${'<div>'.repeat(400)}<p>Deep text.</p>${'</div>'.repeat(400)}</body></html>`;
    expect(html(deep).blocks.map((b) => b.text)).toEqual(['Deep text.']);
  });
});

describe('markdown entities', () => {
  it('reads entities as characters outside code spans, and leaves code and unknown names as written', () => {
    const doc = markdown('Docs&nbsp;&nbsp;|&nbsp;Start &amp; stop &#169; &#xA9; `&copy;` &bogus;');
    expect(doc.blocks).toEqual([{ kind: 'text', text: 'Docs  | Start & stop © © &copy; &bogus;' }]);
  });
});

describe('json records', () => {
  it('a nested object of plain values is one line, its fields side by side like a CSV row', () => {
    const doc = json(
      '{"currencies":[{"code":"CHF","name":"Swiss Franc","numeric":"756"},{"code":"EUR","name":"Euro"}]}',
    );
    expect(doc.blocks.map((b) => b.text)).toEqual([
      'currencies.0: code: CHF; name: Swiss Franc; numeric: 756\ncurrencies.1: code: EUR; name: Euro',
    ]);
  });
});

describe('json that documents something', () => {
  it('reads an object with a label beside prose as a section: heading, paragraphs, then its fields', () => {
    const doc = json(
      JSON.stringify({
        textRaw: 'Frob',
        desc: '<p>The frob module zaps things in place, quickly and quietly.</p>',
        methods: [
          {
            textRaw: '`frob.zap(depth)`',
            name: 'zap',
            type: 'method',
            desc: '<p>Zaps to the given depth.</p><p>On Windows, the depth is always <code>1</code>.</p>',
          },
        ],
      }),
    );
    expect(doc.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Frob' },
      { kind: 'text', text: 'The frob module zaps things in place, quickly and quietly.' },
      { kind: 'heading', level: 2, text: 'frob.zap(depth)' },
      { kind: 'text', text: 'Zaps to the given depth.' },
      { kind: 'text', text: 'On Windows, the depth is always 1.' },
      { kind: 'text', text: 'type: method' },
    ]);
  });

  it('leaves data without prose as lines with their paths', () => {
    expect(json('{"plan":{"name":"Pro","seats":5}}').blocks.map((b) => b.text)).toEqual(['plan: name: Pro; seats: 5']);
  });
});

describe('json strings that carry HTML', () => {
  it('are read as text: tags out, entities read; other strings stay as written', () => {
    const doc = json(
      '{"desc":"<p>On Windows, it is always <code>[0, 0, 0]</code> &amp; never null.</p>","raw":"a < b"}',
    );
    expect(doc.blocks.map((b) => b.text)).toEqual([
      'desc: On Windows, it is always [0, 0, 0] & never null.',
      'raw: a < b',
    ]);
  });
});
