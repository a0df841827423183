import { fuseRankings } from '../../lambdas/core/fusion';
import type { SearchHit } from '../../lambdas/ports';

const hit = (id: string, score: number): SearchHit => ({
  id,
  document_id: `doc_${id}`,
  ordinal: 0,
  title: null,
  section: null,
  page: null,
  text: id,
  url: null,
  tags: [],
  score,
});

describe('fuseRankings', () => {
  it('returns the lexical ranking alone when there is no dense one', () => {
    const lexical = [hit('a', 9), hit('b', 5), hit('c', 1)];
    expect(fuseRankings(lexical, [], 0.5, 2).map((h) => h.id)).toEqual(['a', 'b']);
  });

  it('lets a chunk found by both lists beat one found by a single list', () => {
    const lexical = [hit('a', 10), hit('b', 8)];
    const dense = [hit('b', 0.9), hit('c', 0.85)];
    const fused = fuseRankings(lexical, dense, 0.5, 3);
    expect(fused.map((h) => h.id)).toEqual(['b', 'a', 'c']);
    expect(fused[0].score).toBeCloseTo(0.9, 5);
  });

  it('follows the dense weight: 0 keeps the lexical order, 1 the dense order', () => {
    const lexical = [hit('a', 10), hit('b', 1)];
    const dense = [hit('b', 0.9), hit('a', 0.1)];
    expect(fuseRankings(lexical, dense, 0, 2).map((h) => h.id)).toEqual(['a', 'b']);
    expect(fuseRankings(lexical, dense, 1, 2).map((h) => h.id)).toEqual(['b', 'a']);
  });

  it('never returns the same chunk twice and respects topK', () => {
    const lexical = [hit('a', 3), hit('b', 2), hit('c', 1)];
    const dense = [hit('c', 0.9), hit('b', 0.8), hit('a', 0.7)];
    const fused = fuseRankings(lexical, dense, 0.3, 2);
    expect(fused).toHaveLength(2);
    expect(new Set(fused.map((h) => h.id)).size).toBe(2);
  });
});
