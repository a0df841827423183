import { DEFAULT_GATE, relevanceGate, termCoverage, termWeight, UNSEEN_WEIGHT } from '../../lambdas/core/gate';
import { GENERIC_WEIGHT, queryTerms } from '../../lambdas/core/text';
import type { SearchHit } from '../../lambdas/ports';

let nextId = 0;
function hit(text: string, extra: Partial<SearchHit> = {}): SearchHit {
  nextId++;
  return {
    id: `chk_${nextId}`,
    document_id: 'doc_1',
    ordinal: nextId,
    title: null,
    section: null,
    page: null,
    text,
    url: null,
    tags: [],
    score: 1,
    ...extra,
  };
}

describe('termCoverage', () => {
  it('is the share of the query terms found in the passage', () => {
    const terms = queryTerms('refund window shipping costs'); // four content terms
    expect(termCoverage(terms, hit('Refunds have a 30 day window.'))).toBeCloseTo(2 / 4);
    expect(termCoverage(terms, hit('Shipping costs are refunded within the window.'))).toBeCloseTo(1);
    expect(termCoverage(terms, hit('Nothing relevant here.'))).toBe(0);
  });

  it('matches inflected forms through stems', () => {
    expect(termCoverage(queryTerms('refunded orders'), hit('We refund every order.'))).toBeCloseTo(1);
  });

  it('counts the title and the section as part of the passage', () => {
    const terms = queryTerms('refund window');
    expect(termCoverage(terms, hit('It is 30 days.', { title: 'Refunds', section: 'Window' }))).toBeCloseTo(1);
  });

  it('is 0 when a code-like term of the question is missing, whatever else matches', () => {
    const terms = queryTerms('What is the status of order A1234?');
    expect(termCoverage(terms, hit('The status of order A1234 is shipped.'))).toBeCloseTo(1);
    expect(termCoverage(terms, hit('The status of order B9876 is shipped.'))).toBe(0);
  });

  it('gives generic words such as "policy" less weight than specific ones', () => {
    const terms = queryTerms('refund policy');
    const specificOnly = termCoverage(terms, hit('We refund within 30 days.'));
    const genericOnly = termCoverage(terms, hit('Our policy is strict.'));
    expect(specificOnly).toBeCloseTo(1 / (1 + GENERIC_WEIGHT));
    expect(genericOnly).toBeCloseTo(GENERIC_WEIGHT / (1 + GENERIC_WEIGHT));
    expect(specificOnly).toBeGreaterThan(genericOnly);
  });

  it('weighs a specific word the project never mentions more, once document frequencies are known', () => {
    const terms = queryTerms('refund crypto'); // the project has refunds, but nothing on crypto
    const df = { [terms[0].stem]: 12, [terms[1].stem]: 0 };
    const passage = hit('We refund within 30 days.');
    expect(termCoverage(terms, passage)).toBeCloseTo(1 / 2);
    expect(termCoverage(terms, passage, df)).toBeCloseTo(1 / (1 + UNSEEN_WEIGHT));
  });

  it('is 0 without query terms', () => {
    expect(termCoverage([], hit('anything'))).toBe(0);
  });
});

describe('termWeight', () => {
  it('is GENERIC_WEIGHT for generic words, UNSEEN_WEIGHT for words with no documents, 1 otherwise', () => {
    const [refund, policy] = queryTerms('refund policy');
    expect(termWeight(refund)).toBe(1);
    expect(termWeight(refund, { [refund.stem]: 3 })).toBe(1);
    expect(termWeight(refund, {})).toBe(1); // unknown frequency is not "never mentioned"
    expect(termWeight(refund, { [refund.stem]: 0 })).toBe(UNSEEN_WEIGHT);
    expect(termWeight(policy)).toBe(GENERIC_WEIGHT);
    expect(termWeight(policy, { [policy.stem]: 0 })).toBe(GENERIC_WEIGHT);
  });
});

