import { ParsePool } from '../../lambdas/adapters/parse-pool';
import type { SupportedType } from '../../lambdas/core/formats/detect';
import { parseDocument } from '../../lambdas/core/parse-document';
import { DEFAULT_READ_LIMITS } from '../../lambdas/core/read-limits';
import {
  DERIVED_TEXT_TYPE,
  isDerivedText,
  MAX_DERIVED_BYTES,
  markerBlob,
  PLAIN_TEXT_TYPE,
  storedText,
  textFromStored,
} from '../../lambdas/core/stored-text';

/** What ingestion keeps for a document, and what export reads back from it and the original. */
async function keep(source: string | Buffer, type: SupportedType = 'text/plain') {
  const original = Buffer.isBuffer(source) ? source : Buffer.from(source);
  const parsed = await parseDocument(original, type);
  const kept = storedText(original, type, parsed.text);
  return { original, parsed, kept, readBack: textFromStored(kept, original) };
}

describe('the extracted text kept beside its original', () => {
  it('keeps a marker, not the text, when the original is already the text', async () => {
    const { kept, parsed, readBack } = await keep('Refunds take five days.\n\nShipping is free.');
    expect(kept.contentType).toBe(DERIVED_TEXT_TYPE);
    expect(kept.bytes.toString()).toMatch(/^same\/1 [0-9a-f]{32}$/);
    expect(readBack).toBe(parsed.text);
  });

  it('keeps a marker for prose whose lines and blank lines the reader tidies, and reads the same text back', async () => {
    const source =
      '\uFEFF  Title of the note  \r\n\r\n\r\n\tFirst line of a paragraph\t\r\n   and its second line.   \r\n \t \r\nLast.\r\n\r\n';
    const { kept, parsed, readBack } = await keep(source);
    expect(kept.bytes.toString()).toMatch(/^paragraphs\/1 /);
    expect(parsed.text).toBe('Title of the note\n\nFirst line of a paragraph\nand its second line.\n\nLast.');
    expect(readBack).toBe(parsed.text);
    expect(kept.bytes.length).toBeLessThan(50);
  });

  it('gives back exactly what the reader made, for many shapes of plain text', async () => {
    const pieces = [
      'word',
      'Two words.',
      '  ',
      '\t',
      '\n',
      '\r\n',
      '\n\n',
      ' \n ',
      'é ✓ 日本',
      '-x  an option',
      'NAME',
      '===',
    ];
    let state = 7;
    const next = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state;
    };
    let markers = 0;
    for (let n = 0; n < 300; n++) {
      const source = Array.from({ length: 1 + (next() % 14) }, () => pieces[next() % pieces.length]).join('');
      if (!source.trim()) continue;
      const { kept, parsed, readBack } = await keep(source);
      if (isDerivedText(kept)) markers++;
      // whatever was kept, the text read back is the reader's, character for character
      expect([source, readBack]).toEqual([source, parsed.text]);
    }
    expect(markers).toBeGreaterThan(100);
  });

  it('keeps the text itself when the reader changed more than whitespace (markdown markup, JSON), for PDF, and past 1 MB', async () => {
    for (const [source, type] of [
      ['# Refunds\n\nRefunds take **five** days.', 'text/markdown'],
      ['{"question":"How long?","answer":"Five days."}', 'application/json'],
    ] as const) {
      const { kept, parsed, readBack } = await keep(source, type);
      expect([type, kept.contentType, kept.bytes.toString()]).toEqual([type, PLAIN_TEXT_TYPE, parsed.text]);
      expect(readBack).toBe(parsed.text);
    }
    // a binary type is never tried, even when its bytes would read as the text
    const kept = storedText(Buffer.from('Five days.'), 'application/pdf', 'Five days.');
    expect([kept.contentType, kept.bytes.toString()]).toEqual([PLAIN_TEXT_TYPE, 'Five days.']);
    // nor an original past the size a derivation is tried for
    const line = 'Every word of the manual.\n';
    const large = line.repeat(Math.ceil((MAX_DERIVED_BYTES + 1) / line.length));
    expect(storedText(Buffer.from(large), 'text/plain', large).contentType).toBe(PLAIN_TEXT_TYPE);
    const small = line.repeat(Math.floor(MAX_DERIVED_BYTES / line.length));
    expect(storedText(Buffer.from(small), 'text/plain', small).contentType).toBe(DERIVED_TEXT_TYPE);
  });

  it('gives no text from a marker once the original is another one (a new version not yet read) or gone', async () => {
    const { kept } = await keep('The old version of the policy.');
    expect(textFromStored(kept, Buffer.from('%PDF-1.7 the new version'))).toBeNull();
    expect(textFromStored(kept, null)).toBeNull();
  });

  it('reads text kept before markers existed as it is, and refuses a marker it does not know', () => {
    expect(textFromStored({ bytes: Buffer.from('Kept in full.'), contentType: 'text/plain' }, null)).toBe(
      'Kept in full.',
    );
    const unknown = { bytes: Buffer.from(`rewrap/9 ${'0'.repeat(32)}`), contentType: DERIVED_TEXT_TYPE };
    expect(() => textFromStored(unknown, Buffer.from('x'))).toThrow('unknown extracted-text marker');
    const inherited = { bytes: Buffer.from(`constructor/1 ${'0'.repeat(32)}`), contentType: DERIVED_TEXT_TYPE };
    expect(() => textFromStored(inherited, Buffer.from('x'))).toThrow('unknown extracted-text marker');
  });

  it('is worked out by the reading thread, which sends the marker back instead of a text the original gives', async () => {
    const pool = new ParsePool({ limits: DEFAULT_READ_LIMITS });
    try {
      const prose = Buffer.from('  Refunds take five days.\r\n\r\n\r\nAsk support.  \n');
      const fromThread = await pool.read(prose, 'text/plain');
      const kept = storedText(prose, 'text/plain', (await parseDocument(prose, 'text/plain')).text);
      expect(fromThread.text).toBe('');
      expect(markerBlob(fromThread.textMarker as string)).toEqual(kept);
      expect(fromThread.drafts.map((d) => d.text)).toEqual(['Refunds take five days.\n\nAsk support.']);

      // markdown the reader changes: the text itself comes back, with no marker
      const markdown = Buffer.from('# Refunds\n\nRefunds take **five** days.\n');
      const read = await pool.read(markdown, 'text/markdown');
      expect(read.textMarker).toBeUndefined();
      expect(read.text).toBe((await parseDocument(markdown, 'text/markdown')).text);
    } finally {
      await pool.close();
    }
  });
});
