import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SCOPES, type Scope } from './scopes';

export { ROLES, type Role, SCOPES, type Scope } from './scopes';

export const COMPANY_KEY_PREFIX = 'oprag_ak_';
export const PROJECT_KEY_PREFIX = 'oprag_pk_';
export const DEFAULT_PROJECT_SCOPES: Scope[] = ['query', 'ingest'];

/** Characters a key's secret is drawn from: URL- and shell-safe. */
const SECRET_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SECRET_LENGTH = 40; // ~238 bits of entropy

export type KeyKind = 'company' | 'project';

export interface GeneratedKey {
  /** the full secret, shown once and never stored */
  key: string;
  /** sha-256 of the full key: what the store keeps and looks keys up by */
  hash: string;
  /** first 12 characters, for display */
  prefix: string;
}

export function generateKey(kind: KeyKind): GeneratedKey {
  const bytes = randomBytes(SECRET_LENGTH * 2);
  let secret = '';
  // rejection sampling keeps every character equally likely
  for (const b of bytes) {
    if (b < 248) secret += SECRET_ALPHABET[b % 62];
    if (secret.length === SECRET_LENGTH) break;
  }
  while (secret.length < SECRET_LENGTH) secret += SECRET_ALPHABET[randomBytes(1)[0] % 62];
  const key = (kind === 'company' ? COMPANY_KEY_PREFIX : PROJECT_KEY_PREFIX) + secret;
  return { key, hash: hashKey(key), prefix: displayPrefix(key) };
}

/**
 * Keys carry ~238 bits of entropy, so a single fast hash is enough: no dictionary or brute
 * force attack reaches them, and lookups stay O(1) by hash.
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Whether a presented key matches a stored hash, compared in constant time. */
export function keyMatches(token: string, storedHash: string): boolean {
  const presented = Buffer.from(hashKey(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

export function displayPrefix(key: string): string {
  return key.slice(0, 12);
}

/** Which kind of key a presented bearer token claims to be, or null for anything malformed. */
export function keyKind(token: string): KeyKind | null {
  const valid = /^oprag_(ak|pk)_[0-9A-Za-z]{40}$/.exec(token);
  if (!valid) return null;
  return valid[1] === 'ak' ? 'company' : 'project';
}

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}
