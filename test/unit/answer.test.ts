import { composeExtractive, DEFAULT_COMPOSE, withMarker } from '../../lambdas/core/answer';
import { queryTerms } from '../../lambdas/core/text';
import type { GeneratorInput, Passage } from '../../lambdas/ports';

const passage = (index: number, text: string): Passage => ({ index, text, title: null, section: null });

/** The generator input for a question, every content term weighted 1 unless given. */
function input(question: string, passages: Passage[], weights: Record<string, number> = {}): GeneratorInput {
  const termWeights: Record<string, number> = {};
  for (const t of queryTerms(question)) termWeights[t.stem] = weights[t.token] ?? 1;
  return { question, passages, termWeights };
}

const markers = (answer: string) => [...answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));

describe('composeExtractive', () => {
  it('quotes the sentence that carries the question terms, not its neighbours', () => {
    const answer = composeExtractive(
      input('How many days do I have to ask for a refund after purchase?', [
        passage(1, 'Our office opens at nine. Refunds are accepted within 30 days of purchase. We love cats.'),
      ]),
    );
    expect(answer).toBe('Refunds are accepted within 30 days of purchase [1].');
  });

  it('puts the marker before the final punctuation, keeping it', () => {
    const answer = composeExtractive(input('Is shipping free?', [passage(1, 'Shipping is always free!')]));
    expect(answer).toBe('Shipping is always free [1]!');
  });

  it('uses the index of the passage as given, not its position', () => {
    const answer = composeExtractive(
      input('refund window', [passage(7, 'Unrelated text about cats.'), passage(4, 'The refund window is 30 days.')]),
    );
    expect(answer).toBe('The refund window is 30 days [4].');
  });

  it('quotes at most maxSentences sentences', () => {
    const text = [
      'Refunds are issued to the card.',
      'Refunds take five days.',
      'Refunds need a receipt.',
      'Refunds exclude gift cards.',
      'Refunds are logged.',
    ].join(' ');
    const given = input('refunds', [passage(1, text)]);
    expect(markers(composeExtractive(given))).toHaveLength(DEFAULT_COMPOSE.maxSentences);
    expect(markers(composeExtractive(given, { maxSentences: 2, minRelativeScore: 0.5 }))).toHaveLength(2);
    expect(markers(composeExtractive(given, { maxSentences: 5, minRelativeScore: 0.5 }))).toHaveLength(5);
  });

  it('does not repeat a sentence found in two passages, or a near-duplicate of one', () => {
    const answer = composeExtractive(
      input('refund window days', [
        passage(1, 'The refund window is 30 days.'),
        passage(2, 'The refund window is 30 days!'),
        passage(3, 'Note that the refund window is 30 days.'),
      ]),
    );
    expect(markers(answer)).toEqual([1]);
    expect(answer).toBe('The refund window is 30 days [1].');
  });

  it('cites each quoted sentence with the passage it comes from', () => {
    const answer = composeExtractive(
      input('refund window shipping cost', [
        passage(1, 'The refund window is 30 days.'),
        passage(2, 'Shipping cost is never refunded.'),
      ]),
    );
    expect(answer).toContain('The refund window is 30 days [1].');
    expect(answer).toContain('Shipping cost is never refunded [2].');
  });

  it('leaves out sentences that score far below the best one', () => {
    const answer = composeExtractive(
      input('refund window shipping cost', [
        passage(1, 'Shipping cost and the refund window are listed. Cost varies.'),
      ]),
    );
    expect(answer).toBe('Shipping cost and the refund window are listed [1].');
  });

  it('weights terms by their given weight', () => {
    const given = input('refund gift', [passage(1, 'A refund is quick.'), passage(2, 'A gift card is final.')], {
      refund: 1,
      gift: 5,
    });
    expect(composeExtractive(given, { maxSentences: 1, minRelativeScore: 0.5 })).toBe('A gift card is final [2].');
  });

  it('prefers the higher-ranked passage when two sentences score the same', () => {
    const answer = composeExtractive(
      input('refund', [passage(1, 'Refunds are quick.'), passage(2, 'Refunds are easy.')]),
      { maxSentences: 1, minRelativeScore: 0.5 },
    );
    expect(answer).toBe('Refunds are quick [1].');
  });

  it('returns an empty answer without passages', () => {
    expect(composeExtractive(input('refund', []))).toBe('');
  });
});

describe('withMarker', () => {
  it('adds the marker before the final punctuation', () => {
    expect(withMarker('We refund within 30 days.', 1)).toBe('We refund within 30 days [1].');
    expect(withMarker('Really?', 3)).toBe('Really [3]?');
  });

  it('adds a full stop to a sentence without one', () => {
    expect(withMarker('No punctuation here', 2)).toBe('No punctuation here [2].');
  });

  it('keeps closing quotes and brackets after the punctuation', () => {
    expect(withMarker('He said "stop."', 5)).toBe('He said "stop [5]."');
    expect(withMarker('(See the guide.)', 1)).toBe('(See the guide [1].)');
  });
});
