import { answerUnits, looksLikeCode } from '../../lambdas/core/answer-units';

describe('the units an answer may quote', () => {
  it('an option entry is one unit, term and description together', () => {
    const units = answerUnits(
      '--interval=\nSpecifies how often the sealing key changes. Defaults to 15min.\n\n--verify-key=\nThe key to verify with.',
    );
    expect(units.map((u) => [u.kind, u.text])).toEqual([
      ['entry', '--interval= Specifies how often the sealing key changes. Defaults to 15min.'],
      ['entry', '--verify-key= The key to verify with.'],
    ]);
  });

  it("a long entry is quoted by its sentences, each with the entry's term as context", () => {
    const long = `${'Frobnicates the input in place. '.repeat(12)}Defaults to 3.`;
    const units = answerUnits(`-z, --zap\n${long}`);
    expect(units.length).toBeGreaterThan(1);
    expect(units.every((u) => u.kind === 'entry' && u.context.includes('-z, --zap'))).toBe(true);
    expect(units[units.length - 1].text).toBe('Defaults to 3.');
  });

  it('a FAQ question is never quoted: it is the context of the answer under it', () => {
    const units = answerUnits(
      'Why does frob complain about a missing config file?\n\nIt reads ~/.frobrc at start-up. Create an empty one.',
    );
    expect(units.map((u) => u.text)).toEqual(['It reads ~/.frobrc at start-up.', 'Create an empty one.']);
    expect(units[0].context).toContain('Why does frob complain');
  });

  it('a sentence knows the one before it and the one after it', () => {
    const [first, second] = answerUnits('Adjust the depth of the stack. The default is 3000.');
    expect(first.next?.text).toBe('The default is 3000.');
    expect(second.context).toContain('Adjust the depth of the stack.');
  });

  it('list items are units, a wrapped item joined, a header kept as context', () => {
    const units = answerUnits(
      'Options:\n- expose: whether the message is sent to the client,\ndefaulting to false when status >= 500\n- status: the status code',
    );
    expect(units.map((u) => [u.kind, u.text])).toEqual([
      ['row', 'expose: whether the message is sent to the client, defaulting to false when status >= 500'],
      ['row', 'status: the status code'],
    ]);
    expect(units[0].context).toContain('Options:');
  });

  it("each option of a --help listing is an entry of its own, the listing's header as context", () => {
    const units = answerUnits(
      'Options:\n--help, -h        Show this help and exit\n--port <port>     The port to listen on (default: 8125)\n' +
        '--store <dir>     Where records are kept\n                  (in memory by default)',
    );
    expect(units.map((u) => [u.kind, u.text])).toEqual([
      ['entry', '--help, -h  Show this help and exit'],
      ['entry', '--port <port>  The port to listen on (default: 8125)'],
      ['entry', '--store <dir>  Where records are kept (in memory by default)'],
    ]);
    expect(units[1].context).toContain('Options:');
  });

  it('a man-page entry with one option line stays one entry, its description joined', () => {
    const units = answerUnits('-d, --delimiter=DELIM\nuse DELIM instead of TAB for field delimiter');
    expect(units.map((u) => [u.kind, u.text])).toEqual([
      ['entry', '-d, --delimiter=DELIM use DELIM instead of TAB for field delimiter'],
    ]);
  });

  it('a code block is one unit of its own kind', () => {
    const units = answerUnits('const frob = require("frob");\nfrob.zap({ depth: 3 });\n\nFrob zaps things.');
    expect(units.map((u) => u.kind)).toEqual(['code', 'sentence']);
  });

  it('tells code from prose', () => {
    expect(looksLikeCode('$ frob --zap input.txt\n$ frob --help')).toBe(true);
    expect(looksLikeCode('var x = { a: 1 };\nx.a = 2;')).toBe(true);
    expect(looksLikeCode('Frob reads its configuration from the home directory at start-up.')).toBe(false);
  });
});
