import { containsPhrase, judgeGolden } from '../../lambdas/core/golden';
import type { ChatAnswer, Citation, GoldenQuestion } from '../../lambdas/core/model';

const AT = '2025-01-01T00:00:00.000Z';

function question(fields: Partial<GoldenQuestion> = {}): GoldenQuestion {
  return {
    id: 'gq_1',
    question: 'How long is the refund window?',
    expected_answer: null,
    expected_document_ids: [],
    must_refuse: false,
    approved: true,
    created_at: AT,
    updated_at: AT,
    ...fields,
  };
}

function citation(document_id: string, index = 1): Citation {
  return {
    index,
    document_id,
    chunk_id: `chk_${index}`,
    title: null,
    url: null,
    snippet: '...',
    score: 1,
    page: null,
    section: null,
  };
}

type Judged = Pick<ChatAnswer, 'answer' | 'grounded' | 'citations' | 'refusal'>;

const answered = (answer: string, citations: Citation[] = [citation('doc_a')]): Judged => ({
  answer,
  grounded: true,
  citations,
  refusal: null,
});

const REFUSAL_MESSAGE = "I couldn't find an answer to that in this project's documents.";
const refused: Judged = {
  answer: REFUSAL_MESSAGE,
  grounded: false,
  citations: [],
  refusal: { reason: 'no_relevant_documents', message: REFUSAL_MESSAGE },
};

describe('judgeGolden', () => {
  describe('a must-refuse question', () => {
    it('passes on a refusal', () => {
      expect(judgeGolden(question({ must_refuse: true }), refused)).toEqual({ passed: true, reasons: [] });
    });

    it('fails on an answer, saying why', () => {
      const r = judgeGolden(question({ must_refuse: true }), answered('The window is 30 days [1].'));
      expect(r.passed).toBe(false);
      expect(r.reasons).toEqual(['expected a refusal, got an answer']);
    });

    it('ignores expected answers and documents', () => {
      const q = question({ must_refuse: true, expected_answer: '30 days', expected_document_ids: ['doc_a'] });
      expect(judgeGolden(q, refused).passed).toBe(true);
    });
  });

  describe('an answerable question', () => {
    it('passes a grounded answer when nothing more is expected', () => {
      expect(judgeGolden(question(), answered('The window is 30 days [1].'))).toEqual({ passed: true, reasons: [] });
    });

    it('fails a refusal', () => {
      const r = judgeGolden(question(), refused);
      expect(r).toEqual({ passed: false, reasons: ['expected a grounded answer, got a refusal'] });
    });

    it('fails an answer that is not grounded', () => {
      const r = judgeGolden(question(), { ...answered('Maybe 30 days.'), grounded: false });
      expect(r.passed).toBe(false);
      expect(r.reasons).toEqual(['expected a grounded answer, got a refusal']);
    });

    it('passes when it cites one of the expected documents', () => {
      const q = question({ expected_document_ids: ['doc_x', 'doc_a'] });
      const a = answered('The window is 30 days [1] [2].', [citation('doc_b', 1), citation('doc_a', 2)]);
      expect(judgeGolden(q, a).passed).toBe(true);
    });

    it('fails when it cites none of the expected documents', () => {
      const q = question({ expected_document_ids: ['doc_x', 'doc_y'] });
      const r = judgeGolden(q, answered('The window is 30 days [1].', [citation('doc_a')]));
      expect(r).toEqual({ passed: false, reasons: ['cites none of the expected documents'] });
    });

    it('does not check documents when none are expected', () => {
      expect(judgeGolden(question({ expected_document_ids: [] }), answered('x [1].', [])).passed).toBe(true);
    });

    it('passes when the answer contains the expected answer, ignoring case and whitespace', () => {
      const q = question({ expected_answer: '  Thirty   DAYS of\npurchase ' });
      expect(judgeGolden(q, answered('Refunds: within thirty days\n  of  Purchase [1].')).passed).toBe(true);
    });

    it('fails when the answer does not contain the expected answer', () => {
      const q = question({ expected_answer: '30 days' });
      const r = judgeGolden(q, answered('Refunds take 14 days [1].'));
      expect(r).toEqual({ passed: false, reasons: ['does not contain the expected answer'] });
    });

    it('does not check the text when no expected answer is given', () => {
      expect(judgeGolden(question({ expected_answer: null }), answered('Anything [1].')).passed).toBe(true);
    });

    it('reports every unmet expectation', () => {
      const q = question({ expected_answer: '30 days', expected_document_ids: ['doc_x'] });
      const r = judgeGolden(q, answered('Refunds take 14 days [1].', [citation('doc_a')]));
      expect(r.passed).toBe(false);
      expect(r.reasons).toEqual(['cites none of the expected documents', 'does not contain the expected answer']);
    });
  });
});

describe('containsPhrase: the expected answer on word boundaries', () => {
  it.each([
    ['the latest release [1]', 'latest', true],
    ['only non-latest releases [1]', 'latest', false],
    ['the latestversion tag', 'latest', false],
    ['Refunds within 30 DAYS\nof purchase', '30 days', true],
    ['a 30-day window', '30', true],
    ['version v20 ships', 'v2', false],
    ['costs $30 a month', '$30', true],
    ['pass -z to compress', '-z', true],
    ['anything', '   ', true],
    ['a (parenthesised) word', '(parenthesised)', true],
  ])('%j holds %j: %s', (text, expected, found) => {
    expect(containsPhrase(text, expected)).toBe(found);
  });

  it('fails a golden question whose expected word appears only inside another word', () => {
    const q = question({ expected_answer: 'latest' });
    const base = { grounded: true, citations: [citation('doc_a')], refusal: null };
    expect(judgeGolden(q, { ...base, answer: 'Install the latest release [1].' }).passed).toBe(true);
    expect(judgeGolden(q, { ...base, answer: 'Only non-latest releases are kept [1].' })).toEqual({
      passed: false,
      reasons: ['does not contain the expected answer'],
    });
  });
});
