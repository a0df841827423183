import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadPool } from '../../lambdas/adapters/local/read-pool';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-index';
import {
  chunkTermCounts,
  DEFAULT_FEEDBACK,
  type FeedbackParams,
  feedbackHits,
  feedbackSearch,
  feedbackTerms,
  queryExpansion,
} from '../../lambdas/core/feedback';
import { newId } from '../../lambdas/core/ids';
import type { Chunk } from '../../lambdas/core/model';
import type { SearchHit, SearchResult } from '../../lambdas/core/search-types';
import { queryTerms } from '../../lambdas/core/text';
import type { ProjectIndex } from '../../lambdas/ports';
import { searchWithFeedback } from '../../lambdas/service/search';

const chunk = (doc: string, ordinal: number, text: string, title: string | null = 'Doc'): Chunk => ({
  id: newId('chunk'),
  document_id: doc,
  ordinal,
  title,
  section: null,
  page: null,
  text,
  url: null,
  tags: [],
});

const hit = (score: number, text: string, title: string | null = null): SearchHit => ({
  ...chunk('doc_x', 0, text, title),
  score,
});

describe('chunkTermCounts', () => {
  it('counts each content term over the fields, by index key, in the order they first occur', () => {
    const counts = chunkTermCounts(hit(1, 'glacier ice melts; the ice shelf', 'Glacier'));

    expect([...counts]).toEqual([
      ['glacier', 2],
      ['ic', 2],
      ['melt', 1],
      ['shelf', 1],
    ]);
  });

  it('gives what the embedded index stored for the chunk (its termCounts), capped per field as it stores them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oprag-feedback-'));
    const index = new SqliteSearchIndex(dir);
    const p = index.forProject(newId('project'));
    const doc = newId('document');
    const chunks = [
      chunk(doc, 0, 'Moraines form where a glacier retreats; the moraine holds rocks.', 'Glacier moraines'),
      chunk(doc, 1, `${'ice '.repeat(1100)}shelf`, 'Ice'),
    ];
    await p.replaceDocument(doc, chunks);
    const stored = await p.termCounts?.([chunks[1].id, newId('chunk'), chunks[0].id]);
    index.close();
    rmSync(dir, { recursive: true, force: true });

    expect(stored).toEqual([chunkTermCounts(chunks[1]), null, chunkTermCounts(chunks[0])]);
    expect([...(stored?.[0] ?? [])]).toEqual([
      ['ic', 1 + 1023],
      ['shelf', 1],
    ]);
    expect([...(stored?.[2] ?? [])].map(([key]) => key)).toEqual([...chunkTermCounts(chunks[0]).keys()]);
  });
});

describe('feedbackTerms (RM3)', () => {
  it('weights new words by their share of the best chunks and their scores, on the original terms scale', () => {
    const top = [
      // score 3: ice is half of the words, shelf a quarter
      {
        score: 3,
        counts: new Map([
          ['glacier', 1],
          ['ic', 2],
          ['shelf', 1],
        ]),
      },
      // score 1: only ice
      { score: 1, counts: new Map([['ic', 1]]) },
    ];
    const params = { docs: 2, terms: 1, originalWeight: 0.8, minChunks: 0 };

    const out = feedbackTerms(new Set(['glacier']), top, params);

    // model: ic = 0.75 × 0.5 + 0.25 × 1 = 0.625, shelf = 0.75 × 0.25; one term kept (ic), which takes
    // all of the expansion's share: (1 − 0.8) / 0.8 × |Q| = 0.25
    expect([...out.keys()]).toEqual(['ic']);
    expect(out.get('ic')).toBeCloseTo(0.25, 12);
    expect(feedbackTerms(new Set(['glacier']), top, { ...params, terms: 0 }).size).toBe(0);
  });
});

