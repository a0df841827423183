import { isIP } from 'node:net';

/**
 * Whether an IP address is one Oprag must never call on a tenant's behalf: loopback, private,
 * link-local (cloud metadata lives at 169.254.169.254), carrier-grade NAT, unspecified,
 * multicast or reserved — in IPv4, IPv6, and IPv4 mapped into IPv6. The IPv6 ranges that carry
 * or translate an IPv4 address other than the mapped one (IPv4-compatible, SIIT, NAT64, 6to4,
 * Teredo) are refused whole: which IPv4 host they reach depends on a gateway, not on the address.
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
    const g = ipv6Groups(ip);
    if (!g) return true; // isIP took it but it cannot be read: refused rather than guessed at
    const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
    const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
    // ::ffff:a.b.c.d, IPv4 mapped: judged as the IPv4 address it carries
    if (zeros(0, 5) && g[5] === 0xffff) return isPrivateAddress(v4(g[6], g[7]));
    return (
      zeros(0, 6) || // ::/96: unspecified, loopback, and the deprecated IPv4-compatible ::a.b.c.d
      (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) || // ::ffff:0:a.b.c.d, IPv4 translated (SIIT)
      (g[0] === 0x64 && g[1] === 0xff9b) || // 64:ff9b::/96 NAT64 and 64:ff9b:1::/48 local-use NAT64
      (g[0] === 0x100 && zeros(1, 4)) || // 100::/64 discard-only
      (g[0] === 0x2001 && g[1] < 0x200) || // 2001::/23 IETF protocol assignments, Teredo (2001::/32) among them
      (g[0] === 0x2001 && g[1] === 0xdb8) || // 2001:db8::/32 documentation
      g[0] === 0x2002 || // 2002::/16 6to4, which carries an IPv4 address
      (g[0] & 0xfe00) === 0xfc00 || // fc00::/7 unique local
      (g[0] & 0xffc0) === 0xfe80 || // fe80::/10 link-local
      (g[0] & 0xffc0) === 0xfec0 || // fec0::/10 site-local (deprecated)
      (g[0] & 0xff00) === 0xff00 // ff00::/8 multicast
    );
  }
  return false;
}

/** The eight 16-bit groups of an IPv6 address (with `::` expanded and a dotted IPv4 tail read); null if malformed. */
function ipv6Groups(ip: string): number[] | null {
  let text = ip.toLowerCase().split('%')[0]; // a zone id names an interface, not an address
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const part = (h: string) => (h === '' ? [] : h.split(':').map((x) => Number.parseInt(x, 16)));
  const head = part(halves[0]);
  const tail = halves.length === 2 ? part(halves[1]) : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...new Array(Math.max(fill, 0)).fill(0), ...tail];
  return groups.length === 8 && groups.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffff) ? groups : null;
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
  // `localhost.` and `foo.local.` are the same names as without the dot; no public name needs it
  if (host.endsWith('.')) return 'must name a public host, without a trailing dot';
  if (LOCAL_NAMES.test(host) || !host.includes('.')) return 'must name a public host';
  return null;
}
