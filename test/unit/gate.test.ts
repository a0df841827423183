import {
  DEFAULT_GATE,
  DEFAULT_WEIGHTS,
  passageEvidence,
  phraseAgreement,
  QUESTION_GATE,
  relevanceGate,
  sameText,
  scoreMargin,
  sentenceCoverage,
  termCoverage,
} from '../../lambdas/core/gate';
import {
  informativeWeight,
  informativeWeights,
  isCommonStem,
  termWeight,
  UNSEEN_WEIGHT,
  unknownNames,
} from '../../lambdas/core/term-weights';
import { GENERIC_WEIGHT, idf, queryTerms, stem } from '../../lambdas/core/text';
import type { SearchHit } from '../../lambdas/ports';

let nextId = 0;
function hit(text: string, extra: Partial<SearchHit> = {}): SearchHit {
  nextId++;
  return {
    id: `chk_${nextId}`,
    document_id: `doc_${nextId}`,
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
    expect(d).toEqual({
      answerable: false,
      coverage: 0,
      evidence: 0,
      passages: [],
      why: 'no passage matches the question',
    });
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
    const coverageOnly = { ...DEFAULT_GATE, minEvidence: 0 };
    expect(relevanceGate(terms, [hit('Refunds are easy.')], { ...coverageOnly, minCoverage: 0.5 }).answerable).toBe(
      true,
    );
    expect(relevanceGate(terms, [hit('Refunds are easy.')], { ...coverageOnly, minCoverage: 0.51 }).answerable).toBe(
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
    expect(relevanceGate(terms, hits, { ...DEFAULT_GATE, minCoverage: 0.5, consider: 2 }).answerable).toBe(false);
    expect(relevanceGate(terms, hits, { ...DEFAULT_GATE, minCoverage: 0.5, consider: 3 }).answerable).toBe(true);
  });
});

describe('informativeWeight', () => {
  it('is the IDF of a specific term once the counts are known', () => {
    const terms = queryTerms('refund window policy');
    const [refund, window] = terms;
    const stats = { documentFrequency: { [refund.stem]: 3, [window.stem]: 30, polici: 3 }, chunkCount: 100 };
    expect(informativeWeights(terms, stats).slice(0, 2)).toEqual([idf(3, 100), idf(30, 100)]);
    expect(informativeWeight(refund, stats, terms)).toBeCloseTo(idf(3, 100));
  });

  it('gives a generic word GENERIC_WEIGHT times the mean of the specific ones, rare or not', () => {
    const terms = queryTerms('refund window policy');
    const mean = (idf(3, 100) + idf(30, 100)) / 2;
    for (const policyCount of [0, 3, 90]) {
      const stats = { documentFrequency: { refund: 3, window: 30, polici: policyCount }, chunkCount: 100 };
      expect(informativeWeights(terms, stats)[2]).toBeCloseTo(GENERIC_WEIGHT * mean);
    }
  });

  it('caps a specific word no chunk holds at UNSEEN_WEIGHT times the rarest word the project has', () => {
    const terms = queryTerms('refund crypto');
    const stats = { documentFrequency: { refund: 2, crypto: 0 }, chunkCount: 4 };
    expect(informativeWeights(terms, stats)[1]).toBeCloseTo(UNSEEN_WEIGHT * idf(2, 4));
    expect(informativeWeights(terms, stats)[1]).toBeLessThan(idf(0, 4));
    // no word of the question is known: the raw IDF
    expect(informativeWeights(queryTerms('crypto'), { documentFrequency: { crypto: 0 }, chunkCount: 4 })).toEqual([
      idf(0, 4),
    ]);
  });

  it('weighs a rare word more than a common one, and an unseen one most', () => {
    const [rare, common, unseen] = queryTerms('thrombosis patients zyxoflux');
    const stats = { documentFrequency: { [rare.stem]: 2, [common.stem]: 400, [unseen.stem]: 0 }, chunkCount: 1000 };
    expect(informativeWeight(rare, stats)).toBeGreaterThan(informativeWeight(common, stats));
    expect(informativeWeight(unseen, stats)).toBeGreaterThan(informativeWeight(rare, stats));
  });

  it('falls back to termWeight without a chunk count or a count for the term', () => {
    const [refund] = queryTerms('refund');
    expect(informativeWeight(refund)).toBe(1);
    expect(informativeWeight(refund, { documentFrequency: { [refund.stem]: 0 } })).toBe(UNSEEN_WEIGHT);
    expect(informativeWeight(refund, { documentFrequency: {}, chunkCount: 10 })).toBe(1);
  });
});

