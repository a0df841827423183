/**
 * A Bloom filter over strings, with 7 positions per key from two FNV-1a hashes (double hashing):
 * "possibly in the set" or "certainly not".
 */
const PROBES = 7;

/** Bits for `n` keys at the false-positive rate `p`, with PROBES positions each. */
export function bloomBits(n: number, p: number): number {
  return Math.ceil((-PROBES * n) / Math.log(1 - p ** (1 / PROBES)));
}

function fnv1a(key: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The bit positions of a key in a filter of `bits` bits. */
export function bloomPositions(key: string, bits: number): number[] {
  const a = fnv1a(key, 0x811c9dc5);
  const b = fnv1a(key, 0x9747b28c) | 1;
  return Array.from({ length: PROBES }, (_, i) => (a + Math.imul(i, b)) >>> 0).map((h) => h % bits);
}

/** Membership test of a filter given as its bytes. */
export function bloomHas(filter: Uint8Array, bits: number, key: string): boolean {
  return bloomPositions(key, bits).every((p) => (filter[p >> 3] & (1 << (p & 7))) !== 0);
}
