import { Invalid } from '../core/errors';

/** Cursors are opaque to clients: the id to continue after, wrapped so nobody builds one by hand. */
export function encodeCursor(after: string | null): string | null {
  return after === null ? null : Buffer.from(JSON.stringify({ a: after })).toString('base64url');
}

export function decodeCursor(cursor: string | undefined | null): string | null {
  if (!cursor) return null;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { a?: unknown };
    if (typeof value.a === 'string' && value.a.length <= 64) return value.a;
  } catch {
    // fall through
  }
  throw new Invalid('cursor is not valid');
}
