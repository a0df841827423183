import { crc32, deflateRawSync } from 'node:zlib';
import { decode, detectContentType } from '../../lambdas/core/extract';
import { safeFilename } from '../../lambdas/core/filename';
import { json, MAX_JSON_DEPTH, nestingDepth } from '../../lambdas/core/formats/structured';
import { checkZip } from '../../lambdas/core/formats/zip-guard';
import { docxBomb, makeDocx, zip } from '../fixtures/documents';

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
