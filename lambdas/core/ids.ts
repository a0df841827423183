import { randomBytes } from 'node:crypto';

/**
 * Ids are a type prefix and 26 characters of Crockford base32: 10 of time, 16 of randomness,
 * so that sorting ids sorts by creation (lists are newest first) in SQLite and DynamoDB alike.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export const ID_PREFIX = {
  company: 'cmp',
  project: 'prj',
  key: 'key',
  document: 'doc',
  chunk: 'chk',
  golden: 'gq',
  run: 'run',
  request: 'req',
  upload: 'upl',
  event: 'evt',
  export: 'exp',
} as const;
export type IdKind = keyof typeof ID_PREFIX;

let lastTime = 0;
let lastRandom: number[] = [];

function encodeTime(ms: number): string {
  let out = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

/**
 * Random bytes drawn from the system's generator 4 KB at a time, 16 per id: one call into it per
 * 256 ids rather than one each (each call costs about as much as drawing the 4 KB).
 */
const POOL = 4096;
let pool = Buffer.alloc(0);
let poolAt = POOL;

function random16(): Buffer {
  if (poolAt + 16 > pool.length) {
    pool = randomBytes(POOL);
    poolAt = 0;
  }
  const out = pool.subarray(poolAt, poolAt + 16);
  poolAt += 16;
  return out;
}

/** Random part, incremented within one millisecond so that ids stay strictly increasing. */
function nextRandom(ms: number): number[] {
  if (ms === lastTime && lastRandom.length === 16) {
    const r = [...lastRandom];
    for (let i = 15; i >= 0; i--) {
      if (r[i] < 31) {
        r[i]++;
        break;
      }
      r[i] = 0;
    }
    lastRandom = r;
    return r;
  }
  const bytes = random16();
  lastTime = ms;
  lastRandom = Array.from(bytes, (b) => b % 32);
  return lastRandom;
}

export function newId(kind: IdKind, now = Date.now()): string {
  const ms = Math.max(now, lastTime);
  const rand = nextRandom(ms);
  return `${ID_PREFIX[kind]}_${encodeTime(ms)}${rand.map((n) => ALPHABET[n]).join('')}`;
}

const PATTERNS = Object.fromEntries(
  Object.entries(ID_PREFIX).map(([k, p]) => [k, new RegExp(`^${p}_[0-9a-hjkmnp-tv-z]{26}$`)]),
) as Record<IdKind, RegExp>;

/** True when `value` has the shape of an id of that kind; anything else is simply not found. */
export function isId(kind: IdKind, value: unknown): value is string {
  return typeof value === 'string' && PATTERNS[kind].test(value);
}

/** The creation time encoded in an id. */
export function idTime(id: string): number {
  const body = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11);
  let t = 0;
  for (const c of body) t = t * 32 + ALPHABET.indexOf(c);
  return t;
}