describe('feedbackHits and queryExpansion', () => {
  const terms = queryTerms('glacier');
  const hits = [hit(2, 'glacier retreat moraine'), hit(1, 'glacier ice')];
  const params: FeedbackParams = { docs: 1, terms: 2, originalWeight: 0.5, minChunks: 10 };

  it("adds the best hits' other words, none of the query's own", () => {
    const top = feedbackHits({ hits, chunkCount: 10 }, params);
    const expansion = queryExpansion(terms, top, params);

    // one feedback chunk: retreat and moraine each hold a third of it, and share the expansion's weight
    expect(top).toEqual([hits[0]]);
    expect(expansion.map((e) => e.key)).toEqual(['retreat', 'morain']);
    for (const e of expansion) expect(e.weight).toBeCloseTo(0.5, 12);
  });

  it('reads the counts an index gives, and counts the text of a hit it gives none for', () => {
    const given = new Map([
      ['glacier', 1],
      ['sediment', 3],
    ]);

    expect(queryExpansion(terms, [hits[0]], params, [given]).map((e) => e.key)).toEqual(['sediment']);
    expect(queryExpansion(terms, [hits[0]], params, [null])).toEqual(queryExpansion(terms, [hits[0]], params));
  });

  it('feeds nothing back when feedback is off, the project is small or nothing matched', () => {
    expect(feedbackHits({ hits, chunkCount: 10 }, { ...params, terms: 0 })).toEqual([]);
    expect(feedbackHits({ hits, chunkCount: 9 }, params)).toEqual([]);
    expect(feedbackHits({ hits: [], chunkCount: 10 }, params)).toEqual([]);
    expect(queryExpansion(terms, [], params)).toEqual([]);
  });

  it('is on by default only from a thousand chunks', () => {
    expect(DEFAULT_FEEDBACK.terms).toBeGreaterThan(0);
    expect(feedbackHits({ hits, chunkCount: 999 }, DEFAULT_FEEDBACK)).toEqual([]);
    expect(feedbackHits({ hits, chunkCount: 1000 }, DEFAULT_FEEDBACK)).toEqual(hits);
  });
});

describe('feedbackSearch: the steps a search with feedback asks of an index', () => {
  const terms = queryTerms('glacier');
  const params = { docs: 2, terms: 2, originalWeight: 0.5, minChunks: 0 };
  const first: SearchResult = {
    hits: [hit(3, 'glacier retreat moraine'), hit(2, 'glacier ice'), hit(1, 'glacier shop')],
    chunkCount: 3,
    documentFrequency: { glacier: 3 },
  };

  it('asks for a first search of at least the feedback chunks, their stored counts, then the second search', () => {
    const steps = feedbackSearch({ terms, topK: 1, filter: { tags: ['t'] } }, params, true);
    const one = steps.next();
    expect(one.value).toEqual({ search: { terms, topK: 2, filter: { tags: ['t'] } } });
    const two = steps.next(first);
    expect(two.value).toEqual({ termCounts: [first.hits[0].id, first.hits[1].id] });
    const three = steps.next([
      new Map([
        ['glacier', 1],
        ['moraine', 4],
      ]),
      null,
    ]);
    const ask = three.value as { search: { expansion: { key: string }[]; topK: number; filter: unknown } };
    expect(ask.search.topK).toBe(1);
    expect(ask.search.filter).toEqual({ tags: ['t'] });
    expect(ask.search.expansion.map((e) => e.key)).toContain('moraine'); // from the stored counts
    const second = { ...first, hits: [hit(9, 'moraine glacier')], chunkCount: 99 };
    const done = steps.next(second);
    expect(done.done).toBe(true);
    // the second search's hits, the first's counts
    expect(done.value).toEqual({ ...first, hits: second.hits });
  });

  it('counts the hits from their text where the index stores no counts, and asks no second search without feedback', () => {
    const stepwise = feedbackSearch({ terms, topK: 2 }, params, false);
    stepwise.next();
    expect('search' in (stepwise.next(first).value as object)).toBe(true);
    const off = feedbackSearch({ terms, topK: 2 }, { ...params, terms: 0 }, true);
    off.next();
    const done = off.next(first);
    expect(done).toEqual({ done: true, value: { ...first, hits: first.hits.slice(0, 2) } });
  });
});