describe('phraseAgreement', () => {
  it("is the share of the question's adjacent word pairs found side by side in the text", () => {
    // pairs: vitamin–supplement, supplement–reduce, reduce–fracture
    const q = 'Do vitamin supplements reduce fractures?';
    expect(phraseAgreement(q, 'Vitamin supplements reduced fractures by a third.')).toBeCloseTo(1);
    expect(phraseAgreement(q, 'Vitamin supplements were cheap; fractures fell.')).toBeCloseTo(1 / 3);
    expect(phraseAgreement(q, 'Fractures, supplements, vitamin: a reduced list.')).toBe(0);
  });

  it('looks through stopwords, so "risk of stroke" matches "stroke risk" only in order', () => {
    expect(phraseAgreement('risk of stroke', 'The risk of a stroke doubled.')).toBe(1);
    expect(phraseAgreement('risk of stroke', 'Stroke risk doubled.')).toBe(0);
  });

  it('is 0 for a question with fewer than two content words', () => {
    expect(phraseAgreement('refunds?', 'Refunds are quick.')).toBe(0);
  });
});

describe('sentenceCoverage', () => {
  const terms = queryTerms('aspirin stroke risk');

  it('is the best share of the question held by one sentence', () => {
    expect(sentenceCoverage(terms, hit('Aspirin lowers stroke risk. It is cheap.'))).toBeCloseTo(1);
    // the same words, one per sentence
    expect(sentenceCoverage(terms, hit('Aspirin is cheap. A stroke is serious. Risk varies.'))).toBeCloseTo(1 / 3);
  });

  it('counts the title as a sentence of its own', () => {
    expect(sentenceCoverage(terms, hit('It was tested.', { title: 'Aspirin and stroke risk' }))).toBeCloseTo(1);
  });

  it('weights terms by IDF when the counts are known', () => {
    const stats = { documentFrequency: { aspirin: 1, stroke: 50, risk: 500 }, chunkCount: 1000 };
    const rareOnly = sentenceCoverage(terms, hit('Aspirin is cheap.'), stats);
    const commonOnly = sentenceCoverage(terms, hit('Risk varies.'), stats);
    expect(rareOnly).toBeGreaterThan(0.5);
    expect(commonOnly).toBeLessThan(0.15);
  });
});

describe('scoreMargin', () => {
  it('is 1 − second/first, whatever the scale of the scores', () => {
    expect(scoreMargin([{ score: 10 }, { score: 4 }])).toBeCloseTo(0.6);
    expect(scoreMargin([{ score: 0.1 }, { score: 0.04 }])).toBeCloseTo(0.6);
    expect(scoreMargin([{ score: 8 }, { score: 8 }, { score: 1 }])).toBe(0);
  });

  it('compares the first hit with the best hit of another document', () => {
    const hits = [
      { score: 10, document_id: 'doc_a' },
      { score: 9, document_id: 'doc_a' },
      { score: 2, document_id: 'doc_b' },
    ];
    expect(scoreMargin(hits)).toBeCloseTo(0.8);
    expect(scoreMargin(hits.slice(0, 2))).toBe(1); // no other document: no rival
  });

  it('is 1 for a lone hit, 0 without hits or with scores that cannot be compared', () => {
    expect(scoreMargin([{ score: 3 }])).toBe(1);
    expect(scoreMargin([])).toBe(0);
    expect(scoreMargin([{ score: 0 }, { score: 0 }])).toBe(0);
    expect(scoreMargin([{ score: 1 }, { score: 2 }])).toBe(0);
    expect(scoreMargin([{ score: -1 }, { score: -2 }])).toBe(0);
  });
});

