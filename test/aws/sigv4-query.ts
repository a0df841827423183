import { createHash, createHmac } from 'node:crypto';

/**
 * What S3 checks of a presigned (query-string SigV4) request, computed independently of the SDK:
 * the canonical request from the method, the path, the query and the values of the headers the
 * URL names in `X-Amz-SignedHeaders`, as the request actually carries them. True when the
 * request's signature is the one those values give.
 */
export function presignedRequestVerifies(
  method: string,
  url: string,
  sent: Record<string, string>,
  secretAccessKey: string,
): boolean {
  const u = new URL(url);
  const q = u.searchParams;
  const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
  const headers: Record<string, string> = { host: u.host };
  for (const [k, v] of Object.entries(sent)) headers[k.toLowerCase()] = v;
  if (signedHeaders.some((h) => headers[h] === undefined)) return false;
  const canonicalQuery = [...q.entries()]
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [encode(k), encode(v)])
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [
    method,
    u.pathname,
    canonicalQuery,
    signedHeaders.map((h) => `${h}:${headers[h].trim()}\n`).join(''),
    signedHeaders.join(';'),
    q.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');
  const [, date, region, service] = (q.get('X-Amz-Credential') ?? '').split('/');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    q.get('X-Amz-Date'),
    `${date}/${region}/${service}/aws4_request`,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${secretAccessKey}`).update(date).digest();
  for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(stringToSign).digest('hex') === q.get('X-Amz-Signature');
}

/** RFC 3986 encoding, as SigV4 wants it. */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
