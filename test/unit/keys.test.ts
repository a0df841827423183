import { createHash } from 'node:crypto';
import { ID_PREFIX, type IdKind, idTime, isId, newId } from '../../lambdas/core/ids';
import {
  COMPANY_KEY_PREFIX,
  displayPrefix,
  generateKey,
  hashKey,
  isScope,
  keyKind,
  PROJECT_KEY_PREFIX,
} from '../../lambdas/core/keys';

describe('generateKey', () => {
  it('prefixes company keys with oprag_ak_ and project keys with oprag_pk_', () => {
    expect(COMPANY_KEY_PREFIX).toBe('oprag_ak_');
    expect(PROJECT_KEY_PREFIX).toBe('oprag_pk_');
    expect(generateKey('company').key.startsWith('oprag_ak_')).toBe(true);
    expect(generateKey('project').key.startsWith('oprag_pk_')).toBe(true);
  });

  it('follows the prefix with a 40-character alphanumeric secret', () => {
    for (const kind of ['company', 'project'] as const) {
      const { key } = generateKey(kind);
      expect(key).toHaveLength(9 + 40);
      expect(key.slice(9)).toMatch(/^[0-9A-Za-z]{40}$/);
    }
  });

  it('never repeats a key across 1000 generations', () => {
    const keys = new Set(Array.from({ length: 1000 }, (_, i) => generateKey(i % 2 ? 'company' : 'project').key));
    expect(keys.size).toBe(1000);
  });

  it('uses the whole alphabet of 62 characters', () => {
    const chars = new Set(Array.from({ length: 200 }, () => generateKey('project').key.slice(9)).join(''));
    expect(chars.size).toBe(62);
  });

  it('stores a sha-256 hex hash of the key, never the key itself', () => {
    const g = generateKey('company');
    expect(g.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(g.hash).toBe(createHash('sha256').update(g.key).digest('hex'));
    expect(g.hash).not.toContain(g.key.slice(9));
    expect(hashKey(g.key)).toBe(g.hash);
  });

  it('gives different keys different hashes', () => {
    expect(generateKey('project').hash).not.toBe(generateKey('project').hash);
    expect(hashKey('oprag_pk_a')).not.toBe(hashKey('oprag_pk_b'));
  });

  it('displays the first 12 characters as the prefix', () => {
    const g = generateKey('project');
    expect(g.prefix).toHaveLength(12);
    expect(g.prefix).toBe(g.key.slice(0, 12));
    expect(g.prefix.startsWith('oprag_pk_')).toBe(true);
    expect(displayPrefix('oprag_ak_ABCDEFG')).toBe('oprag_ak_ABC');
  });
});

describe('keyKind', () => {
  it('recognises generated keys', () => {
    expect(keyKind(generateKey('company').key)).toBe('company');
    expect(keyKind(generateKey('project').key)).toBe('project');
  });

  it('rejects malformed tokens', () => {
    const secret = 'A'.repeat(40);
    for (const token of [
      '',
      'oprag_ak_',
      `oprag_xk_${secret}`,
      `OPRAG_AK_${secret}`,
      `oprag_ak_${secret.slice(1)}`, // 39
      `oprag_ak_${secret}A`, // 41
      `oprag_ak_${secret.slice(1)}-`,
      `oprag_pk_${secret.slice(1)}_`,
      ` oprag_ak_${secret}`,
      `oprag_ak_${secret}\n`,
      `Bearer oprag_ak_${secret}`,
      `sk_live_${secret}`,
    ]) {
      expect(keyKind(token)).toBeNull();
    }
  });
});

describe('isScope', () => {
  it('accepts exactly query, ingest and review', () => {
    expect(['query', 'ingest', 'review'].every(isScope)).toBe(true);
    expect(['admin', 'QUERY', '', 'write'].some(isScope)).toBe(false);
  });
});

// newId never goes below the last time it used (ids stay increasing), so each test below uses a
// later, fixed time than the one before it, all after the real clock.
describe('newId', () => {
  it('is the type prefix and 26 lower-case base32 characters', () => {
    for (const kind of Object.keys(ID_PREFIX) as IdKind[]) {
      const id = newId(kind);
      expect(id).toMatch(new RegExp(`^${ID_PREFIX[kind]}_[0-9a-hjkmnp-tv-z]{26}$`));
      expect(isId(kind, id)).toBe(true);
    }
  });

  it('sorts ids created later after ids created earlier', () => {
    const early = newId('document', Date.parse('2090-01-01T00:00:00Z'));
    const later = newId('document', Date.parse('2090-01-01T00:00:01Z'));
    const muchLater = newId('document', Date.parse('2091-06-01T00:00:00Z'));
    expect([muchLater, early, later].sort()).toEqual([early, later, muchLater]);
  });

  it('stays strictly increasing for ids made within the same millisecond', () => {
    const now = Date.parse('2092-02-02T00:00:00Z');
    const ids = Array.from({ length: 1000 }, () => newId('chunk', now));
    for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
    expect(new Set(ids).size).toBe(1000);
  });

  it('draws fresh random bytes for every new millisecond, past the 256 ids one draw from the generator serves', () => {
    const start = Date.parse('2092-03-03T00:00:00Z');
    const ids = Array.from({ length: 1000 }, (_, i) => newId('document', start + i));
    const randomParts = ids.map((id) => id.slice(-16));
    expect(new Set(randomParts).size).toBe(1000);
    // neither all the same character nor stuck: the characters are spread over the alphabet
    expect(new Set(randomParts.join('')).size).toBe(32);
  });

  it('never goes backwards when the clock does', () => {
    const first = newId('project', Date.parse('2093-01-01T00:00:00Z'));
    const second = newId('project', Date.parse('2020-01-01T00:00:00Z'));
    expect(second > first).toBe(true);
  });

  it('encodes its creation time', () => {
    const at = Date.parse('2094-05-06T07:08:09.010Z');
    expect(idTime(newId('run', at))).toBe(at);
  });
});

describe('isId', () => {
  const valid = newId('project');

  it('accepts an id of the right kind', () => {
    expect(isId('project', valid)).toBe(true);
  });

  it('rejects an id of another kind, or with the wrong prefix', () => {
    expect(isId('document', valid)).toBe(false);
    expect(isId('project', valid.replace(/^prj_/, 'doc_'))).toBe(false);
    expect(isId('project', valid.replace(/^prj_/, 'prj-'))).toBe(false);
  });

  it('rejects the wrong length', () => {
    expect(isId('project', valid.slice(0, -1))).toBe(false);
    expect(isId('project', `${valid}0`)).toBe(false);
  });

  it('rejects upper case and letters outside the base32 alphabet', () => {
    expect(isId('project', valid.toUpperCase())).toBe(false);
    expect(isId('project', `prj_${valid.slice(4).toUpperCase()}`)).toBe(false);
    for (const letter of ['i', 'l', 'o', 'u']) expect(isId('project', `${valid.slice(0, -1)}${letter}`)).toBe(false);
  });

  it('rejects path traversal and injection attempts', () => {
    for (const value of [
      '../x',
      '../../etc/passwd',
      `prj_../${valid.slice(7)}`,
      `${valid}/../x`,
      `../${valid}`,
      `${valid}\n`,
      `${valid.slice(0, -1)}%`,
      `prj_${'0'.repeat(25)}/`,
    ]) {
      expect(isId('project', value)).toBe(false);
    }
  });

  it('rejects values that are not strings', () => {
    for (const value of [null, undefined, 42, {}, [valid]]) expect(isId('project', value)).toBe(false);
  });
});
