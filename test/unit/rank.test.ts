import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-index';
import { analyzeChunk, encodeTerms, isContentToken, termHash } from '../../lambdas/core/chunk-terms';
import { newId } from '../../lambdas/core/ids';
import { bm25Idf, type Candidate, DEFAULT_RANKING, type RankingParams, rankCandidates } from '../../lambdas/core/rank';
import { indexKey, queryTerms, tokenize } from '../../lambdas/core/text';

const candidate = (chunk: number, title: string | null, body: string): Candidate => {
  const a = analyzeChunk(title, null, body);
  return { chunk, lengths: a.lengths, terms: encodeTerms(a) };
};

const tfOf = (a: ReturnType<typeof analyzeChunk>, key: string) => a.tf[a.keys.indexOf(key)];

describe('analyzeChunk', () => {
  it('counts content terms per field by stem; lengths count every word', () => {
    const a = analyzeChunk('Refund policy', 'Billing > Refunds', 'The refunds are paid. A refund takes days.');

    expect(a.lengths).toEqual([2, 2, 8]);
    expect(tfOf(a, 'refund')).toEqual([1, 1, 2]);
    expect(tfOf(a, 'polici')).toEqual([1, 0, 0]);
    expect(a.keys).not.toContain('the');
    expect(a.keys).not.toContain('a');
    expect(new Set(a.keys).size).toBe(a.keys.length);
    expect(a.hashes).toEqual(a.keys.flatMap((k) => termHash(k)));
  });

  it('counts a key in one place across chunks, and reads non-ASCII text as tokenize does', () => {
    analyzeChunk('Refunds', null, 'refund refunds'); // the terms met before are shared between chunks
    const a = analyzeChunk('Straße', null, 'Refund ﬁle ＲＥＦＵＮＤ customer’s');
    expect(tfOf(a, 'refund')).toEqual([0, 0, 2]);
    expect(a.keys).toEqual(['straße', 'refund', 'file', 'custom']);
    expect(a.lengths).toEqual([1, 0, 4]);
  });

  it('reads ASCII text word for word as tokenize does: apostrophes, digits, underscores, case', () => {
    const texts = [
      "Rock'n'roll isn't O'Neil's; abc'5 x' 'y A'B 'tis 3'd end'",
      '__init__ a_b 1.5e10 e-mail USB-C v2.0 x86_64 ABC abc Abc',
      "''' a I it's it'S 'S 99'problems don't-stop refund's refunds' REFUND",
    ];
    for (const text of texts) {
      const a = analyzeChunk(null, null, text);
      const words = tokenize(text);
      const keys = [...new Set(words.filter(isContentToken).map(indexKey))];
      expect(a.lengths[2]).toBe(words.length);
      expect(a.keys).toEqual(keys);
      for (const key of keys) {
        expect(tfOf(a, key)[2]).toBe(words.filter((w) => isContentToken(w) && indexKey(w) === key).length);
      }
    }
  });

  it('reads a chunk of more distinct words than its table of known tokens holds, counting each', () => {
    const words = Array.from({ length: 70_000 }, (_, i) => `w${i.toString(36)}`);
    const text = `${words.join(' ')} ${words.slice(0, 10).join(' ')}`;
    const a = analyzeChunk(null, null, text);
    expect(a.lengths[2]).toBe(70_010);
    // stems merge a few ('w1s' and 'w1'), and 'we' is a stopword: the keys are those of tokenize's content words
    const keys = words.filter(isContentToken).map(indexKey);
    expect(a.keys).toEqual([...new Set(keys)]);
    const read = tokenize(text).map(indexKey);
    const count = (key: string) => read.filter((k) => k === key).length;
    for (const at of [3, 50_000, keys.length - 1]) expect(tfOf(a, keys[at])).toEqual([0, 0, count(keys[at])]);
  });

  it('indexes accented words under their folded key, as queries look them up', () => {
    const a = analyzeChunk(null, null, 'Le café ouvre');
    expect(a.keys).toContain(indexKey('cafe'));
    expect(indexKey('café')).toBe(indexKey('cafe'));
  });
});

describe('termHash', () => {
  it('is stable and tells apart close keys', () => {
    expect(termHash('cell')).toEqual(termHash('cell'));
    const keys = ['cell', 'cells', 'celi', 'lec', 'a1', '1a', 'protein', 'protei'];
    expect(new Set(keys.map((k) => termHash(k).join(':'))).size).toBe(keys.length);
  });
});

