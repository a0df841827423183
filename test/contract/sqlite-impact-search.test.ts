import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadPool } from '../../lambdas/adapters/local/read-pool';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-index';
import { SearchStateCache } from '../../lambdas/adapters/local/sqlite-search-cache';
import { newId } from '../../lambdas/core/ids';
import { DEFAULT_RANKING, type RankingParams } from '../../lambdas/core/rank';
import { queryTerms } from '../../lambdas/core/text';
import type { ProjectIndex, SearchRequest } from '../../lambdas/ports';
import { mulberry32, pick } from '../helpers/fuzz-model';
import { chunk } from './fixtures';

/**
 * Candidates from impact-ordered lists (the path of large projects, here from one chunk on): the
 * same best chunks as the FTS5 path, filters kept, deleted and replaced chunks never returned,
 * chunks written after the lists were made found, and one project's lists never another's.
 */

const FTS: RankingParams = { ...DEFAULT_RANKING, impactOrderedFrom: undefined };
const IMPACT: RankingParams = { ...DEFAULT_RANKING, impactOrderedFrom: 1 };
/** every matching chunk a candidate: the exact BM25F ranking of the whole project */
const EXHAUSTIVE: RankingParams = { ...FTS, candidates: 100_000 };

const WORDS = (
  'refund invoice billing payment card account export archive backup restore token quota limit ' +
  'webhook retry signature tenant project upload parser table region storage latency cache'
).split(' ');

let dir: string;
let index: SqliteSearchIndex;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oprag-impact-'));
  index = new SqliteSearchIndex(dir);
  index.tidyAfterMs = 60_000;
});

