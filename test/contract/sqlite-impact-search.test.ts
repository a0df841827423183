import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadPool } from '../../lambdas/adapters/local/read-pool';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-index';
import { searchChunks } from '../../lambdas/adapters/local/sqlite-search';
import { impactEntries, SearchStateCache, type SharedList } from '../../lambdas/adapters/local/sqlite-search-cache';
import { newId } from '../../lambdas/core/ids';
import { DEFAULT_RANKING, type RankingParams } from '../../lambdas/core/rank';
import { queryTerms } from '../../lambdas/core/text';
import type { ProjectIndex, SearchRequest } from '../../lambdas/ports';
import { mulberry32, pick } from '../helpers/fuzz-model';
import { chunk } from './fixtures';

/**
 * Candidates from impact-ordered lists (the path of large projects, here from one chunk on): the
 * same best chunks as the FTS5 path, filters kept, deleted and replaced chunks never returned,
 * chunks written after the lists were made found, and one project's lists never another's; lists
 * brought forward across writes rather than made again, unless too much has changed.
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

test('FTS5 matches with no term under the query key take no candidate place', async () => {
  const { p } = await project(20);
  // FTS5 splits "5'amp" into 5 and amp; the index's own tokens keep it whole
  for (let i = 0; i < 10; i++) {
    const doc = newId('document');
    await p.replaceDocument(doc, [chunk(doc, 0, `5'amp levels ${WORDS[i]}`)]);
  }
  const amp = newId('document');
  await p.replaceDocument(amp, [chunk(amp, 0, 'amp amp refund'), chunk(amp, 1, 'amp cache')]);
  const few: RankingParams = { ...IMPACT, candidates: 5 };
  const r = await search(p, few, 'amp', 5);
  expect(r.hits.map((h) => h.document_id)).toEqual([amp, amp]);
  // the FTS5 path hands them on, at a score of nothing
  const exact = (await search(p, EXHAUSTIVE, 'amp', 5)).hits.filter((h) => h.score > 0);
  expect(hitIds(r)).toEqual(hitIds({ hits: exact }));
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
    // a write moves the project's generation: the thread's lists are brought forward to the new data
    const doc = newId('document');
    await p.replaceDocument(doc, [chunk(doc, 0, 'cache cache cache cache')]);
    expect((await search(p, IMPACT, 'cache')).hits[0].document_id).toBe(doc);
    expect(index.generation(id)).toBeGreaterThan(0);
    // deleted again, then another written: the first never returned, the second found
    await p.deleteDocument(doc);
    const next = newId('document');
    await p.replaceDocument(next, [chunk(next, 0, 'cache cache table')]);
    const after = await search(p, IMPACT, 'cache');
    expect(after.hits.map((h) => h.document_id)).not.toContain(doc);
    expect(after.hits.map((h) => h.document_id)).toContain(next);
    index.reads = null;
    expect(hitIds(after)).toEqual(hitIds(await search(p, EXHAUSTIVE, 'cache')));
  } finally {
    index.reads = null;
    await reads.close();
  }
});

test('the lists kept stay within their bound, and are dropped with their project', async () => {
  const { id } = await project(40);
  const db = index.db(id);
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

describe('lists kept across writes', () => {
  /** Searches through `cache` (a reading context of its own), as the index searches on the event loop. */
  const searchIn = (cache: SearchStateCache, id: string, text: string, ranking: RankingParams = IMPACT, topK = 10) => {
    const db = index.db(id);
    return db.transaction(() =>
      searchChunks(cache.state(id, db, index.generation(id)), { terms: queryTerms(text), topK }, ranking),
    )();
  };
  const newCache = () => new SearchStateCache((projectId) => index.file(projectId));
  const FEW: RankingParams = { ...IMPACT, candidates: 15 };

  test('a list brought forward after writes finds what a list made afresh finds', async () => {
    const { id, p, docs } = await project(150, 7);
    const cache = newCache();
    for (const q of QUERIES) searchIn(cache, id, q, FEW);
    const made = cache.impactListWork.made;
    expect(made).toBeGreaterThan(0);

    // new documents, two deleted, one replaced: well under a tenth of the collection
    const rand = mulberry32(21);
    const text = () => Array.from({ length: 8 + Math.floor(rand() * 20) }, () => pick(rand, WORDS)).join(' ');
    for (let i = 0; i < 6; i++) {
      const doc = newId('document');
      await p.replaceDocument(doc, [chunk(doc, 0, text()), chunk(doc, 1, text())]);
    }
    await p.deleteDocument(docs[3]);
    await p.deleteDocument(docs[70]);
    await p.replaceDocument(docs[10], [chunk(docs[10], 0, `${text()} webhook webhook webhook`)]);

    for (const q of QUERIES) {
      const kept = searchIn(cache, id, q, FEW, 5);
      const fresh = searchIn(newCache(), id, q, FEW, 5);
      expect({ q, ids: hitIds(kept) }).toEqual({ q, ids: hitIds(fresh) });
      expect(kept.hits.map((h) => h.score)).toEqual(fresh.hits.map((h) => h.score));
      expect(hitIds(kept)).toEqual(hitIds(searchIn(newCache(), id, q, EXHAUSTIVE, 5)));
      for (const h of kept.hits) expect([docs[3], docs[70]]).not.toContain(h.document_id);
    }
    expect(cache.impactListWork.made).toBe(made); // none made again
    expect(cache.impactListWork.extended).toBeGreaterThan(0);
  });

  test('a rowid given again to a new chunk after the latest one was deleted is read afresh', async () => {
    const { id, p } = await project(40);
    const cache = newCache();
    const first = newId('document');
    const older = newId('document');
    await p.replaceDocument(older, [chunk(older, 0, 'zebra refund')]);
    await p.replaceDocument(first, [chunk(first, 0, 'refund invoice')]);
    expect(searchIn(cache, id, 'zebra').hits.map((h) => h.document_id)).toEqual([older]);
    // the highest chunk deleted: the next one written takes its rowid, and holds the word its
    // predecessor did not
    await p.deleteDocument(first);
    const second = newId('document');
    const again = chunk(second, 0, 'zebra zebra zebra invoice');
    await p.replaceDocument(second, [again]);
    const found = searchIn(cache, id, 'zebra');
    expect(found.hits.map((h) => h.document_id)).toEqual([second, older]);
    expect(found.hits[0].id).toBe(again.id);
    expect(found.hits[0].score).toBe(searchIn(newCache(), id, 'zebra').hits[0].score);
    expect(cache.impactListWork.extended).toBe(1);
  });

  test('deleted chunks among the best never keep a candidate place', async () => {
    const { id, p } = await project(150, 13);
    const cache = newCache();
    const TEN: RankingParams = { ...IMPACT, candidates: 10 };
    const before = searchIn(cache, id, 'refund invoice', TEN, 10);
    // the three best documents deleted: their entries stay in the lists, at the top
    const gone = [...new Set(before.hits.map((h) => h.document_id))].slice(0, 3);
    for (const doc of gone) await p.deleteDocument(doc);
    const after = searchIn(cache, id, 'refund invoice', TEN, 10);
    expect(cache.impactListWork).toEqual({ made: 2, extended: 2 });
    // ten candidates still, as a list made afresh finds them
    expect(after.hits).toHaveLength(10);
    expect(hitIds(after)).toEqual(hitIds(searchIn(newCache(), id, 'refund invoice', TEN, 10)));
    for (const h of after.hits) expect(gone).not.toContain(h.document_id);
  });

  test("a deletion of many of a list's chunks, or a collection grown by more than a tenth, makes it afresh", async () => {
    const { id, p } = await project(150, 17);
    const zebras: string[] = [];
    for (let i = 0; i < 30; i++) {
      const doc = newId('document');
      zebras.push(doc);
      await p.replaceDocument(doc, [chunk(doc, 0, `zebra ${'refund '.repeat(1 + (i % 5))}`)]);
    }
    const cache = newCache();
    searchIn(cache, id, 'zebra');
    expect(cache.impactListWork).toEqual({ made: 1, extended: 0 });

    // one zebra chunk of 30 deleted (a thirtieth of the list): brought forward
    await p.deleteDocument(zebras[0]);
    searchIn(cache, id, 'zebra');
    expect(cache.impactListWork).toEqual({ made: 1, extended: 1 });

    // six more (a fifth of the list, 2 % of the collection): made afresh
    for (const doc of zebras.slice(1, 7)) await p.deleteDocument(doc);
    const afterDeletion = searchIn(cache, id, 'zebra', IMPACT, 30);
    expect(cache.impactListWork).toEqual({ made: 2, extended: 1 });
    expect(afterDeletion.hits.map((h) => h.document_id).sort()).toEqual(zebras.slice(7).sort());

    // 40 more chunks on a collection of about 330: grown by more than a tenth, made afresh
    for (let i = 0; i < 20; i++) {
      const doc = newId('document');
      await p.replaceDocument(doc, [chunk(doc, 0, 'cache table'), chunk(doc, 1, 'zebra parser')]);
    }
    const grown = searchIn(cache, id, 'zebra', IMPACT, 50);
    expect(cache.impactListWork).toEqual({ made: 3, extended: 1 });
    expect(hitIds(grown)).toEqual(hitIds(searchIn(newCache(), id, 'zebra', EXHAUSTIVE, 50)));
  });

  test('a project whose chunks were all replaced returns only the new ones', async () => {
    const { id, p, docs } = await project(40, 19);
    const cache = newCache();
    for (const q of QUERIES) expect(searchIn(cache, id, q).hits.length).toBeGreaterThan(0);
    const rand = mulberry32(23);
    const fresh = new Set<string>();
    for (const doc of docs) {
      const text = () => Array.from({ length: 5 + Math.floor(rand() * 30) }, () => pick(rand, WORDS)).join(' ');
      const chunks = [chunk(doc, 0, text()), chunk(doc, 1, text())];
      for (const c of chunks) fresh.add(c.id);
      await p.replaceDocument(doc, chunks);
    }
    for (const q of QUERIES) {
      const r = searchIn(cache, id, q);
      expect(r.hits.length).toBeGreaterThan(0);
      for (const h of r.hits) expect(fresh.has(h.id)).toBe(true);
      expect(hitIds(r)).toEqual(hitIds(searchIn(newCache(), id, q, EXHAUSTIVE)));
    }
  });
});