describe('passageEvidence', () => {
  it('is the weighted mean of the features', () => {
    const q = 'aspirin stroke risk';
    const e = passageEvidence(q, queryTerms(q), hit('Aspirin lowers stroke risk.'), {}, 0.5);
    expect(e.weightedCoverage).toBeCloseTo(1);
    expect(e.sentence).toBeCloseTo(1);
    expect(e.phrase).toBeCloseTo(0.5); // stroke–risk, not aspirin–stroke
    const w = DEFAULT_WEIGHTS;
    const sum = w.coverage + w.sentence + w.phrase + w.margin;
    expect(e.evidence).toBeCloseTo((w.coverage + w.sentence + w.phrase * 0.5 + w.margin * 0.5) / sum);
  });

  it('is 0 for a passage lacking the identifier the question names', () => {
    const q = 'status of order A1234';
    const e = passageEvidence(q, queryTerms(q), hit('The status of order B9876 is shipped.'), {}, 1);
    expect(e).toMatchObject({ coverage: 0, weightedCoverage: 0, sentence: 0, phrase: 0, margin: 0, evidence: 0 });
  });
});

describe('relevanceGate with an evidence threshold', () => {
  const q = 'Does aspirin lower the risk of stroke?';
  const terms = queryTerms(q);
  const opts = { ...DEFAULT_GATE, minEvidence: 0.6 };

  it('accepts the words together in one sentence, refuses them scattered over a passage', () => {
    const together = hit('Aspirin lowered the risk of stroke by a fifth.', { score: 9 });
    const scattered = hit('Aspirin is cheap. Doctors lower doses. Risk varies. A stroke is serious.', { score: 9 });
    const other = hit('Unrelated passage on stroke units.', { score: 8 });
    const a = relevanceGate(terms, [together, other], opts, undefined, { question: q });
    const b = relevanceGate(terms, [scattered, other], opts, undefined, { question: q });
    expect(a.answerable).toBe(true);
    expect(b.answerable).toBe(false);
    expect(b.coverage).toBeCloseTo(1); // every word is there: coverage alone would have answered
    expect(b.why).toMatch(/evidence score is 0\.\d\d, under 0\.6/);
    expect(b.passages).toEqual([]);
  });

  it('decides the same when every score is multiplied by a constant', () => {
    for (const k of [1, 0.001, 1000]) {
      const hits = [
        hit('Aspirin lowers stroke risk in some trials.', { score: 5 * k }),
        hit('Aspirin lowers fever.', { score: 4 * k }),
      ];
      const d = relevanceGate(terms, hits, { ...DEFAULT_GATE, minEvidence: 0.5 }, undefined, { question: q });
      expect(d.evidence).toBeCloseTo(
        relevanceGate(
          terms,
          hits.map((h) => ({ ...h, score: h.score / k })),
          DEFAULT_GATE,
          undefined,
          { question: q },
        ).evidence,
      );
    }
  });

  it('refuses an off-topic question whose words each appear in a different passage', () => {
    const question = 'Who won the 1998 football world cup?';
    const t = queryTerms(question);
    const df = Object.fromEntries(t.map((x) => [x.stem, 40]));
    const hits = [
      hit('The world population grew.', { score: 4 }),
      hit('A cup of coffee a day.', { score: 3.9 }),
      hit('Patients won back mobility.', { score: 3.8 }),
      hit('Football injuries in 1998 were counted.', { score: 3.7 }),
    ];
    const d = relevanceGate(t, hits, DEFAULT_GATE, df, { question, chunkCount: 5000 });
    expect(d.answerable).toBe(false);
    const onTopic = hit('France won the 1998 football World Cup final.', { score: 9 });
    expect(relevanceGate(t, [onTopic, ...hits], DEFAULT_GATE, df, { question, chunkCount: 5000 }).answerable).toBe(
      true,
    );
  });

  it('uses the terms as the question when no question text is given', () => {
    const d = relevanceGate(terms, [hit('Aspirin lower risk stroke.')], opts);
    expect(d.answerable).toBe(true);
    expect(d.evidence).toBeGreaterThan(0.6);
  });
});