describe('rankCandidates (BM25F)', () => {
  const params: RankingParams = {
    ...DEFAULT_RANKING,
    k1: 1.2,
    fields: { title: { weight: 2, b: 0 }, section: { weight: 1, b: 0 }, body: { weight: 1, b: 0 } },
  };

  it('matches a hand computation on a one-term query', () => {
    // no length normalisation: tf~ = 2 × title tf + body tf
    const c1 = candidate(1, null, 'apple apple pie'); // tf~ = 2
    const c2 = candidate(2, 'Apple', 'pie'); // tf~ = 2 (title weight 2)
    const c3 = candidate(3, 'Apple', 'apple crumble'); // tf~ = 3
    const stats = { chunks: 10, avgLength: [1, 0, 3] as [number, number, number] };
    const idf = bm25Idf(3, 10);

    const ranked = rankCandidates([{ key: indexKey('apple'), df: 3, weight: 1 }], [c1, c2, c3], stats, params);

    expect(ranked.map((r) => r.chunk)).toEqual([3, 1, 2]);
    expect(ranked[0].score).toBeCloseTo((idf * 3) / (1.2 + 3), 10);
    expect(ranked[1].score).toBeCloseTo((idf * 2) / (1.2 + 2), 10);
    expect(ranked[2].score).toBeCloseTo(ranked[1].score, 10);
    expect(idf).toBeCloseTo(Math.log(1 + 7.5 / 3.5), 10);
  });

  it('normalises by field length with b, and a rarer term weighs more', () => {
    const lengthParams: RankingParams = { ...params, fields: { ...params.fields, body: { weight: 1, b: 1 } } };
    const short = candidate(1, null, 'gene');
    const long = candidate(2, null, 'gene plus many other words in a long body');
    const stats = { chunks: 100, avgLength: [0, 0, 5] as [number, number, number] };
    const q = [{ key: indexKey('gene'), df: 10, weight: 1 }];

    const ranked = rankCandidates(q, [long, short], stats, lengthParams);
    expect(ranked.map((r) => r.chunk)).toEqual([1, 2]);
    const tfShort = 1 / (1 - 1 + 1 / 5);
    expect(ranked[0].score).toBeCloseTo((bm25Idf(10, 100) * tfShort) / (1.2 + tfShort), 10);

    const rare = candidate(3, null, 'mutation');
    const common = candidate(4, null, 'gene');
    const both = rankCandidates(
      [
        { key: indexKey('gene'), df: 50, weight: 1 },
        { key: indexKey('mutation'), df: 2, weight: 1 },
      ],
      [common, rare],
      stats,
      params,
    );
    expect(both.map((r) => r.chunk)).toEqual([3, 4]);
  });

  it('scores zero for a candidate holding none of the terms', () => {
    const stats = { chunks: 5, avgLength: [1, 0, 3] as [number, number, number] };
    const ranked = rankCandidates([{ key: 'zzz', df: 0, weight: 1 }], [candidate(1, null, 'apple')], stats, params);
    expect(ranked).toEqual([{ chunk: 1, score: 0 }]);
  });
});

describe('SqliteSearchIndex term statistics', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oprag-rank-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const chunk = (doc: string, ordinal: number, text: string) => ({
    id: newId('chunk'),
    document_id: doc,
    ordinal,
    title: 'Doc',
    section: null,
    page: null,
    text,
    url: null,
    tags: [],
  });

  it('keeps the collection totals right through replace and delete', async () => {
    const index = new SqliteSearchIndex(dir);
    const projectId = newId('project');
    const p = index.forProject(projectId);
    const a = newId('document');
    const b = newId('document');
    await p.replaceDocument(a, [chunk(a, 0, 'one two three'), chunk(a, 1, 'four five')]);
    await p.replaceDocument(b, [chunk(b, 0, 'six')]);
    await p.replaceDocument(a, [chunk(a, 0, 'seven eight nine ten')]);
    await p.deleteDocument(b);

    const db = index.db(projectId);
    expect(db.prepare('SELECT chunks, len_title, len_body FROM collection').get()).toEqual({
      chunks: 1,
      len_title: 1,
      len_body: 4,
    });
    expect(db.prepare('SELECT count(*) AS n FROM chunk_terms').get()).toEqual({ n: 1 });
    index.close();
  });

  it('fills in the statistics of a file written before they existed', async () => {
    const projectId = newId('project');
    const first = new SqliteSearchIndex(dir);
    const doc = newId('document');
    await first.forProject(projectId).replaceDocument(doc, [chunk(doc, 0, 'ancient glacier retreat')]);
    first.close();
    // as an older version left it: chunks and FTS5 only
    const raw = new Database(join(dir, `${projectId}.db`));
    raw.exec('DELETE FROM chunk_terms; UPDATE collection SET chunks = 0, len_title = 0, len_section = 0, len_body = 0');
    raw.pragma('user_version = 0');
    raw.close();

    const reopened = new SqliteSearchIndex(dir);
    const result = await reopened.forProject(projectId).search({ terms: queryTerms('glacier'), topK: 5 });

    expect(result.hits.map((h) => h.document_id)).toEqual([doc]);
    expect(result.hits[0].score).toBeGreaterThan(0);
    expect(result.chunkCount).toBe(1);
    reopened.close();
  });
});
