import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { layoutBlocks, type PdfLine, type PdfTextItem, pageLines } from '../../lambdas/core/formats/pdf-layout';

/** A page of lines: [text, x, size?] from the top, 12 points apart, an empty entry a blank line. */
function page(rows: ([string, number] | [string, number, number] | null)[], top = 740): PdfLine[] {
  const out: PdfLine[] = [];
  let y = top;
  for (const row of rows) {
    if (row) out.push({ text: row[0], x: row[1], y, height: row[2] ?? 10 });
    y -= row && (row[2] ?? 10) > 10 ? 24 : 12;
  }
  return out;
}

describe("a PDF's structure read from its layout", () => {
  it('joins runs into lines, a gap between runs read as a space', () => {
    const item = (str: string, x: number, y: number, hasEOL = false): PdfTextItem => ({
      str,
      x,
      y,
      width: str.length * 5,
      height: 10,
      hasEOL,
    });
    const lines = pageLines([item('Keep', 72, 700), item('files', 100, 700, true), item('Next line', 72, 688, true)]);
    expect(lines.map((l) => [l.text, l.y])).toEqual([
      ['Keep files', 700],
      ['Next line', 688],
    ]);
  });

  it('tells headings by their size, paragraphs by the gap between them, and mends hyphenated words', () => {
    const blocks = layoutBlocks([
      page([
        ['Options', 72, 16],
        ['The archiver reads its configuration from the file named by the envi-', 72],
        ['ronment, then from the command line.', 72],
        null,
        ['A second paragraph starts after a gap.', 72],
      ]),
    ]);
    expect(blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Options', page: 1 },
      {
        kind: 'text',
        text: 'The archiver reads its configuration from the file named by the environment, then from the command line.',
        page: 1,
      },
      { kind: 'text', text: 'A second paragraph starts after a gap.', page: 1 },
    ]);
  });

  it('keeps an option entry as its term, a line break and its indented description', () => {
    const blocks = layoutBlocks([
      page([
        ['-k --keep', 72],
        ['Keep (do not delete) input files during', 108],
        ['compression or decompression.', 108],
        ['-q --quiet', 72],
        ['Suppress non-essential warning messages.', 108],
      ]),
    ]);
    expect(blocks.map((b) => b.text)).toEqual([
      '-k --keep\nKeep (do not delete) input files during compression or decompression.',
      '-q --quiet\nSuppress non-essential warning messages.',
    ]);
  });

  it('starts a block at every bullet, keeps small-type lines apart, and drops contents lines', () => {
    const blocks = layoutBlocks([
      page([
        ['Contents', 72],
        ['1. Installing . . . . . . . . . . . . . . 3', 72],
        ['The archive name becomes:', 72],
        ['• name.bz2 becomes name', 74],
        ['• name.tbz becomes name.tar', 74],
        ['Name Meaning', 80, 9],
        ['Times-12 12 point Times Roman', 80, 9],
      ]),
    ]);
    expect(blocks.map((b) => b.text)).toEqual([
      'The archive name becomes:',
      '• name.bz2 becomes name',
      '• name.tbz becomes name.tar',
      'Name Meaning\nTimes-12 12 point Times Roman',
    ]);
  });

  it('drops running heads, page numbers and feet repeated on page after page', () => {
    const said = ['Frob reads its input.', 'It writes a report.', 'Errors go to stderr.', 'Exit status 2 means usage.'];
    const pages = said.map((text, i) => page([['The Frob Manual', 300], [text, 72], null, [String(i + 1), 300]]));
    const blocks = layoutBlocks(pages);
    expect(blocks.map((b) => [b.page, b.text])).toEqual(said.map((text, i) => [i + 1, text]));
  });
});

describe('a PDF read through pdf.js', () => {
  it('gives the headings, entries and paragraphs of a generated PDF', async () => {
    const { PDFDocument, StandardFonts } = await import('pdf-lib');
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const bold = await doc.embedFont(StandardFonts.HelveticaBold);
    const p = doc.addPage([612, 792]);
    p.drawText('2.4. OPTIONS', { x: 72, y: 720, size: 18, font: bold });
    p.drawText('-c --stdout', { x: 72, y: 690, size: 10, font: bold });
    p.drawText('Compress or decompress to standard output.', { x: 108, y: 678, size: 10, font });
    p.drawText('-k --keep', { x: 72, y: 654, size: 10, font: bold });
    p.drawText('Keep input files during compression.', { x: 108, y: 642, size: 10, font });
    p.drawText('Return values: 0 for a normal exit, 1 for environmental', { x: 72, y: 612, size: 10, font });
    p.drawText('problems, 2 for a corrupt compressed file.', { x: 72, y: 600, size: 10, font });
    const bytes = Buffer.from(await doc.save());
    const script = `
      const { readDocument } = require(${JSON.stringify(join(__dirname, '../../lambdas/core/read-document.ts'))});
      readDocument(Buffer.from(process.argv[1], 'base64'), 'application/pdf').then(
        (d) => process.stdout.write('RESULT ' + JSON.stringify(d.blocks) + '\\n'));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script, bytes.toString('base64')], {
      cwd: join(__dirname, '../..'),
      encoding: 'utf8',
    });
    const blocks = JSON.parse(
      out
        .split('\n')
        .find((l) => l.startsWith('RESULT '))
        ?.slice(7) ?? '[]',
    );
    expect(blocks).toEqual([
      { kind: 'heading', level: 1, text: '2.4. OPTIONS', page: 1 },
      { kind: 'text', text: '-c --stdout\nCompress or decompress to standard output.', page: 1 },
      { kind: 'text', text: '-k --keep\nKeep input files during compression.', page: 1 },
      {
        kind: 'text',
        text: 'Return values: 0 for a normal exit, 1 for environmental problems, 2 for a corrupt compressed file.',
        page: 1,
      },
    ]);
  });
});
