import { crc32, deflateRawSync } from 'node:zlib';
import { decode, detectContentType } from '../../lambdas/core/extract';
import { safeFilename } from '../../lambdas/core/filename';
import { checkPdfStreams } from '../../lambdas/core/formats/pdf-guard';
import { json, MAX_JSON_DEPTH, nestingDepth } from '../../lambdas/core/formats/structured';
import { checkZip } from '../../lambdas/core/formats/zip-guard';
import { DEFAULT_READ_LIMITS } from '../../lambdas/core/read-limits';
import { readLimitsFromEnv, settingsFromEnv } from '../../lambdas/service/context';
import { docxBomb, makeDocx, zip } from '../fixtures/documents';
import { manyPagesPdf, nestedDocx, pdfStreamBomb, underCountedDocx } from '../fixtures/hostile';

describe('checkZip', () => {
  test('a normal DOCX passes', () => {
    expect(() => checkZip(makeDocx(['# Title', 'Some text']), 'DOCX')).not.toThrow();
  });

  test('an archive that declares more than the limit is refused from its directory', async () => {
    const bomb = await docxBomb(80 * 2 ** 20);
    expect(() => checkZip(bomb, 'DOCX')).toThrow(/expands to 7\d MB .* zip bomb/);
    expect(() => checkZip(bomb, 'DOCX', 100 * 2 ** 20)).not.toThrow();
  });

  test('an archive that understates its sizes is caught while inflating', () => {
    const real = Buffer.alloc(4 * 2 ** 20, 0x20);
    const lying = zip([{ name: 'word/document.xml', data: deflateRawSync(real), crc: crc32(real), size: 1000 }]);
    expect(() => checkZip(lying, 'DOCX')).toThrow(/more than its directory declares/);
  });

  test('truncated, damaged and encrypted archives each get their own reason', () => {
    const docx = makeDocx(['Some text']);
    expect(() => checkZip(docx.subarray(0, docx.length - 30), 'DOCX')).toThrow(/truncated or damaged/);
    const encrypted = Buffer.from(docx);
    const dir = encrypted.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    encrypted.writeUInt16LE(1, dir + 8); // the "encrypted" flag of the last entry
    expect(() => checkZip(encrypted, 'DOCX')).toThrow(/password-protected/);
    const garbled = Buffer.from(docx);
    garbled.fill(0x41, 40, 120); // inside the first entry's deflated bytes
    expect(() => checkZip(garbled, 'DOCX')).toThrow(/damaged|cannot be unzipped/);
  });
});

describe('checkZip walks the directory itself', () => {
  test('entries the end record does not count are counted against the entry limit', () => {
    const hidden = underCountedDocx(300);
    expect(hidden.readUInt16LE(hidden.length - 22 + 10)).toBe(5); // what the end record claims
    expect(() => checkZip(hidden, 'DOCX', { maxEntries: 200 })).toThrow(
      'the DOCX holds more than 200 files inside its ZIP container',
    );
    expect(() => checkZip(hidden, 'DOCX', { maxEntries: 400 })).not.toThrow();
  });

  test('a directory shorter than its end record claims is damaged', () => {
    const docx = makeDocx(['Some text']);
    docx.writeUInt16LE(9, docx.length - 22 + 10);
    expect(() => checkZip(docx, 'DOCX')).toThrow(/ZIP directory is unreadable/);
  });

  test('parts that are each modest are bounded by their sum', () => {
    expect(() => checkZip(nestedDocx(3 * 2 ** 20), 'DOCX', 2 * 2 ** 20)).toThrow(/expands to 3 MB .* zip bomb/);
    expect(() => checkZip(nestedDocx(3 * 2 ** 20), 'DOCX', 4 * 2 ** 20)).not.toThrow();
  });
});

describe('checkPdfStreams', () => {
  test('a stream that inflates past the bound is refused; one within it passes', () => {
    expect(() => checkPdfStreams(pdfStreamBomb(3 * 2 ** 20), 2 * 2 ** 20)).toThrow(
      "the PDF's compressed streams expand to more than 2 MB; it may be a decompression bomb",
    );
    expect(() => checkPdfStreams(pdfStreamBomb(1 * 2 ** 20), 2 * 2 ** 20)).not.toThrow();
  });

  test('uncompressed streams and damaged compressed ones are left to the reader', () => {
    expect(() => checkPdfStreams(manyPagesPdf(3), 1)).not.toThrow();
    const bomb = pdfStreamBomb(3 * 2 ** 20);
    const at = bomb.indexOf('stream\n') + 'stream\n'.length;
    bomb.fill(0x41, at, at + 40);
    expect(() => checkPdfStreams(bomb, 2 * 2 ** 20)).not.toThrow();
  });
});

