import { isIP } from 'node:net';

/**
 * Whether an IP address is one Oprag must never call on a tenant's behalf: loopback, private,
 * link-local (cloud metadata lives at 169.254.169.254), carrier-grade NAT, unspecified,
 * multicast or reserved — in IPv4, IPv6, and IPv4 mapped into IPv6.
 */
export function isPrivateAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) {
    const [a, b] = ip.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 198 && (b === 18 || b === 19)) ||
      a >= 224
    );
  }
  if (v === 6) {
    const lower = ip.toLowerCase();
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped) return isPrivateAddress(mapped[1]);
    // the same in hex, as URL parsing writes it: ::ffff:c0a8:1 is 192.168.0.1
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
    if (hex) {
      const [hi, lo] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
      return isPrivateAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
    }
    return (
      lower === '::' ||
      lower === '::1' ||
      /^f[cd][0-9a-f]{2}:/.test(lower) || // unique local fc00::/7
      /^fe[89ab][0-9a-f]:/.test(lower) || // link-local fe80::/10
      /^ff[0-9a-f]{2}:/.test(lower) // multicast
    );
  }
  return false;
}

const LOCAL_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i;

/**
 * Why a URL may not be called on a tenant's behalf, or null when it may: it must be https and
 * name a public host. Names are checked again where they are resolved, at call time.
 */
export function outboundUrlProblem(raw: string, opts: { allowPrivate?: boolean } = {}): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (opts.allowPrivate) return url.protocol === 'https:' || url.protocol === 'http:' ? null : 'must be http(s)';
  if (url.protocol !== 'https:') return 'must be an https URL';
  if (url.username || url.password) return 'must not carry credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return isPrivateAddress(host) ? 'must not point at a private, loopback or link-local address' : null;
  if (LOCAL_NAMES.test(host) || !host.includes('.')) return 'must name a public host';
  return null;
}
