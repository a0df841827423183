import { composeAnswer, recordAnswers } from '../../lambdas/core/compose';
import { informativeWeights } from '../../lambdas/core/term-weights';
import { queryTerms } from '../../lambdas/core/text';
import type { GeneratorInput, Passage } from '../../lambdas/ports';

/** What the service hands the generator: the passages, and the question's term weights. */
function input(question: string, passages: Omit<Passage, 'index'>[]): GeneratorInput {
  const terms = queryTerms(question);
  const weights = informativeWeights(terms, { paraphrase: true });
  return {
    question,
    passages: passages.map((p, i) => ({ ...p, index: i + 1 })),
    termWeights: Object.fromEntries(terms.map((t, i) => [t.stem, weights[i]])),
  };
}

const refund = [
  {
    title: 'Refund policy',
    section: 'Refunds',
    text: 'Refunds are accepted within 45 days of purchase. Items must be unused and in their original packaging.',
  },
  {
    title: 'Refund policy',
    section: 'Shipping',
    text: 'We ship every order within two business days. Shipping costs are not refunded.',
  },
];

describe('the extractive answer to a question', () => {
  it.each([
    'How long is the refund window?',
    'How many days do I have to ask for a refund?',
    'Can I still get a refund after 40 days?',
  ])('%s → the refund sentence, not the shipping one', (question) => {
    const answer = composeAnswer(input(question, refund));
    expect(answer.startsWith('Refunds are accepted within 45 days of purchase [1].')).toBe(true);
    expect(answer).not.toContain('ship');
  });

  it('a question naming a word no document holds is answered only by a unit that answers it well', () => {
    const entry = [
      {
        title: 'frobd-README',
        section: 'Options',
        text: 'Options:\n--port <port>     The port frobd listens on (default: 4567)\n--host <host>     The host to bind',
      },
    ];
    const strong = { ...input("Which port does the frobd emulator listen on if I don't pass --port?", entry) };
    expect(composeAnswer(strong)).toContain('4567');
    // the same question, told that "emulator" occurs in no document: a strong unit still answers
    expect(composeAnswer({ ...strong, unknownNames: ['emulator'] })).toContain('4567');
    // a weak match to a question about something the documents never name is declined
    const weak = input('What does the frobd dashboard show on its start page?', entry);
    expect(composeAnswer({ ...weak, unknownNames: ['dashboard'] })).toBe('');
  });

  it('a question about shipping is answered from the shipping section', () => {
    const answer = composeAnswer(input('How soon do you ship an order?', refund));
    expect(answer.startsWith('We ship every order within two business days')).toBe(true);
  });

  it("quotes an option entry's default with the entry", () => {
    const answer = composeAnswer(
      input('When I generate sealing keys with frobctl, how often does the sealing key change by default?', [
        {
          title: 'frobctl.1',
          section: 'OPTIONS',
          text: '--output=\nControls the output format.\n\n--interval=\nSpecifies the change interval for the sealing key when generating a key pair. Shorter intervals cost more CPU. Defaults to 15min.',
        },
      ]),
    );
    expect(answer).toContain('Defaults to 15min [1].');
    expect(answer).not.toContain('output format');
  });

  it('answers a FAQ with the paragraph under the question, never the question line', () => {
    const answer = composeAnswer(
      input('Why does frob complain about a missing config file?', [
        {
          title: 'frob FAQ',
          section: 'Troubleshooting',
          text: 'Why does frob complain about a missing config file?\n\nBecause it reads ~/.frobrc at start-up, and stops when the file is missing.\n\nHow do I update frob?\n\nRun the installer again.',
        },
      ]),
    );
    expect(answer).toContain('Because it reads ~/.frobrc at start-up');
    expect(answer).not.toContain('complain');
  });

  it('answers "which release" with the release a changelog entry is listed under', () => {
    const answer = composeAnswer(
      input('Which frobutils release stopped treating negative option values as huge numbers?', [
        {
          title: 'frobutils-NEWS',
          section: 'Noteworthy changes in release 3.8 (2021-08-01) [stable] > Bug fixes',
          text: 'frob and unfrob no longer treat negative option values as huge positive numbers.',
        },
      ]),
    );
    expect(answer).toMatch(/^Noteworthy changes in release 3\.8 \(2021-08-01\) \[stable\]: frob and unfrob/);
  });

  it('declines when no unit holds the kind of answer asked', () => {
    const answer = composeAnswer(
      input('How many bytes of each string does frob show by default?', [
        {
          title: 'frob.1',
          section: 'DESCRIPTION',
          text: 'frob shows strings as they are. Long strings are cut short.',
        },
      ]),
    );
    expect(answer).toBe('');
  });

  it('does not quote a code block when no code is asked for', () => {
    const answer = composeAnswer(
      input('What is the maximum size of the frob cache?', [
        {
          title: 'frob-cache',
          section: 'Options',
          text: 'var cache = new FrobCache({ max: 500, maxAge: 1000 * 60 });\ncache.set("key", "value");\n\nThe maximum size of the cache is 500 entries unless max is given.',
        },
      ]),
    );
    expect(answer).toContain('The maximum size of the cache is 500 entries');
    expect(answer).not.toContain('new FrobCache');
  });

  it('marks every quoted sentence and quotes each sentence once', () => {
    const answer = composeAnswer(
      input('How deep can the frob template stack get?', [
        {
          title: 'frob',
          section: 'Options',
          text: 'Adjust the maximum depth of the template stack before frob gives up. The default is 3000.',
        },
      ]),
    );
    expect(answer).toContain('The default is 3000 [1].');
    const sentences = answer.split(/(?<=\]\.)\s+/);
    expect(sentences.every((s) => /\[\d+\]\.$/.test(s))).toBe(true);
    expect(new Set(sentences).size).toBe(sentences.length);
  });
});