describe('read limits from the environment', () => {
  test('OPRAG_READ_* change single limits over the defaults', () => {
    const limits = readLimitsFromEnv({ OPRAG_READ_TIMEOUT_MS: '5000', OPRAG_READ_MAX_CHUNKS: '100' });
    expect(limits).toEqual({ ...DEFAULT_READ_LIMITS, timeoutMs: 5000, maxChunks: 100 });
    expect(readLimitsFromEnv({})).toBeNull();
    expect(settingsFromEnv({ OPRAG_READ_WORKERS: '3', OPRAG_READ_MEMORY_MB: '256' })).toMatchObject({
      readWorkers: 3,
      readLimits: { memoryMb: 256 },
    });
  });

  test('a limit that is not a whole number above 0 is refused by name', () => {
    expect(() => readLimitsFromEnv({ OPRAG_READ_MAX_CHARS: '1e3.5' })).toThrow(
      /OPRAG_READ_MAX_CHARS must be a whole number/,
    );
    expect(() => settingsFromEnv({ OPRAG_READ_WORKERS: '0' })).toThrow(/OPRAG_READ_WORKERS must be a whole number/);
  });
});

describe('decode', () => {
  test('UTF-8 stays UTF-8, a BOM and CRLF are dropped', () => {
    expect(decode(Buffer.from('\uFEFFGrüße\r\naus Köln'))).toBe('Grüße\naus Köln');
  });

  test('Latin-1 and Windows-1252 text is read as Windows-1252', () => {
    expect(decode(Buffer.from('café crème', 'latin1'))).toBe('café crème');
    expect(decode(Buffer.from([0x93, 0x51, 0x94, 0x20, 0x80, 0x35, 0x20, 0x96, 0x20, 0x99]))).toBe('“Q” €5 – ™');
  });

  test('a stray invalid byte in UTF-8 text does not turn the rest into mojibake', () => {
    const text = decode(Buffer.concat([Buffer.from('Grüße aus Köln '), Buffer.from([0xff]), Buffer.from(' schön')]));
    expect(text).toBe('Grüße aus Köln \uFFFD schön');
  });

  test('Latin-1 text is accepted as text, binary with control bytes is not', () => {
    expect(detectContentType(Buffer.from('Prix: 5 francs, thé et café.', 'latin1'), null, 'a.txt')).toBe('text/plain');
    const binary = Buffer.from(Array.from({ length: 1000 }, (_, i) => [0x01, 0x02, 0xe9, 0x7f][i % 4]));
    expect(() => detectContentType(binary, 'text/plain', 'a.txt')).toThrow(/binary/);
  });

  test('a compound Office file (legacy or password-protected) is refused with advice', () => {
    const ole = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(100)]);
    expect(() => detectContentType(ole, null, 'secret.docx')).toThrow(/save it as \.docx without a password/);
  });
});

describe('JSON depth', () => {
  test('nesting is counted outside strings only', () => {
    expect(nestingDepth('{"a": [1, {"b": "[[[{{{"}]}')).toBe(3);
    expect(nestingDepth('"\\"[[["')).toBe(0);
    expect(nestingDepth('[]')).toBe(1);
  });

  test(`up to ${MAX_JSON_DEPTH} levels is read, deeper is refused with the depth`, () => {
    const at = (n: number) => `${'{"k":'.repeat(n - 1)}{"k":"v"}${'}'.repeat(n - 1)}`;
    expect(json(at(MAX_JSON_DEPTH)).blocks[0].text).toBe(`${'k.'.repeat(MAX_JSON_DEPTH - 1)}k: v`);
    expect(() => json(at(MAX_JSON_DEPTH + 1))).toThrow(`nests ${MAX_JSON_DEPTH + 1} levels`);
  });
});

describe('safeFilename', () => {
  test.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\ana\\report.pdf', 'report.pdf'],
    ['notes\u0000.txt\u0007', 'notes.txt'],
    ['plain.md', 'plain.md'],
    ['dir/..', null],
    ['  ', null],
    [null, null],
  ])('%j → %j', (given, kept) => {
    expect(safeFilename(given)).toBe(kept);
  });

  test('long names are cut to 255 characters', () => {
    expect(safeFilename(`${'a'.repeat(300)}.txt`)).toHaveLength(255);
  });
});
