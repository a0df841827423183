import { checkCitations, support } from '../../lambdas/core/citations';
import type { Passage } from '../../lambdas/ports';

const passage = (index: number, text: string, extra: Partial<Passage> = {}): Passage => ({
  index,
  text,
  title: null,
  section: null,
  ...extra,
});

const REFUNDS = passage(1, 'Refunds are accepted within 30 days of purchase.');
const SHIPPING = passage(2, 'Shipping costs are not refunded.');
const SUPPORT = passage(3, 'Support answers tickets within one business day.');
const PASSAGES = [REFUNDS, SHIPPING, SUPPORT];

describe('support', () => {
  it('is the share of the sentence content words found in the passage', () => {
    expect(support('Refunds are accepted within 30 days [1].', REFUNDS)).toBeCloseTo(1);
    expect(support('Refunds are accepted on Mondays [1].', REFUNDS)).toBeCloseTo(2 / 3);
    expect(support('The moon is made of cheese.', REFUNDS)).toBe(0);
  });

  it('ignores the citation markers themselves', () => {
    expect(support('Shipping costs [2] [12].', SHIPPING)).toBeCloseTo(1);
  });

  it('counts the passage title and section as support', () => {
    const p = passage(1, 'They take five days.', { title: 'Refunds', section: 'Billing' });
    expect(support('Billing refunds take five days.', p)).toBeCloseTo(1);
  });

  it('is 0 for a sentence without content words', () => {
    expect(support('It is what it is.', REFUNDS)).toBe(0);
  });
});

describe('checkCitations', () => {
  it('keeps a well-cited answer as it is', () => {
    const r = checkCitations('Refunds are accepted within 30 days [1]. Shipping costs are not refunded [2].', PASSAGES);
    expect(r).toEqual({
      answer: 'Refunds are accepted within 30 days [1]. Shipping costs are not refunded [2].',
      used: [1, 2],
      dropped: [],
    });
  });

  it('removes a marker that names no given passage but keeps the valid one', () => {
    const r = checkCitations('Refunds are accepted within 30 days [1][9].', PASSAGES);
    expect(r.answer).toBe('Refunds are accepted within 30 days [1].');
    expect(r.used).toEqual([1]);
    expect(r.dropped).toEqual([]);
  });

  it('drops a sentence left without a valid marker', () => {
    const r = checkCitations('Refunds are accepted within 30 days [1]. Gift cards are final [7].', PASSAGES);
    expect(r.answer).toBe('Refunds are accepted within 30 days [1].');
    expect(r.dropped).toEqual(['Gift cards are final [7].']);
  });

  it('drops a sentence that cites nothing at all', () => {
    const r = checkCitations('Refunds are accepted within 30 days [1]. We are the best shop in town.', PASSAGES);
    expect(r.answer).toBe('Refunds are accepted within 30 days [1].');
    expect(r.dropped).toEqual(['We are the best shop in town.']);
  });

  it('drops a claim the cited passage does not support', () => {
    const r = checkCitations(
      'Refunds are accepted within 30 days [1]. Refunds are paid in gold bars by courier [1].',
      PASSAGES,
    );
    expect(r.answer).toBe('Refunds are accepted within 30 days [1].');
    expect(r.dropped).toEqual(['Refunds are paid in gold bars by courier [1].']);
  });

  it('removes a marker whose passage does not support the sentence, keeping one that does', () => {
    const r = checkCitations('Shipping costs are not refunded [3][2].', PASSAGES);
    expect(r.answer).toBe('Shipping costs are not refunded [1].');
    expect(r.used).toEqual([2]);
  });

  it('honours the minimum support given', () => {
    const answer = 'Refunds are accepted on Mondays [1].'; // 2 of 3 content words supported
    expect(checkCitations(answer, PASSAGES, 0.5).answer).toBe('Refunds are accepted on Mondays [1].');
    expect(checkCitations(answer, PASSAGES, 0.9).answer).toBe('');
  });

  it('renumbers the surviving markers 1..k in order of first use', () => {
    const r = checkCitations(
      'Support answers tickets within one business day [3]. Refunds are accepted within 30 days [1]. Support answers within one day [3].',
      PASSAGES,
    );
    expect(r.answer).toBe(
      'Support answers tickets within one business day [1]. Refunds are accepted within 30 days [2]. Support answers within one day [1].',
    );
    expect(r.used).toEqual([3, 1]);
  });

  it('renumbers after dropping, leaving no gaps', () => {
    const r = checkCitations('The moon is cheese [1]. Shipping costs are not refunded [2].', PASSAGES);
    expect(r.answer).toBe('Shipping costs are not refunded [1].');
    expect(r.used).toEqual([2]);
  });

  it('normalizes a "[1, 2]" list into separate markers', () => {
    const both = [
      passage(1, 'Refunds are accepted within 30 days.'),
      passage(2, 'Refunds within 30 days are accepted.'),
    ];
    const r = checkCitations('Refunds are accepted within 30 days [2, 1].', both);
    expect(r.answer).toBe('Refunds are accepted within 30 days [1] [2].');
    expect(r.used).toEqual([2, 1]);
  });

  it('checks each member of a "[1, 3]" list on its own', () => {
    const r = checkCitations('Refunds are accepted within 30 days [1,3].', PASSAGES);
    expect(r.answer).toBe('Refunds are accepted within 30 days [1].');
    expect(r.used).toEqual([1]);
  });

  it('keeps a bracketed value that is not a list of citations', () => {
    const loads = [passage(1, 'On Windows, the return value is always [0, 0, 0].')];
    const r = checkCitations('On Windows, the return value is always [0, 0, 0] [1].', loads);
    expect(r.answer).toBe('On Windows, the return value is always [0, 0, 0] [1].');
    const pairs = [passage(1, 'The pair is returned as [2, 2] when both sides agree.')];
    expect(checkCitations('The pair is returned as [2, 2] when both sides agree [1].', pairs).answer).toBe(
      'The pair is returned as [2, 2] when both sides agree [1].',
    );
  });

  it('returns an empty answer when nothing survives', () => {
    const r = checkCitations('The moon is cheese [1]. Mars is red [4].', PASSAGES);
    expect(r).toEqual({ answer: '', used: [], dropped: ['The moon is cheese [1].', 'Mars is red [4].'] });
  });

  it('credits a marker written after the full stop to the sentence before it', () => {
    const r = checkCitations('Refunds are accepted within 30 days. [1] Shipping costs are not refunded.[2]', PASSAGES);
    expect(r).toEqual({
      answer: 'Refunds are accepted within 30 days [1]. Shipping costs are not refunded [2].',
      used: [1, 2],
      dropped: [],
    });
  });

  it('keeps a marker in the middle of a sentence', () => {
    const r = checkCitations('Shipping costs [2] are not refunded.', PASSAGES);
    expect(r.answer).toBe('Shipping costs [1] are not refunded.');
  });
});
