import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: `x-oprag-signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`,
 * with `x-oprag-timestamp` in unix seconds. Signing the timestamp with the body lets a receiver
 * refuse replays of an old delivery.
 */
export const SIGNATURE_VERSION = 'v1';

export function signWebhook(secret: string, timestamp: number | string, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `${SIGNATURE_VERSION}=${mac}`;
}

/**
 * Whether `header` (the `x-oprag-signature` value) signs `body` at `timestamp` with `secret`,
 * and the timestamp lies within `toleranceSeconds` of `nowSeconds`. The comparison takes the
 * same time whatever the signature holds.
 */
export function verifySignature(
  secret: string,
  timestamp: number | string,
  body: string,
  header: string | null | undefined,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const ts = Number(timestamp);
  if (!header || !Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, ts, body));
  // a header may carry several signatures (during a rotation), separated by commas
  return header.split(',').some((candidate) => {
    const given = Buffer.from(candidate.trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