afterEach(() => {
  index.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A project of `documents` documents of two chunks each, random words, a title on some, a tag on every third. */
async function project(documents: number, seed = 3) {
  const id = newId('project');
  await index.createProject(id);
  const p = index.forProject(id);
  const rand = mulberry32(seed);
  const docs: string[] = [];
  for (let i = 0; i < documents; i++) {
    const doc = newId('document');
    docs.push(doc);
    const text = () => Array.from({ length: 5 + Math.floor(rand() * 30) }, () => pick(rand, WORDS)).join(' ');
    const title = i % 4 === 0 ? `${pick(rand, WORDS)} guide` : null;
    const tags = i % 3 === 0 ? ['tagged'] : [];
    await p.replaceDocument(doc, [chunk(doc, 0, text(), { title, tags }), chunk(doc, 1, text(), { title, tags })]);
  }
  return { id, p, docs };
}

async function search(
  p: ProjectIndex,
  ranking: RankingParams,
  text: string,
  topK = 10,
  filter?: SearchRequest['filter'],
) {
  index.ranking = ranking;
  return p.search({ terms: queryTerms(text), topK, filter });
}

const hitIds = (r: { hits: { id: string }[] }) => r.hits.map((h) => h.id);
const QUERIES = [
  'refund invoice',
  'webhook retry signature',
  'tenant quota limit export',
  'cache',
  'parser table guide',
];

test('finds the same best chunks, in the same order, as the FTS5 path over every match', async () => {
  const { p } = await project(120);
  for (const q of QUERIES) {
    const exact = await search(p, EXHAUSTIVE, q);
    const viaLists = await search(p, IMPACT, q);
    expect(hitIds(viaLists)).toEqual(hitIds(exact));
    expect(viaLists.hits.map((h) => h.score)).toEqual(exact.hits.map((h) => h.score));
    expect(viaLists.documentFrequency).toEqual(exact.documentFrequency);
    // the same with fewer candidates than matches: the lists still hand over the true best
    const few = await search(p, { ...IMPACT, candidates: 5 }, q, 5);
    expect(hitIds(few)).toEqual(hitIds(exact).slice(0, 5));
  }
});

test('keeps the filters: only the documents and tags asked for, as the FTS5 path finds them', async () => {
  const { p, docs } = await project(60);
  const some = docs.slice(0, 10);
  for (const q of QUERIES) {
    const byDoc = await search(p, IMPACT, q, 10, { document_ids: some });
    expect(hitIds(byDoc)).toEqual(hitIds(await search(p, EXHAUSTIVE, q, 10, { document_ids: some })));
    for (const h of byDoc.hits) expect(some).toContain(h.document_id);
    const byTag = await search(p, IMPACT, q, 10, { tags: ['tagged'] });
    expect(hitIds(byTag)).toEqual(hitIds(await search(p, EXHAUSTIVE, q, 10, { tags: ['tagged'] })));
    for (const h of byTag.hits) expect(h.tags).toEqual(['tagged']);
  }
});

test('never returns a deleted or replaced chunk, and finds chunks written after the lists were made', async () => {
  const { p } = await project(40);
  const doc = newId('document');
  await p.replaceDocument(doc, [chunk(doc, 0, 'zebra zebra zebra refund invoice')]);
  const first = await search(p, IMPACT, 'zebra refund invoice');
  expect(first.hits[0].document_id).toBe(doc);
  const oldId = first.hits[0].id;

  // replaced: the old chunk is gone, the new one found through lists made afresh
  await p.replaceDocument(doc, [chunk(doc, 0, 'zebra zebra zebra zebra refund')]);
  const replaced = await search(p, IMPACT, 'zebra refund invoice');
  expect(hitIds(replaced)).not.toContain(oldId);
  expect(replaced.hits[0].document_id).toBe(doc);
  expect(hitIds(replaced)).toEqual(hitIds(await search(p, EXHAUSTIVE, 'zebra refund invoice')));

  // deleted: none of its chunks, though the lists of its words were made before
  await p.deleteDocument(doc);
  const deleted = await search(p, IMPACT, 'zebra refund invoice');
  expect(deleted.hits.map((h) => h.document_id)).not.toContain(doc);
  expect(deleted.documentFrequency.zebra).toBe(0);

  // written after: a new document is found at once
  const later = newId('document');
  await p.replaceDocument(later, [chunk(later, 0, 'zebra refund refund invoice invoice')]);
  const found = await search(p, IMPACT, 'zebra refund invoice');
  expect(found.hits[0].document_id).toBe(later);
  expect(hitIds(found)).toEqual(hitIds(await search(p, EXHAUSTIVE, 'zebra refund invoice')));
});

test("one project's lists never answer another's search", async () => {
  const a = await project(30, 5);
  const b = await project(30, 9);
  for (const q of QUERIES) {
    const fromA = await search(a.p, IMPACT, q);
    const fromB = await search(b.p, IMPACT, q);
    expect(fromA.hits.length).toBeGreaterThan(0);
    for (const h of fromA.hits) expect(a.docs).toContain(h.document_id);
    for (const h of fromB.hits) expect(b.docs).toContain(h.document_id);
    expect(hitIds(fromB)).toEqual(hitIds(await search(b.p, EXHAUSTIVE, q)));
  }
});

test('a read thread makes and keeps its own lists, with the same results', async () => {
  const { p, id } = await project(40);
  const expected = await Promise.all(QUERIES.map((q) => search(p, EXHAUSTIVE, q)));
  const reads = new ReadPool({ dir, threads: 1 });
  index.reads = reads;
  try {
    for (const round of [0, 1]) {
      for (const [i, q] of QUERIES.entries()) {
        expect({ round, ids: hitIds(await search(p, IMPACT, q)) }).toEqual({ round, ids: hitIds(expected[i]) });
      }
    }
    // a write moves the project's generation: the thread's lists are made again from the new data
    const doc = newId('document');
    await p.replaceDocument(doc, [chunk(doc, 0, 'cache cache cache cache')]);
    expect((await search(p, IMPACT, 'cache')).hits[0].document_id).toBe(doc);
    expect(index.generation(id)).toBeGreaterThan(0);
  } finally {
    index.reads = null;
    await reads.close();
  }
});

test('the lists kept stay within their bound, and are dropped with their project', async () => {
  const { id } = await project(40);
  const db = index.db(id);
  const { searchChunks } = await import('../../lambdas/adapters/local/sqlite-search');
  const kept = (bound: number) => {
    const cache = new SearchStateCache((projectId) => index.file(projectId), bound);
    for (const q of QUERIES) {
      const hits = searchChunks(cache.state(id, db, index.generation(id)), { terms: queryTerms(q), topK: 5 }, IMPACT);
      expect(hits.hits.length).toBeGreaterThan(0);
    }
    return cache;
  };
  const unbounded = kept(1_000_000).impactListEntries;
  expect(unbounded).toBeGreaterThan(400); // more than the bound below would keep
  const cache = kept(400);
  expect(cache.impactListEntries).toBeGreaterThan(0);
  expect(cache.impactListEntries).toBeLessThanOrEqual(400);
  cache.forget(id);
  expect(cache.impactListEntries).toBe(0);
});