describe('relevanceGate', () => {
  it('refuses when there are no hits', () => {
    const d = relevanceGate(queryTerms('refund window'), []);
    expect(d).toEqual({ answerable: false, coverage: 0, passages: [], why: 'no passage matches the question' });
  });

  it('refuses a question with no content terms, even with hits', () => {
    const d = relevanceGate(queryTerms('What is it and how do you do it?'), [hit('It is what it is.')]);
    expect(d.answerable).toBe(false);
    expect(d.passages).toEqual([]);
    expect(d.why).toMatch(/no content words/);
  });

  it('refuses when the best passage covers too little of the question', () => {
    const terms = queryTerms('refund window shipping costs');
    const d = relevanceGate(terms, [hit('Shipping is fast.'), hit('Nothing to see.')]);
    expect(d.answerable).toBe(false);
    expect(d.coverage).toBeCloseTo(0.25);
    expect(d.passages).toEqual([]);
    expect(d.why).toContain('25%');
  });

  it('accepts a passage with good coverage and reports it', () => {
    const terms = queryTerms('How long is the refund window?');
    const good = hit('The refund window is 30 days long.');
    const d = relevanceGate(terms, [good]);
    expect(d.answerable).toBe(true);
    expect(d.coverage).toBeCloseTo(1);
    expect(d.passages).toEqual([good]);
  });

  it('accepts coverage exactly at the threshold and refuses just below it', () => {
    const terms = queryTerms('refund window'); // two terms: one found = 0.5
    expect(relevanceGate(terms, [hit('Refunds are easy.')], { ...DEFAULT_GATE, minCoverage: 0.5 }).answerable).toBe(
      true,
    );
    expect(relevanceGate(terms, [hit('Refunds are easy.')], { ...DEFAULT_GATE, minCoverage: 0.51 }).answerable).toBe(
      false,
    );
  });

  it('refuses a question about an order the documents never mention', () => {
    const terms = queryTerms('Where is my order A1234?');
    const d = relevanceGate(terms, [hit('Your order ships in two days.'), hit('Order B5555 was delivered.')]);
    expect(d.answerable).toBe(false);
    expect(d.coverage).toBe(0);
  });

  it('refuses when only the generic word of the question matches', () => {
    const terms = queryTerms('What is the refund policy?');
    expect(relevanceGate(terms, [hit('Our privacy policy explains cookies.')]).answerable).toBe(false);
    expect(relevanceGate(terms, [hit('A refund takes five days.')]).answerable).toBe(true);
  });

  it('does not let a negative contraction sink the coverage of a matching passage', () => {
    const terms = queryTerms("Why doesn't the export work?");
    const hits = [hit('The export runs once a night.')];
    expect(relevanceGate(terms, hits).answerable).toBe(true);
    // "doesn" is in no document, so as a term it would even weigh more than "export"
    expect(relevanceGate(terms, hits, DEFAULT_GATE, { doesn: 0, export: 4, work: 9 }).answerable).toBe(true);
  });

  it('refuses a question whose main subject the project never mentions', () => {
    const terms = queryTerms('refund crypto');
    const df = { [terms[0].stem]: 12, [terms[1].stem]: 0 };
    const hits = [hit('We refund within 30 days.')];
    expect(relevanceGate(terms, hits).answerable).toBe(true); // exactly half the terms
    expect(relevanceGate(terms, hits, DEFAULT_GATE, df).answerable).toBe(false);
  });

  it('keeps only passages with at least half the best coverage, in rank order', () => {
    const terms = queryTerms('refund window shipping costs');
    const partial = hit('Shipping costs extra.'); // 0.5
    const best = hit('Shipping costs are refunded within the window.'); // 1
    const weak = hit('Shipping is slow.'); // 0.25
    const d = relevanceGate(terms, [partial, weak, best]);
    expect(d.answerable).toBe(true);
    expect(d.coverage).toBeCloseTo(1);
    expect(d.passages).toEqual([partial, best]);
  });

  it('looks only at the first `consider` hits', () => {
    const terms = queryTerms('refund window');
    const hits = [hit('Unrelated one.'), hit('Unrelated two.'), hit('The refund window is 30 days.')];
    expect(relevanceGate(terms, hits, { minCoverage: 0.5, consider: 2 }).answerable).toBe(false);
    expect(relevanceGate(terms, hits, { minCoverage: 0.5, consider: 3 }).answerable).toBe(true);
  });
});
