import { unitFeatures } from '../../lambdas/core/answer-features';
import { answerUnits } from '../../lambdas/core/answer-units';
import { composeAnswer } from '../../lambdas/core/compose';
import { analyzeQuestion } from '../../lambdas/core/question';
import { informativeWeights } from '../../lambdas/core/term-weights';
import { queryTerms } from '../../lambdas/core/text';
import type { Passage } from '../../lambdas/ports';

/** The question's term weights as the service gives them to the generator. */
function weightsOf(question: string): Record<string, number> {
  const terms = queryTerms(question);
  const weights = informativeWeights(terms, { paraphrase: true });
  return Object.fromEntries(terms.map((t, i) => [t.stem, weights[i]]));
}

const page = (text: string, title = 'frobcut.1', section: string | null = 'OPTIONS'): Passage => ({
  index: 1,
  text,
  title,
  section,
});

/** The features of every unit of one passage, for one question. */
function features(question: string, passage: Passage) {
  const q = analyzeQuestion(question);
  const weights = weightsOf(question);
  return answerUnits(passage.text).map((u) => ({ text: u.text, f: unitFeatures(u, passage, 0, q, weights) }));
}

// a man page's option list, written for these tests
const OPTIONS = page(
  [
    '-b, --bytes=LIST',
    'select only these bytes',
    '',
    '-d, --delim=DELIM',
    'use DELIM instead of a comma as the separator',
    '',
    '--dir=DIR',
    'write the pieces under DIR',
  ].join('\n'),
);

describe('nameMissing: the question writes out a code name the unit lacks', () => {
  it('marks every entry but the one of the option asked about', () => {
    const f = features("Which separator does frobcut use if I don't give it -d?", OPTIONS);
    expect(f.map((u) => [u.text.split(' ')[0], u.f.nameMissing])).toEqual([
      ['-b,', 1],
      ['-d,', 0],
      ['--dir=DIR', 1],
    ]);
  });

  it('counts a name held by the section as held: the reference entry of a call', () => {
    const call = page(
      'Starts a timer that can be used to compute the duration of an operation.',
      'timers',
      'timer.start([label])',
    );
    expect(features('What does timer.start() do with its label?', call)[0].f.nameMissing).toBe(0);
    const other = page(
      'Starts a timer that can be used to compute the duration of an operation.',
      'timers',
      'timer.stop()',
    );
    expect(features('What does timer.start() do with its label?', other)[0].f.nameMissing).toBe(1);
  });

  it('is 0 for every unit when the question names no code', () => {
    const f = features('Which separator does frobcut use by default?', OPTIONS);
    expect(f.every((u) => u.f.nameMissing === 0)).toBe(true);
  });
});

describe('gap: the heaviest question term a unit and its surroundings lack', () => {
  it('is the share of that term, and 0 when the unit holds every term', () => {
    const question = 'How do I make frobd use all the CPU cores when compressing?';
    const prose = page(
      [
        'To make frobd use every CPU core when compressing, pass --threads=0.',
        '',
        'frobd checks every block it compresses.',
      ].join('\n'),
      'frobd-manual',
      'Performance',
    );
    const [all, checks] = features(question, prose);
    expect(all.f.gap).toBe(0);
    const weights = weightsOf(question);
    const total = Object.values(weights).reduce((a, b) => a + b, 0);
    // the second sentence lacks "cpu" and "core" (among others): its gap is the heaviest missing term
    const missing = Object.keys(weights).filter((t) => !['frobd', 'compress'].includes(t));
    expect(checks.f.gap).toBeCloseTo(Math.max(...missing.map((t) => weights[t])) / total, 6);
    expect(checks.f.gap).toBeGreaterThan(0);
  });
});

describe('lead: what a unit is about, read from its first words', () => {
  it('is higher for the unit whose subject is the thing asked about than for one that names it in passing', () => {
    const question = 'How often does the frob scheduler rotate its journal?';
    const prose = page(
      'The frob scheduler rotates its journal every 6 hours. Every 6 hours the cleaner also runs, after the scheduler has rotated the journal.',
      'frob-scheduler',
      null,
    );
    const [first, second] = features(question, prose);
    expect(first.f.lead).toBeGreaterThan(second.f.lead);
    expect(second.f.lead).toBe(0);
  });
});

describe('the answer to a question naming code', () => {
  it('comes from the entry of the call asked about, not from one that shares more of its words', () => {
    const question = "What label does timer.start() use if I don't pass one?";
    // another library's option, with the question's words but not the call
    const progress: Passage = {
      index: 1,
      text: "label <string> Default: 'elapsed'. The label a progress timer prints when it starts.",
      title: 'frob-progress-README',
      section: 'Options',
    };
    const timers: Passage = {
      index: 2,
      text: "label <string> Default: 'default'.",
      title: 'frob-timers',
      section: 'timer.start([label])',
    };
    const answer = composeAnswer({ question, passages: [progress, timers], termWeights: weightsOf(question) });
    expect(answer).toBe("label <string> Default: 'default' [2].");
  });
});
