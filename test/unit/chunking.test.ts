import {
  type Block,
  type ChunkingOptions,
  chunkDocument,
  DEFAULT_CHUNKING,
  splitLong,
} from '../../lambdas/core/chunking';

const OPTS: ChunkingOptions = { targetChars: 200, maxChars: 300, overlapChars: 60 };

const heading = (text: string, level = 1): Block => ({ kind: 'heading', level, text });
const para = (text: string, page: number | null = null): Block => ({ kind: 'text', text, page });

/** `n` distinct sentences of about 30 characters each, tagged with `word` so they can be traced. */
const sentences = (n: number, word: string) =>
  Array.from({ length: n }, (_, i) => `Sentence ${word} number ${i} is here.`).join(' ');

/** A tiny deterministic PRNG so the stress test is reproducible. */
function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

describe('chunkDocument', () => {
  it('reads a document of headings only as its text, and drops nothing from one that has text', () => {
    expect(chunkDocument({ title: null, blocks: [heading('AIMS')] }, OPTS).map((c) => [c.section, c.text])).toEqual([
      [null, 'AIMS'],
    ]);
    const two = chunkDocument({ title: null, blocks: [heading('Release notes'), heading('Version 2', 2)] }, OPTS);
    expect(two.map((c) => c.text)).toEqual(['Release notes\n\nVersion 2']);
    expect(
      chunkDocument({ title: null, blocks: [heading('AIMS'), para('To measure.')] }, OPTS).map((c) => [
        c.section,
        c.text,
      ]),
    ).toEqual([['AIMS', 'To measure.']]);
    expect(chunkDocument({ title: null, blocks: [heading('  ')] }, OPTS)).toEqual([]);
  });

  it('gives every chunk the path of the headings above it', () => {
    const chunks = chunkDocument(
      {
        title: null,
        blocks: [
          heading('Billing', 1),
          para('Invoices go out monthly.'),
          heading('Refunds', 2),
          para('Refunds take five days.'),
          heading('Exceptions', 3),
          para('Gift cards are final.'),
          heading('Account', 1),
          para('Passwords expire yearly.'),
        ],
      },
      OPTS,
    );
    expect(chunks.map((c) => [c.section, c.text])).toEqual([
      ['Billing', 'Invoices go out monthly.'],
      ['Billing > Refunds', 'Refunds take five days.'],
      ['Billing > Refunds > Exceptions', 'Gift cards are final.'],
      ['Account', 'Passwords expire yearly.'],
    ]);
  });

  it('pops deeper headings when a shallower one starts a new section', () => {
    const chunks = chunkDocument(
      {
        title: null,
        blocks: [heading('A', 1), heading('B', 2), heading('C', 3), heading('D', 2), para('under D')],
      },
      OPTS,
    );
    expect(chunks).toHaveLength(1);
    expect(chunks[0].section).toBe('A > D');
  });

  it('leaves the section null for text before any heading', () => {
    const chunks = chunkDocument(
      { title: null, blocks: [para('Preamble text.'), heading('Later'), para('Body.')] },
      OPTS,
    );
    expect(chunks[0]).toMatchObject({ section: null, text: 'Preamble text.' });
    expect(chunks[1]).toMatchObject({ section: 'Later', text: 'Body.' });
  });

  it('numbers chunks with consecutive ordinals from 0', () => {
    const chunks = chunkDocument(
      { title: null, blocks: [heading('A'), para(sentences(20, 'a')), heading('B'), para(sentences(20, 'b'))] },
      OPTS,
    );
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.map((c) => c.ordinal)).toEqual(chunks.map((_, i) => i));
  });

  it('packs short paragraphs together until the target size is reached', () => {
    const paragraphs = Array.from({ length: 12 }, (_, i) => `Paragraph ${i} has some words in it.`); // ~35 chars
    const chunks = chunkDocument({ title: null, blocks: paragraphs.map((p) => para(p)) }, { ...OPTS, overlapChars: 0 });
    // 12 paragraphs of ~37 characters (with the separator) fill a 200-character target in 6
    expect(chunks.length).toBe(2);
    expect(chunks[0].text.split('\n\n')).toEqual(paragraphs.slice(0, 6));
    expect(chunks[0].text.length).toBeGreaterThanOrEqual(OPTS.targetChars - 40);
    // every paragraph appears exactly once, in order
    expect(chunks.flatMap((c) => c.text.split('\n\n'))).toEqual(paragraphs);
  });

  it('keeps a small document in one chunk', () => {
    const chunks = chunkDocument({ title: null, blocks: [para('One.'), para('Two.'), para('Three.')] }, OPTS);
    expect(chunks).toHaveLength(1);
    expect(chunks[0].text).toBe('One.\n\nTwo.\n\nThree.');
  });

  it('never produces a chunk longer than maxChars', () => {
    const rand = lcg(42);
    const words = ['refund', 'invoice', 'customer', 'A1234', 'shipping', 'policy', 'days', 'account', 'x'];
    const blocks: Block[] = [];
    for (let i = 0; i < 200; i++) {
      if (rand() < 0.1) {
        blocks.push(heading(`Heading ${i}`, 1 + Math.floor(rand() * 3)));
        continue;
      }
      const sentenceCount = 1 + Math.floor(rand() * 15);
      const text = Array.from({ length: sentenceCount }, () => {
        const len = 1 + Math.floor(rand() * 30);
        const s = Array.from({ length: len }, () => words[Math.floor(rand() * words.length)]).join(' ');
        return `${s[0].toUpperCase()}${s.slice(1)}.`;
      }).join(' ');
      blocks.push(para(text));
    }
    blocks.push(para('x'.repeat(1000))); // one unbreakable word
    const chunks = chunkDocument({ title: null, blocks }, OPTS);
    expect(chunks.length).toBeGreaterThan(20);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(OPTS.maxChars);
  });

  it('splits a long paragraph between sentences, not inside them', () => {
    const text = sentences(30, 'long'); // ~960 characters
    const chunks = chunkDocument({ title: null, blocks: [para(text)] }, { ...OPTS, overlapChars: 0 });
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(OPTS.maxChars);
      // each chunk starts at the beginning of a sentence and ends at the end of one
      expect(c.text).toMatch(/^Sentence long number \d+ is here\./);
      expect(c.text).toMatch(/Sentence long number \d+ is here\.$/);
    }
    // nothing lost, nothing duplicated when there is no overlap
    expect(chunks.map((c) => c.text.replace(/\n\n/g, ' ')).join(' ')).toBe(text);
  });

  it('repeats the end of a chunk at the start of the next one in the same section', () => {
    const chunks = chunkDocument({ title: null, blocks: [heading('Guide'), para(sentences(30, 'ovl'))] }, OPTS);
    expect(chunks.length).toBeGreaterThan(2);
    for (let i = 1; i < chunks.length; i++) {
      const previousLastSentence = chunks[i - 1].text.match(/Sentence ovl number \d+ is here\.$/)?.[0];
      expect(previousLastSentence).toBeDefined();
      expect(chunks[i].text.startsWith(previousLastSentence as string)).toBe(true);
      expect(chunks[i].section).toBe('Guide');
    }
  });

  it('keeps the overlap within overlapChars and made of whole sentences', () => {
    const chunks = chunkDocument({ title: null, blocks: [para(sentences(30, 'ovl'))] }, OPTS);
    for (let i = 1; i < chunks.length; i++) {
      const overlap = chunks[i].text.split('\n\n')[0];
      expect(overlap.length).toBeLessThanOrEqual(OPTS.overlapChars);
      expect(overlap).toMatch(/^(Sentence ovl number \d+ is here\. ?)+$/);
    }
  });

  it('does not carry an overlap across a heading', () => {
    const chunks = chunkDocument(
      {
        title: null,
        blocks: [heading('First'), para(sentences(10, 'first')), heading('Second'), para(sentences(3, 'second'))],
      },
      OPTS,
    );
    const second = chunks.filter((c) => c.section === 'Second');
    expect(second).toHaveLength(1);
    expect(second[0].text).not.toContain('first');
    expect(second[0].text.startsWith('Sentence second number 0')).toBe(true);
  });

  it('does not overlap into a chunk when overlapChars is 0', () => {
    const chunks = chunkDocument({ title: null, blocks: [para(sentences(30, 'z'))] }, { ...OPTS, overlapChars: 0 });
    const all = chunks.flatMap((c) => c.text.match(/number \d+/g) ?? []);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(30);
  });

  it('carries the page of the block each chunk starts with', () => {
    const chunks = chunkDocument(
      {
        title: null,
        blocks: [para(sentences(7, 'p1'), 1), para(sentences(7, 'p2'), 2), para(sentences(7, 'p3'), 3)],
      },
      { ...OPTS, overlapChars: 0 },
    );
    expect(chunks.map((c) => c.page)).toEqual([1, 2, 3]);
    expect(chunks[1].text).toContain('p2');
  });

  it('sets page null when the blocks have no page', () => {
    const chunks = chunkDocument({ title: null, blocks: [para('No page here.')] }, OPTS);
    expect(chunks[0].page).toBeNull();
  });

  it('ignores empty and whitespace-only blocks, including empty headings', () => {
    const chunks = chunkDocument(
      {
        title: null,
        blocks: [
          heading('Real'),
          para(''),
          para('   \n\t '),
          heading('   ', 2),
          para('  Content with spaces around.  '),
          para(''),
        ],
      },
      OPTS,
    );
    expect(chunks).toEqual([{ ordinal: 0, section: 'Real', page: null, text: 'Content with spaces around.' }]);
  });

  it('returns no chunks for a document without text', () => {
    expect(chunkDocument({ title: 'T', blocks: [] }, OPTS)).toEqual([]);
    expect(chunkDocument({ title: 'T', blocks: [heading(' '), para(' ')] }, OPTS)).toEqual([]);
  });

  it('uses the default options when none are given', () => {
    const text = sentences(100, 'dflt'); // ~3300 characters
    const chunks = chunkDocument({ title: null, blocks: [para(text)] });
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(text.length / DEFAULT_CHUNKING.maxChars));
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(DEFAULT_CHUNKING.maxChars);
  });
});