describe('searchWithFeedback on the embedded index', () => {
  let dir: string;
  let index: SqliteSearchIndex;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oprag-feedback-'));
    index = new SqliteSearchIndex(dir);
  });
  afterEach(() => {
    index.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('feeds the best chunk back into the query (RM3), only in a project with enough chunks', async () => {
    const p = index.forProject(newId('project'));
    const doc = newId('document');
    const texts = [
      'glacier glacier retreat moraine',
      'glacier ice',
      'glacier shop souvenir',
      'glacier moraine retreat sediment',
    ];
    const chunks = texts.map((t, i) => chunk(doc, i, t));
    await p.replaceDocument(doc, chunks);
    const order = async (feedback: FeedbackParams, topK = 4) =>
      (await searchWithFeedback(p, { terms: queryTerms('glacier'), topK }, feedback)).hits.map((h) =>
        chunks.findIndex((c) => c.id === h.id),
      );
    const feedback = { docs: 1, terms: 2, originalWeight: 0.5 };

    const plain = await order({ ...feedback, terms: 0, minChunks: 0 });
    const small = await order({ ...feedback, minChunks: 1000 });
    const expanded = await order({ ...feedback, minChunks: 0 });
    // fewer hits asked for than feedback reads: the same feedback chunks, so the same first hit
    const wide = { ...feedback, docs: 2, minChunks: 0 };
    const all = await order(wide);
    const one = await order(wide, 1);

    // the shortest chunk with the word comes second on its own; the one sharing the best chunk's
    // other words (retreat, moraine) takes its place with feedback
    expect(plain.slice(0, 2)).toEqual([0, 1]);
    expect(plain.indexOf(3)).toBeGreaterThan(1);
    expect(small).toEqual(plain);
    expect(expanded.slice(0, 2)).toEqual([0, 3]);
    expect(all[0]).not.toBe(expanded[0]);
    expect(one).toEqual(all.slice(0, 1));
  });

  it('finds what was written between two searches of the same query', async () => {
    const p = index.forProject(newId('project'));
    const feedback = { docs: 2, terms: 2, originalWeight: 0.5, minChunks: 0 };
    const a = newId('document');
    await p.replaceDocument(a, [chunk(a, 0, 'glacier retreat moraine'), chunk(a, 1, 'glacier ice')]);
    const search = async () => searchWithFeedback(p, { terms: queryTerms('glacier'), topK: 5 }, feedback);
    const before = await search();

    const b = newId('document');
    await p.replaceDocument(b, [chunk(b, 0, 'glacier glacier glacier')]);
    const after = await search();

    expect(before.hits.map((h) => h.document_id)).toEqual([a, a]);
    expect(after.hits.map((h) => h.document_id)).toContain(b);
    expect(after.chunkCount).toBe(3);
  });

  it('gives in one step, in-process and on a read thread, what its steps one at a time give', async () => {
    const id = newId('project');
    await index.createProject(id);
    const p = index.forProject(id);
    const words = 'glacier retreat moraine ice sediment shop souvenir melt shelf calving'.split(' ');
    for (let d = 0; d < 12; d++) {
      const doc = newId('document');
      const text = (k: number) =>
        Array.from({ length: 6 }, (_, i) => words[(d * 3 + k * 5 + i * 7) % words.length]).join(' ');
      await p.replaceDocument(doc, [chunk(doc, 0, text(1)), chunk(doc, 1, text(2))]);
    }
    const feedback = { docs: 3, terms: 3, originalWeight: 0.6, minChunks: 0 };
    // the same index without its one step: the use case drives search and termCounts
    const stepwise = Object.assign(Object.create(p) as ProjectIndex, { searchWithFeedback: undefined });
    const queries = ['glacier retreat', 'ice shelf calving', 'souvenir', 'melt moraine sediment'];
    const run = (on: ProjectIndex) =>
      Promise.all(queries.map((q) => searchWithFeedback(on, { terms: queryTerms(q), topK: 5 }, feedback)));
    const expected = await run(stepwise);
    expect(expected.every((r) => r.hits.length > 0)).toBe(true);
    // the feedback weighs in: without it, another ranking
    const off = await Promise.all(
      queries.map((q) => searchWithFeedback(stepwise, { terms: queryTerms(q), topK: 5 }, { ...feedback, terms: 0 })),
    );
    expect(off.map((r) => r.hits.map((h) => h.id))).not.toEqual(expected.map((r) => r.hits.map((h) => h.id)));
    expect(await run(p)).toEqual(expected);
    const reads = new ReadPool({ dir, threads: 1 });
    index.reads = reads;
    try {
      expect(await run(p)).toEqual(expected);
    } finally {
      index.reads = null;
      await reads.close();
    }
  });
});
