/**
 * Headers every response carries. The API serves JSON and customers' original files: nothing it
 * sends is meant to run, be framed or be cached by a shared cache, so the policy forbids it all
 * (`sandbox` keeps an uploaded HTML file inert even when opened directly).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** The response's own headers over the security defaults (a route may set its own cache-control). */
export function withSecurityHeaders(headers: Record<string, string>): Record<string, string> {
  return { ...SECURITY_HEADERS, ...headers };
}
