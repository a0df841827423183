import { CitationStream } from '../../lambdas/core/citation-stream';
import { checkCitations } from '../../lambdas/core/citations';
import type { Passage } from '../../lambdas/core/search-types';

const passages: Passage[] = [
  { index: 1, text: 'Refunds are accepted within 30 days of purchase.', title: 'Refunds', section: null },
  { index: 2, text: 'Orders ship within two business days.', title: 'Shipping', section: null },
];

/** Feeds an answer in pieces of `size` characters; returns the pieces sent and the stream. */
function feed(answer: string, size: number) {
  const stream = new CitationStream(passages);
  const sent: string[][] = [];
  for (let i = 0; i < answer.length; i += size) sent.push(stream.push(answer.slice(i, i + size)));
  sent.push(stream.end());
  return { stream, sent };
}

describe('CitationStream', () => {
  const answers = [
    'Orders ship within two business days [2]. Refunds are accepted within 30 days of purchase [1].',
    'Refunds are accepted within 30 days of purchase. [1] The moon is cheese [1]. Orders ship within two business days [1, 2].',
    'Nothing here cites anything.',
    'Orders ship within two business days [7].',
    'Refunds are accepted within 30 days [1]',
  ];

  it.each(answers.flatMap((a) => [1, 3, 11, 1000].map((size) => [a, size] as const)))(
    'sends what checkCitations keeps: %j in pieces of %i',
    (answer, size) => {
      const { stream, sent } = feed(answer, size);
      const whole = checkCitations(answer, passages);
      expect(sent.flat().join('')).toBe(whole.answer);
      expect(stream.answer).toBe(whole.answer);
      expect(stream.used).toEqual(whole.used);
    },
  );

  it('holds a sentence until the next one begins, since its marker may follow the full stop', () => {
    const stream = new CitationStream(passages);
    expect(stream.push('Orders ship within two business days.')).toEqual([]);
    expect(stream.push(' [2')).toEqual([]);
    expect(stream.push('] Refunds')).toEqual(['Orders ship within two business days [1].']);
    expect(stream.push(' are accepted within 30 days of purchase [1].')).toEqual([]);
    expect(stream.end()).toEqual([' Refunds are accepted within 30 days of purchase [2].']);
  });

  it('never sends a sentence whose marker does not hold', () => {
    const { sent } = feed('The moon is made of green cheese [1]. Mars is red [2].', 4);
    expect(sent.flat()).toEqual([]);
  });
});
