import type { z } from 'zod';
import { Invalid } from '../core/errors';

/** Parses input with a schema; the first problem becomes a 400 naming the field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.join('.');
  throw new Invalid(field ? `${field}: ${issue.message}` : issue.message);
}

/**
 * The offset of the first byte that is not well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF, no truncated sequence), or -1 when every byte is.
 */
export function invalidUtf8Offset(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    const more = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (more === 0 || i + more >= b.length) return i;
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (b[i + 1] < lo || b[i + 1] > hi) return i;
    for (let k = 2; k <= more; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    i += more + 1;
  }
  return -1;
}

/** The JSON body of a request, or a 400 when it is not UTF-8 JSON (never a U+FFFD in its place). */
export function jsonBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  const bad = invalidUtf8Offset(body);
  if (bad >= 0) throw new Invalid(`the body is not valid UTF-8: the sequence at byte offset ${bad} is malformed`);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new Invalid('the body is not valid JSON');
  }
}
