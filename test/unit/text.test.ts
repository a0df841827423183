import {
  idf,
  isCodeLike,
  queryTerms,
  STOPWORDS,
  splitSentences,
  stem,
  stemSet,
  tokenize,
} from '../../lambdas/core/text';

describe('tokenize', () => {
  it('lower-cases and splits on anything that is not a letter or a digit', () => {
    expect(tokenize('Refunds: within 30-days, (really)!')).toEqual(['refunds', 'within', '30', 'days', 'really']);
  });

  it('keeps non-ASCII letters and normalizes full-width characters', () => {
    expect(tokenize('Café Größe ＡＢＣ１２')).toEqual(['café', 'größe', 'abc12']);
  });

  it('drops the part after an apostrophe, straight or curly', () => {
    expect(tokenize("The customer's order")).toEqual(['the', 'customer', 'order']);
    expect(tokenize('Ada’s plan')).toEqual(['ada', 'plan']);
  });

  it('returns nothing for text without words', () => {
    expect(tokenize('  --- !!! ')).toEqual([]);
  });
});

describe('stem', () => {
  it('stems words and leaves numbers alone', () => {
    expect(stem('refunds')).toBe(stem('refund'));
    expect(stem('refunded')).toBe(stem('refund'));
    expect(stem('2024')).toBe('2024');
  });
});

describe('queryTerms', () => {
  it('drops stopwords and keeps content words in order', () => {
    expect(queryTerms('What is the refund window for my order?').map((t) => t.token)).toEqual([
      'refund',
      'window',
      'order',
    ]);
  });

  it('drops question filler such as "please tell me"', () => {
    expect(queryTerms('Please tell me about invoices').map((t) => t.token)).toEqual(['invoices']);
  });

  it('drops one-character tokens', () => {
    expect(queryTerms('x y z invoices').map((t) => t.token)).toEqual(['invoices']);
  });

  it('deduplicates by stem, keeping the first form', () => {
    const terms = queryTerms('Refunds: how are refunded orders refunding? Order status.');
    expect(terms).toEqual([
      { token: 'refunds', stem: stem('refund') },
      { token: 'orders', stem: stem('order') },
      { token: 'status', stem: stem('status') },
    ]);
  });

  it('returns no terms for a question made only of stopwords', () => {
    expect(queryTerms('What is it and how do you do it?')).toEqual([]);
  });

  it('does not turn negative contractions into content terms', () => {
    // tokenize cuts "doesn't" to "doesn"; a contraction is no more a content word than "does"
    expect(queryTerms("Why doesn't the export work?").map((t) => t.token)).toEqual(['export', 'work']);
    expect(queryTerms("I can't and won't log in, it isn't working").map((t) => t.token)).toEqual(['log', 'working']);
  });

  it('lists question filler as stopwords, never content words', () => {
    for (const word of ['the', 'what', 'please', 'explain']) expect(STOPWORDS.has(word)).toBe(true);
    expect(STOPWORDS.has('refund')).toBe(false);
  });
});

describe('stemSet', () => {
  it('holds the stems of the content words only', () => {
    const set = stemSet('The refunds were refunded within 30 days.');
    expect(set.has(stem('refund'))).toBe(true);
    expect(set.has(stem('days'))).toBe(true);
    expect(set.has('30')).toBe(true);
    expect(set.has('the')).toBe(false);
    expect(set.has('within')).toBe(true);
  });
});

describe('isCodeLike', () => {
  it('is true for tokens that mix letters and digits and are at least 4 long', () => {
    for (const t of ['a1234', 'sku99', 'covid19', '9x9x']) expect(isCodeLike(t)).toBe(true);
  });

  it('is false for words, numbers and short mixes', () => {
    for (const t of ['refund', '2024', 'a1', 'v2x', '']) expect(isCodeLike(t)).toBe(false);
  });
});

describe('splitSentences', () => {
  it('splits on sentence-ending punctuation followed by a capital or a digit', () => {
    expect(splitSentences('Refunds take 5 days. Shipping is free! Is it? 2 more. "Quoted" too.')).toEqual([
      'Refunds take 5 days.',
      'Shipping is free!',
      'Is it?',
      '2 more.',
      '"Quoted" too.',
    ]);
  });

  it('does not split after common abbreviations', () => {
    expect(splitSentences('Use a runner, e.g. Jest for tests. Dr. Smith approves. See Fig. 3 for details.')).toEqual([
      'Use a runner, e.g. Jest for tests.',
      'Dr. Smith approves.',
      'See Fig. 3 for details.',
    ]);
    expect(splitSentences('Pick one, i.e. The first. Next.')).toEqual(['Pick one, i.e. The first.', 'Next.']);
  });

  it('does not split decimals or version numbers', () => {
    expect(splitSentences('The rate is 3.5 percent. Version 2.0.1 is out.')).toEqual([
      'The rate is 3.5 percent.',
      'Version 2.0.1 is out.',
    ]);
  });

  it('does not split before a lower-case word', () => {
    expect(splitSentences('It costs approx. ten dollars. the end')).toEqual(['It costs approx. ten dollars. the end']);
  });

  it('collapses whitespace, including newlines, and ignores empty input', () => {
    expect(splitSentences('  One\n line.\n\nTwo.  ')).toEqual(['One line.', 'Two.']);
    expect(splitSentences('   ')).toEqual([]);
  });
});

describe('idf', () => {
  it('falls as a term appears in more documents', () => {
    const values = [0, 1, 2, 5, 10, 50, 99, 100].map((df) => idf(df, 100));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeLessThan(values[i - 1]);
  });

  it('rises with the collection size for the same document frequency', () => {
    expect(idf(5, 1000)).toBeGreaterThan(idf(5, 100));
  });

  it('is never negative, even for a term in every document', () => {
    expect(idf(100, 100)).toBeGreaterThan(0);
    expect(idf(1, 1)).toBeGreaterThan(0);
  });

  it('matches the BM25 formula', () => {
    expect(idf(1, 10)).toBeCloseTo(Math.log(1 + 9.5 / 1.5), 10);
  });
});

describe('stem memo', () => {
  it('gives the stem the stemmer gives, the first time and every time after', () => {
    const words = ['relational', 'refunded', 'refunds', 'ponies', 'caresses', '1998', 'running'];
    const first = words.map(stem);
    expect(words.map(stem)).toEqual(first);
    expect(first).toEqual(['relat', 'refund', 'refund', 'poni', 'caress', '1998', 'run']);
  });
});
