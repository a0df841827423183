import { invalidUtf8Offset, jsonBody } from '../../lambdas/http/validate';

describe('invalidUtf8Offset', () => {
  const bytes = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

  it('accepts well-formed UTF-8, four-byte sequences and U+10FFFF included', () => {
    expect(invalidUtf8Offset(bytes('plain ascii'))).toBe(-1);
    expect(invalidUtf8Offset(bytes('café — 東京 🚀'))).toBe(-1);
    expect(invalidUtf8Offset(bytes([0xf4, 0x8f, 0xbf, 0xbf]))).toBe(-1);
    expect(invalidUtf8Offset(bytes(''))).toBe(-1);
  });

  it.each([
    ['a stray continuation byte', [0x61, 0x80], 1],
    ['a byte that never starts a sequence', [0x61, 0x62, 0xff], 2],
    ['an overlong two-byte form', [0xc0, 0xaf], 0],
    ['an overlong three-byte form', [0x61, 0xe0, 0x80, 0xaf], 1],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80], 0],
    ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a sequence cut short at the end', [0x61, 0x62, 0x63, 0xe2, 0x82], 3],
    ['a sequence cut short by ASCII', [0xe2, 0x41, 0x41], 0],
  ])('names the offset of %s', (_what, input, offset) => {
    expect(invalidUtf8Offset(Buffer.from(input as number[]))).toBe(offset);
  });

  it('makes jsonBody refuse the body with a 400 naming the offset instead of reading U+FFFD', () => {
    const body = bytes('{"q":"', [0xc3], '"}');
    expect(() => jsonBody(body)).toThrow('the body is not valid UTF-8: the sequence at byte offset 6 is malformed');
    expect(jsonBody(bytes('{"q":"é"}'))).toEqual({ q: 'é' });
  });
});