describe('"What is X?"', () => {
  it('answers with the sentence that says what X is, not one that merely names X', () => {
    const answer = composeAnswer(
      input('What is frobctl?', [
        {
          title: 'frobd.8',
          section: 'DESCRIPTION',
          text: 'The frobd daemon is controlled with frobctl and reads frob.conf.',
          ordinal: 2,
        },
        { title: 'frobctl.1', section: 'NAME', text: 'frobctl - control the frob daemon', ordinal: 0 },
      ]),
    );
    expect(answer).toBe('frobctl - control the frob daemon [2].');
  });

  it("falls back to the first sentence of prose that opens X's own document", () => {
    const answer = composeAnswer(
      input('What is zapper?', [
        { title: 'zapper-README', section: 'Usage', text: 'Call zapper() with a path.', ordinal: 3 },
        {
          title: 'zapper-README',
          section: 'zapper',
          text: 'Build Status NPM version\n\nA tiny library that zaps files in place.\n\nnpm install zapper',
          ordinal: 0,
        },
      ]),
    );
    expect(answer).toBe('A tiny library that zaps files in place [2].');
  });
});

describe('the release of a changelog entry', () => {
  it("is not taken from a manual's own version in its title", () => {
    const answer = composeAnswer(
      input('Which Frob version added the zap limits?', [
        {
          title: 'frob-reference',
          section: 'The Frob Library Release 2.5.0 > Zap limits',
          text: 'The functions in this section configure the zap limits of a parser.',
        },
      ]),
    );
    expect(answer).not.toContain('Release 2.5.0');
  });
});

describe('a value asked of a record (a CSV row, a JSON object)', () => {
  // a release table, written for these tests
  const releases = [
    {
      title: 'frobos-releases',
      section: null,
      text: 'version: 7; codename: Quokka; series: quokka; created: 2024-02-01; release: 2025-06-10\n\nversion: 8; codename: Wombat; series: wombat; created: 2025-07-03',
    },
  ];

  it('is answered from the field the question names', () => {
    const answer = composeAnswer(input("When was Frobos 7 'Quokka' released?", releases));
    expect(answer).toContain('release: 2025-06-10');
  });

  it('is declined when the record only names what the question names', () => {
    // the row of version 8 has its version and codename, and a creation date: no release
    expect(composeAnswer(input("When is Frobos 8 'Wombat' scheduled to be released?", releases))).toBe('');
  });

  it('tells a named field from a named value', () => {
    expect(recordAnswers('version: 8; codename: Wombat; created: 2025-07-03', 'When is Wombat released?', {})).toBe(
      false,
    );
    expect(
      recordAnswers('version: 8; codename: Wombat; release: 2026-01-01', 'When is Wombat released?', {
        releas: 1,
        wombat: 1,
      }),
    ).toBe(true);
    // a field named by the question whose value the question already states does not answer it
    expect(
      recordAnswers('version: 8.04; codename: Wombat; created: 2025-07-03', 'Which kernel version does 8.04 ship?', {
        version: 1,
        kernel: 1,
      }),
    ).toBe(false);
    expect(recordAnswers('Wombat was released in 2026.', 'When is Wombat released?', {})).toBe(true);
  });
});

describe('"How do I …?" asked of a program\'s documentation', () => {
  // a manual page, written for these tests
  const manual = (prose: string) => [
    {
      title: 'frobd.8',
      section: 'HISTORY',
      text: `${prose}\n\n--keep=N\nKeep the last N entries of the history.`,
    },
  ];

  it('is answered by a unit that names the option, setting or command that does it', () => {
    const answer = composeAnswer(input('How do I make frobd keep more entries in its history?', manual('')));
    expect(answer).toContain('--keep=N');
  });

  it('is declined when the unit that matches names none', () => {
    const prose = 'frobd remembers history entries in memory only, so more history entries are lost when it restarts.';
    const passages = [
      { title: 'frobd.8', section: 'DESCRIPTION', text: `${prose}\n\n--level=N\nThe compression level.` },
    ];
    expect(composeAnswer(input('How do I make frobd remember more history entries?', passages))).toBe('');
  });

  it("is not held to it in a help centre's prose", () => {
    const help = [
      {
        title: 'Returns',
        section: 'How to return an item',
        text: 'To ask for a refund, reply to your order confirmation e-mail within 45 days and tell us which items you are returning.',
      },
    ];
    expect(composeAnswer(input('How do I ask for a refund?', help))).toContain('reply to your order confirmation');
  });
});
