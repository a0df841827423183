import { documentRanking, mean, mrrAt, ndcgAt, percentile, recallAt } from '../../lambdas/core/ir-metrics';

const judged = (pairs: [string, number][]) => new Map(pairs);

describe('ndcgAt', () => {
  it('is 1 for the ideal order and 0 when nothing relevant is ranked', () => {
    const rel = judged([['a', 1]]);
    expect(ndcgAt(10, ['a', 'b'], rel)).toBe(1);
    expect(ndcgAt(10, ['b', 'c'], rel)).toBe(0);
  });

  it('discounts by log2 of the rank, against the ideal order', () => {
    // relevant a, b; ranked x a y b: DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3)
    const rel = judged([
      ['a', 1],
      ['b', 1],
    ]);
    const expected = (1 / Math.log2(3) + 1 / Math.log2(5)) / (1 + 1 / Math.log2(3));
    expect(ndcgAt(10, ['x', 'a', 'y', 'b'], rel)).toBeCloseTo(expected, 12);
    expect(expected).toBeCloseTo(0.6509, 4);
  });

  it('uses graded gains and cuts at k', () => {
    // grades a=2, b=1; ranked b a: DCG = 1 + 2/log2(3); IDCG = 2 + 1/log2(3)
    const rel = judged([
      ['a', 2],
      ['b', 1],
    ]);
    expect(ndcgAt(10, ['b', 'a'], rel)).toBeCloseTo((1 + 2 / Math.log2(3)) / (2 + 1 / Math.log2(3)), 12);
    // at k = 1 only b counts: 1 / 2
    expect(ndcgAt(1, ['b', 'a'], rel)).toBeCloseTo(0.5, 12);
  });

  it('ignores judgements of grade 0', () => {
    const rel = judged([
      ['a', 1],
      ['z', 0],
    ]);
    expect(ndcgAt(10, ['z', 'a'], rel)).toBeCloseTo(1 / Math.log2(3), 12);
  });
});

describe('recallAt and mrrAt', () => {
  const rel = judged([
    ['a', 1],
    ['b', 1],
    ['c', 1],
    ['n', 0],
  ]);

  it('recall counts the relevant documents found within k', () => {
    expect(recallAt(100, ['a', 'x', 'c'], rel)).toBeCloseTo(2 / 3, 12);
    expect(recallAt(1, ['a', 'x', 'c'], rel)).toBeCloseTo(1 / 3, 12);
    expect(recallAt(10, ['n', 'x'], rel)).toBe(0);
  });

  it('MRR is the reciprocal rank of the first relevant document within k', () => {
    expect(mrrAt(10, ['x', 'y', 'b', 'a'], rel)).toBeCloseTo(1 / 3, 12);
    expect(mrrAt(2, ['x', 'y', 'b'], rel)).toBe(0);
    expect(mrrAt(10, ['n', 'c'], rel)).toBe(0.5);
  });
});

describe('documentRanking', () => {
  it("puts each document at its best chunk's rank", () => {
    expect(documentRanking(['d2', 'd1', 'd2', 'd3', 'd1'])).toEqual(['d2', 'd1', 'd3']);
  });
});

describe('mean and percentile', () => {
  it('computes nearest-rank percentiles and a mean', () => {
    const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 90)).toBe(9);
    expect(percentile(xs, 99)).toBe(10);
    expect(mean([1, 2, 6])).toBe(3);
    expect(mean([])).toBe(0);
  });
});
