import { composeExtractive, DEFAULT_COMPOSE, sentenceScore, withMarker } from '../../lambdas/core/answer';
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

describe('sentence selection', () => {
  const one = { ...DEFAULT_COMPOSE, maxSentences: 1 };

  it("prefers the sentence that keeps the question's phrase intact", () => {
    const given = input('Does vitamin D deficiency cause fractures?', [
      passage(
        1,
        'Fractures have many causes, and vitamin levels showed no deficiency. Vitamin deficiency causes fractures.',
      ),
    ]);
    expect(composeExtractive(given, { ...one, positionWeight: 0 })).toBe('Vitamin deficiency causes fractures [1].');
    // reversed order in the passage: the phrase still wins, position aside
    const reversed = input('Does vitamin D deficiency cause fractures?', [
      passage(
        1,
        'Vitamin deficiency causes fractures. Fractures have many causes, and vitamin levels showed no deficiency.',
      ),
    ]);
    expect(composeExtractive(reversed, { ...one, positionWeight: 0 })).toBe('Vitamin deficiency causes fractures [1].');
    // without the phrase feature the two tie, and the first one is quoted
    expect(composeExtractive(given, { ...one, positionWeight: 0, phraseWeight: 0 })).toBe(
      'Fractures have many causes, and vitamin levels showed no deficiency [1].',
    );
  });

  it('prefers the later of two equally matching sentences: findings follow background', () => {
    const given = input('aspirin stroke', [
      passage(1, 'Aspirin and stroke were studied. In the end aspirin prevented stroke.'),
    ]);
    expect(composeExtractive(given, { ...one, phraseWeight: 0 })).toBe('In the end aspirin prevented stroke [1].');
    expect(composeExtractive(given, { ...one, phraseWeight: 0, positionWeight: 0 })).toBe(
      'Aspirin and stroke were studied [1].',
    );
  });

  it('quotes a second passage before a second sentence of the first when they score alike', () => {
    const given = input('refund window', [
      passage(1, 'The refund window is 30 days. Refund window questions go to support.'),
      passage(2, 'Our refund window starts at delivery.'),
    ]);
    const diverse = composeExtractive(given, { ...DEFAULT_COMPOSE, maxSentences: 2, positionWeight: 0 });
    expect(markers(diverse)).toEqual([1, 2]);
    const same = composeExtractive(given, {
      ...DEFAULT_COMPOSE,
      maxSentences: 2,
      positionWeight: 0,
      diversity: 0,
      passageWeight: 0,
      phraseWeight: 0,
      rankWeight: 0.2,
    });
    expect(markers(same)).toEqual([1, 1]);
  });

  it("quotes nothing from passages that hold none of the question's terms", () => {
    expect(composeExtractive(input('refund window', [passage(1, 'Cats sleep a lot. Dogs bark.')]))).toBe('');
  });
});

describe('sentenceScore', () => {
  const q = { question: 'aspirin stroke risk', termWeights: { aspirin: 2, stroke: 1, risk: 1 } };

  it('is 0 for a sentence without any question term, whatever its passage', () => {
    expect(sentenceScore('Cats sleep.', q, { passageShare: 1, rank: 0, position: 1 })).toBe(0);
  });

  it('grows with the weighted share of terms, the passage share and the rank', () => {
    const base = { passageShare: 0.5, rank: 1, position: 0 };
    const strong = sentenceScore('Aspirin lowers stroke risk.', q, base);
    const weak = sentenceScore('Stroke risk is high.', q, base);
    expect(strong).toBeGreaterThan(weak);
    expect(sentenceScore('Stroke risk is high.', q, { ...base, passageShare: 1 })).toBeGreaterThan(weak);
    expect(sentenceScore('Stroke risk is high.', q, { ...base, rank: 0 })).toBeGreaterThan(weak);
    expect(sentenceScore('Stroke risk is high.', q, { ...base, position: 1 })).toBeGreaterThan(weak);
  });

  it('penalises a sentence past 400 characters', () => {
    const ctx = { passageShare: 0, rank: 0, position: 0 };
    const opts = { ...DEFAULT_COMPOSE, rankWeight: 0, phraseWeight: 0 };
    const short = sentenceScore('Aspirin cut stroke risk.', q, ctx, opts);
    const long = sentenceScore(`Aspirin cut stroke risk ${'and more words '.repeat(30)}.`, q, ctx, opts);
    expect(long).toBeCloseTo(short * 0.9);
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