describe('lists shared between reading contexts', () => {
  const searchIn = (cache: SearchStateCache, id: string, text: string, ranking: RankingParams = IMPACT, topK = 10) => {
    const db = index.db(id);
    return db.transaction(() =>
      searchChunks(cache.state(id, db, index.generation(id)), { terms: queryTerms(text), topK }, ranking),
    )();
  };
  /** a context that hands the lists it makes to `out` */
  const sharing = (out: SharedList[]) =>
    new SearchStateCache(
      (projectId) => index.file(projectId),
      1_000_000,
      (l) => out.push(l),
    );

  test('a list made in one context is adopted by another, in shared memory, and found made there', async () => {
    const { id } = await project(60, 29);
    const handed: SharedList[] = [];
    const maker = sharing(handed);
    for (const q of QUERIES) searchIn(maker, id, q);
    expect(handed.length).toBe(maker.impactListWork.made);
    for (const l of handed) {
      expect(l.projectId).toBe(id);
      expect(l.kept.list.chunks.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(l.kept.list.impacts.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
    const other = sharing([]);
    for (const l of handed) other.adopt(l);
    expect(other.impactListEntries).toBe(maker.impactListEntries);
    for (const q of QUERIES) {
      expect({ q, ids: hitIds(searchIn(other, id, q)) }).toEqual({ q, ids: hitIds(searchIn(maker, id, q)) });
    }
    // brought to this context's data, none made again; an adopted list is not handed on
    expect(other.impactListWork.made).toBe(0);
    expect(other.impactListWork.extended).toBe(handed.length);
  });

  test('a list adopted after writes finds what a list made afresh finds', async () => {
    const { id, p, docs } = await project(150, 31);
    const handed: SharedList[] = [];
    const maker = sharing(handed);
    for (const q of QUERIES) searchIn(maker, id, q);
    const doc = newId('document');
    await p.replaceDocument(doc, [chunk(doc, 0, 'refund refund refund invoice cache cache')]);
    await p.deleteDocument(docs[5]);
    const other = sharing([]);
    for (const l of handed) other.adopt(l);
    for (const q of QUERIES) {
      const adopted = searchIn(other, id, q);
      expect({ q, ids: hitIds(adopted) }).toEqual({ q, ids: hitIds(searchIn(newCache(), id, q, EXHAUSTIVE)) });
      for (const h of adopted.hits) expect(h.document_id).not.toBe(docs[5]);
    }
    expect(other.impactListWork.made).toBe(0);
  });

  test("one project's adopted lists never answer another project's search", async () => {
    const a = await project(40, 37);
    const b = await project(40, 41);
    const handed: SharedList[] = [];
    const maker = sharing(handed);
    for (const q of QUERIES) searchIn(maker, a.id, q);
    const other = sharing([]);
    for (const l of handed) other.adopt(l);
    for (const q of QUERIES) {
      const fromB = searchIn(other, b.id, q);
      for (const h of fromB.hits) expect(b.docs).toContain(h.document_id);
      expect(hitIds(fromB)).toEqual(hitIds(searchIn(newCache(), b.id, q, EXHAUSTIVE)));
    }
    expect(other.impactListWork.made).toBeGreaterThan(0); // B's own, made for B
  });

  test('two read threads hand each other the lists they make', async () => {
    const { p } = await project(60, 43);
    const expected = await Promise.all(QUERIES.map((q) => search(p, EXHAUSTIVE, q)));
    const reads = new ReadPool({ dir, threads: 2 });
    index.reads = reads;
    try {
      // many at once: both threads search, each making lists
      const rounds = await Promise.all(
        [0, 1, 2, 3].flatMap(() => QUERIES.map((q) => search(p, IMPACT, q).then(hitIds))),
      );
      expect(rounds).toEqual([0, 1, 2, 3].flatMap(() => expected.map(hitIds)));
      expect(reads.listsShared).toBeGreaterThan(0);
    } finally {
      index.reads = null;
      await reads.close();
    }
  });

  test('the bound grows with the memory, between 4 and 16 million entries', () => {
    expect(impactEntries(2 * 2 ** 30)).toBe(4_000_000);
    expect(impactEntries(8 * 2 ** 30)).toBe(8_388_608);
    expect(impactEntries(24 * 2 ** 30)).toBe(16_000_000);
  });
});

function newCache() {
  return new SearchStateCache((projectId) => index.file(projectId));
}
