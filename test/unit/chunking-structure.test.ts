import { type ChunkingOptions, chunkDocument } from '../../lambdas/core/chunking';
import { markdown } from '../../lambdas/core/extract';

const OPTS: ChunkingOptions = { targetChars: 300, maxChars: 420, overlapChars: 120 };

const table = (rows: number) =>
  [
    '| Plan | Seats | Price per month | Support |',
    '| --- | --- | --- | --- |',
    ...Array.from(
      { length: rows },
      (_, i) => `| Plan ${i + 1} | ${(i + 1) * 5} seats | ${(i + 1) * 19} EUR | tier ${i % 3} |`,
    ),
  ].join('\n');
const rowText = (i: number) => `Plan ${i + 1} | ${(i + 1) * 5} seats | ${(i + 1) * 19} EUR | tier ${i % 3}`;

describe('chunking structured text', () => {
  it('cuts a long table between rows: every row lands whole in a chunk, in order', () => {
    const doc = markdown(`# Pricing\n\n## Plans\n\n${table(30)}`);

    const chunks = chunkDocument(doc, OPTS);

    expect(chunks.length).toBeGreaterThan(2);
    const rows = Array.from({ length: 30 }, (_, i) => rowText(i));
    const seen: string[] = [];
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(OPTS.maxChars);
      expect(c.section).toBe('Pricing > Plans');
      for (const line of c.text.split('\n').filter(Boolean)) {
        // each line of a chunk is one whole row (the header row included), never a piece of one
        expect([...rows, 'Plan | Seats | Price per month | Support']).toContain(line);
        if (!seen.includes(line)) seen.push(line);
      }
    }
    expect(seen.filter((l) => l.startsWith('Plan ') && l !== 'Plan | Seats | Price per month | Support')).toEqual(rows);
  });

  it('keeps a list item whole and repeats whole items as the overlap', () => {
    const items = Array.from(
      { length: 20 },
      (_, i) => `- Step ${i + 1}: open the panel, check valve ${i + 1} and note the reading.`,
    ).join('\n');
    const chunks = chunkDocument(markdown(`# Maintenance\n\n${items}`), OPTS);

    expect(chunks.length).toBeGreaterThan(2);
    const itemPattern = /^- Step (\d+): open the panel, check valve \1 and note the reading\.$/;
    for (const c of chunks) {
      for (const line of c.text.split('\n').filter(Boolean)) expect(line).toMatch(itemPattern);
    }
    for (let i = 1; i < chunks.length; i++) {
      const previous = chunks[i - 1].text.split('\n').filter(Boolean);
      const current = chunks[i].text.split('\n').filter(Boolean);
      // the overlap is whole items from the end of the previous chunk, within overlapChars
      const overlap = current.filter((l) => previous.includes(l));
      expect(overlap.length).toBeGreaterThan(0);
      expect(overlap.join('\n').length).toBeLessThanOrEqual(OPTS.overlapChars);
      expect(previous.slice(-overlap.length)).toEqual(overlap);
    }
  });

  it('keeps a table that fits in one chunk together with the paragraph before it', () => {
    const doc = markdown(`# Plans\n\nOur plans at a glance.\n\n${table(4)}`);

    const chunks = chunkDocument(doc, { targetChars: 1000, maxChars: 1400, overlapChars: 100 });

    expect(chunks).toHaveLength(1);
    expect(chunks[0].text).toContain('Our plans at a glance.');
    for (let i = 0; i < 4; i++) expect(chunks[0].text).toContain(rowText(i));
  });

  it('cuts a single row longer than a chunk between words, and nothing else', () => {
    const long = `| ${'word '.repeat(120).trim()} | end |`;
    const doc = markdown(`${table(2)}\n${long}`);

    const chunks = chunkDocument(doc, OPTS);

    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(OPTS.maxChars);
    const all = chunks.map((c) => c.text).join('\n');
    expect(all).toContain(rowText(0));
    expect(all).toContain(rowText(1));
    expect(all.match(/word/g)?.length).toBeGreaterThanOrEqual(120);
  });
});