describe('the gate for questions', () => {
  const question = (q: string, df: Record<string, number>, hits: SearchHit[]) =>
    relevanceGate(queryTerms(q), hits, QUESTION_GATE, df, { question: q, chunkCount: 100, paraphrase: true });

  it('knows common English words from names', () => {
    expect(isCommonStem('window')).toBe(true);
    expect(isCommonStem(stem('mornings'))).toBe(true);
    expect(isCommonStem('tmux')).toBe(false);
    expect(isCommonStem('partiql')).toBe(false);
  });

  it('lets a paraphrase through: a common word the project lacks weighs as a paraphrase, not as the subject', () => {
    const hits = [hit('Refunds are accepted within 45 days of purchase.', { title: 'Refund policy' })];
    const decision = question('How long is the refund window?', { long: 0, refund: 3, window: 0 }, hits);
    expect(decision.answerable).toBe(true);
  });

  it('names the rare words of a question that no chunk holds, for the generator to weigh', () => {
    const terms = queryTerms("What's tmux's default prefix key in the window?");
    expect(unknownNames(terms, { tmux: 0, default: 20, prefix: 5, kei: 30, window: 0 })).toEqual(['tmux']);
    expect(unknownNames(terms, { tmux: 2, default: 20, prefix: 5, kei: 30, window: 0 })).toEqual([]);
  });

  it('refuses a question about a version no passage found mentions', () => {
    const hits = [hit('xsltproc applies XSLT 1.0 stylesheets to XML documents.')];
    const df = { xsltproc: 4, support: 10, xslt: 6, '2': 3, '0': 8, '3': 5, stylesheet: 4 };
    expect(question('Does xsltproc support XSLT 2.0 or 3.0 stylesheets?', df, hits).answerable).toBe(false);
    expect(question('Does xsltproc support XSLT 1.0 stylesheets?', df, hits).answerable).toBe(true);
  });

  it('leaves claims to the evidence gate: no paraphrase discount, no name check', () => {
    const hits = [hit('The default key binding prefixes every key with the namespace.')];
    const terms = queryTerms('tmux prefixes every key with the namespace');
    const claim = relevanceGate(
      terms,
      hits,
      QUESTION_GATE,
      { tmux: 0, prefix: 5, kei: 30, namespac: 2 },
      { chunkCount: 100 },
    );
    expect(claim.why).not.toContain('never mention');
  });
});

describe('scoreMargin with copies', () => {
  it('does not count a copy of the first passage under another title as its rival', () => {
    const text = 'Refunds are accepted within 45 days of purchase.';
    const hits = [
      { score: 10, document_id: 'doc_a', text },
      { score: 9.9, document_id: 'doc_b', text },
      { score: 5, document_id: 'doc_c', text: 'We ship every order within two business days.' },
    ];
    expect(scoreMargin(hits)).toBeCloseTo(0.5, 5);
    expect(scoreMargin(hits.map(({ text: _t, ...h }) => h))).toBeCloseTo(0.01, 5);
  });

  it('tells a copy from a passage that merely shares words', () => {
    expect(sameText('Refunds are accepted within 45 days.', 'Refunds are accepted within 45 days!')).toBe(true);
    expect(sameText('Refunds are accepted within 45 days.', 'Refunds are accepted within 30 days.')).toBe(false);
  });
});