describe('splitLong', () => {
  it('returns short text unchanged', () => {
    expect(splitLong('Short text. Another.', 100)).toEqual(['Short text. Another.']);
  });

  it('cuts between sentences into pieces of at most max characters', () => {
    const text = sentences(10, 'x');
    const pieces = splitLong(text, 80);
    expect(pieces.length).toBeGreaterThan(3);
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(80);
      expect(p).toMatch(/^(Sentence x number \d+ is here\. ?)+$/);
    }
    expect(pieces.join(' ')).toBe(text);
  });

  it('cuts a sentence longer than max between words, and a word longer than max inside it', () => {
    const longSentence = `${'word '.repeat(40).trim()} ${'y'.repeat(50)}.`;
    const pieces = splitLong(longSentence, 30);
    for (const p of pieces) expect(p.length).toBeLessThanOrEqual(30);
    expect(pieces.join('').replace(/\s+/g, '')).toBe(longSentence.replace(/\s+/g, ''));
  });
});

describe('pages', () => {
  it('starts a new chunk on every page, so each chunk carries the page of all its text', () => {
    const blocks: Block[] = [
      { kind: 'text', text: 'Flights are booked through the portal.', page: 1 },
      { kind: 'text', text: 'Economy class for trips under six hours.', page: 1 },
      { kind: 'text', text: 'Hotel stays are capped at 180 euros per night.', page: 2 },
      { kind: 'text', text: 'Dinner allowance is 45 euros per day.', page: 3 },
    ];
    const chunks = chunkDocument({ title: null, blocks });
    expect(chunks.map((c) => [c.page, c.text])).toEqual([
      [1, 'Flights are booked through the portal.\n\nEconomy class for trips under six hours.'],
      [2, 'Hotel stays are capped at 180 euros per night.'],
      [3, 'Dinner allowance is 45 euros per day.'],
    ]);
  });
});
