/**
 * Learns the extractive answerer's unit weights (lambdas/core/answer-weights.ts) on the docs-qa
 * dev split, through the real answer path: a throwaway local server holds the three customers'
 * documents (ingested through the API, as `oprag eval` does), every dev question is asked by chat,
 * and what the generator was given is recorded. A unit is a right answer when it holds the
 * question's expected fact (its regex) and comes from the expected document.
 *
 * The model is a conditional logit over the units of one question (the softmax of their scores
 * should put its mass on the right ones), fitted by gradient descent with an L2 penalty; 5-fold
 * cross-validation over the questions reports how often the top unit is right on questions it was
 * not fitted on. The answer threshold is then the lowest best-unit score that keeps at least 93 %
 * of the unanswerable dev questions refused (`--refuse`), a margin for the 90 % asked of test (chosen on the leave-one-customer-out figure).
 *
 * The figure that says how the answerer carries to documentation it has not seen is the
 * leave-one-customer-out one: weights and threshold learned on two customers' dev questions, the
 * third customer's questions then answered by the real answer path (composeAnswer) with them, and
 * scored as `oprag eval` scores them (the regex in the answer, the expected document cited; the
 * unanswerable ones refused). It is printed beside the in-sample figure (learned and scored on all
 * of dev), which flatters the rules and weights fitted to dev.
 *
 *   npx tsx scripts/train-answer.ts [--dataset ../shared/eval-data/docs-qa] [--data-dir <dir>]
 *       [--inputs <file.json>] [--write]
 *
 * `--data-dir` reuses the projects an earlier run (or `oprag eval --data-dir`) ingested there;
 * `--inputs` keeps what the generator was given in a file and reads it back on the next run, which
 * is enough while only the answer path (not search, the gate or ingestion) changes.
 *
 * Never run on the test split: it is measured once, with the weights this writes.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExtractiveGenerator } from '../lambdas/adapters/local/extractive-generator';
import { runDocsQaEval, titleOf } from '../lambdas/client/eval-docs-qa';
import { FEATURES, type FeatureName } from '../lambdas/core/answer-features';
import { ANSWER_WEIGHTS } from '../lambdas/core/answer-weights';
import { checkCitations } from '../lambdas/core/citations';
import { answerCandidates, composeAnswer, DEFAULT_ANSWER } from '../lambdas/core/compose';
import { isQuestion } from '../lambdas/core/question';
import type { GeneratorInput } from '../lambdas/ports';
import { type Asked, dot, fitWeights, thresholdFor, topRight } from './answer-fit';
import { flag, option } from './args';

const dataset = resolve(option('dataset') ?? join(__dirname, '../../shared/eval-data/docs-qa'));
const qa = JSON.parse(readFileSync(join(dataset, 'qa.json'), 'utf8')) as {
  customers: Record<string, { answerable: [string, string, string, string][]; near_miss: [string, string][] }>;
  off_topic: [string, string][];
};
const customers = Object.keys(qa.customers);
/** the share of unanswerable dev questions the threshold keeps refused */
const refuse = Number(option('refuse') ?? 0.93);

/** question → the customers' expected regex and document, dev answerable only */
const expected = new Map<string, { regex: RegExp; title: string; customer: string }>();
for (const [customer, c] of Object.entries(qa.customers))
  for (const [q, regex, title, split] of c.answerable)
    if (split === 'dev') expected.set(q, { regex: new RegExp(regex, 'i'), title, customer });

const nearMiss = new Map<string, string>();
for (const [customer, c] of Object.entries(qa.customers))
  for (const [q, split] of c.near_miss) if (split === 'dev') nearMiss.set(q, customer);
const offTopic = new Set(qa.off_topic.filter(([, split]) => split === 'dev').map(([q]) => q));

/** Unanswerable dev questions asked of each customer: its near-miss ones, the off-topic ones, the others' answerable ones. */
const unanswerableOf = (customer: string) =>
  [...nearMiss.values()].filter((c) => c === customer).length +
  offTopic.size +
  [...expected.values()].filter((e) => e.customer !== customer).length;

/** document title → its customer (titles are the file names, unique across the set) */
const customerOfTitle = new Map<string, string>();
for (const customer of Object.keys(qa.customers))
  for (const file of readdirSync(join(dataset, 'corpus', customer))) customerOfTitle.set(titleOf(file), customer);

async function record(): Promise<GeneratorInput[]> {
  const cache = option('inputs');
  if (cache && existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8')) as GeneratorInput[];
  const inputs: GeneratorInput[] = [];
  const generate = ExtractiveGenerator.prototype.generate;
  ExtractiveGenerator.prototype.generate = async function (input: GeneratorInput) {
    inputs.push(input);
    return generate.call(this, input);
  };
  await runDocsQaEval({
    dataset,
    split: 'dev',
    dataDir: option('data-dir'),
    log: (l) => process.stderr.write(`${l}\n`),
  });
  ExtractiveGenerator.prototype.generate = generate;
  const questions = inputs.filter((i) => isQuestion(i.question));
  if (cache) writeFileSync(cache, JSON.stringify(questions));
  return questions;
}

function label(input: GeneratorInput): Asked {
  const want = expected.get(input.question);
  // the project asked is the customer whose documents the passages are
  const customer = customerOfTitle.get(input.passages[0]?.title ?? '') ?? '';
  const own = want !== undefined && customer === want.customer;
  const kind: Asked['kind'] = own
    ? 'answerable'
    : nearMiss.get(input.question) === customer
      ? 'near_miss'
      : offTopic.has(input.question)
        ? 'off_topic'
        : 'other_customer';
  const units = answerCandidates(input).map((c) => ({
    f: c.features,
    coverage: c.coverage,
    right: own && c.passage.title === want?.title && (want?.regex.test(c.unit.text) ?? false),
  }));
  return { input, units, answerable: own, vetoed: (input.unknownNames?.length ?? 0) > 0, customer, kind };
}

interface Scored {
  right: number;
  answerable: number;
  refused: Record<Exclude<Asked['kind'], 'answerable'>, number>;
  unanswerable: number;
}

/**
 * The customers' questions answered by the real answer path with these weights and threshold, and
 * scored as `oprag eval` scores them; questions the gate stopped before the answerer are wrong
 * (answerable) or refused (unanswerable).
 */
function answerPath(w: Record<FeatureName, number>, minScore: number, asked: Asked[], of: string[]): Scored {
  const out: Scored = {
    right: 0,
    answerable: [...expected.values()].filter((e) => of.includes(e.customer)).length,
    refused: {
      near_miss: [...nearMiss.values()].filter((c) => of.includes(c)).length,
      off_topic: offTopic.size * of.length,
      other_customer: of.reduce((n, c) => n + [...expected.values()].filter((e) => e.customer !== c).length, 0),
    },
    unanswerable: of.reduce((n, c) => n + unanswerableOf(c), 0),
  };
  for (const a of asked) {
    if (!of.includes(a.customer)) continue;
    // the answer as the service sends it: markers checked against the passages, renumbered
    const checked = checkCitations(
      composeAnswer(a.input, { ...DEFAULT_ANSWER, minScore, weights: w }),
      a.input.passages,
    );
    const answer = checked.used.length > 0 ? checked.answer : '';
    if (a.kind === 'answerable') {
      const want = expected.get(a.input.question);
      if (!want) continue;
      const cited = checked.used.map((n) => a.input.passages.find((p) => p.index === n)?.title);
      if (answer && want.regex.test(answer) && cited.includes(want.title)) out.right++;
    } else if (answer) out.refused[a.kind]--;
  }
  return out;
}

const sumRefused = (s: Scored) => s.refused.near_miss + s.refused.off_topic + s.refused.other_customer;
const show = (s: Scored) =>
  `answered right ${s.right}/${s.answerable}, refused ${sumRefused(s)}/${s.unanswerable} (near-miss ${s.refused.near_miss}, off-topic ${s.refused.off_topic}, other customers' ${s.refused.other_customer})`;

async function main() {
  const asked = (await record()).map(label);
  const answerable = asked.filter((a) => a.answerable);
  const reachable = answerable.filter((a) => a.units.some((u) => u.right)).length;
  const rate = (w: Record<FeatureName, number>, set: Asked[]) => set.filter((a) => topRight(w, a)).length;
  process.stdout.write(
    `gate recall: ${answerable.length} of ${expected.size} answerable dev questions asked of their customer pass the question gate (${((answerable.length / expected.size) * 100).toFixed(1)} %), what a generator that declines by itself (a language model) is given; ${reachable} have a right unit among the passages\n`,
  );
  const passed = new Set(answerable.map((a) => a.input.question));
  for (const q of expected.keys()) if (!passed.has(q)) process.stdout.write(`  stopped by the gate: ${q}\n`);
  process.stdout.write(`current weights: top unit right for ${rate(ANSWER_WEIGHTS, answerable)}\n`);
  process.stdout.write(
    `current weights and threshold, answer path: ${show(answerPath(ANSWER_WEIGHTS, DEFAULT_ANSWER.minScore, asked, customers))}\n`,
  );
  // 5-fold cross-validation over the answerable questions
  let heldOut = 0;
  for (let k = 0; k < 5; k++) {
    const test = answerable.filter((_, i) => i % 5 === k);
    const w = fitWeights(answerable.filter((_, i) => i % 5 !== k));
    heldOut += rate(w, test);
  }
  process.stdout.write(`learned weights, 5-fold cross-validated: top unit right for ${heldOut}\n`);

  // one customer held out at a time: weights and threshold learned on the other two, the held-out
  // customer's questions answered with them — how the answerer carries to documentation it never saw
  const loco: Scored = {
    right: 0,
    answerable: 0,
    refused: { near_miss: 0, off_topic: 0, other_customer: 0 },
    unanswerable: 0,
  };
  let unseenTop = 0;
  for (const c of customers) {
    const others = customers.filter((o) => o !== c);
    const train = asked.filter((a) => a.customer !== c);
    const w = fitWeights(train.filter((a) => a.answerable));
    const threshold = thresholdFor(
      w,
      train,
      others.reduce((n, o) => n + unanswerableOf(o), 0),
      refuse,
    );
    const held = answerable.filter((a) => a.customer === c);
    unseenTop += rate(w, held);
    const s = answerPath(w, threshold, asked, [c]);
    loco.right += s.right;
    loco.answerable += s.answerable;
    loco.unanswerable += s.unanswerable;
    for (const k of Object.keys(s.refused) as (keyof Scored['refused'])[]) loco.refused[k] += s.refused[k];
    process.stdout.write(
      `  ${c} held out (threshold ${threshold.toFixed(3)}): ${show(s)}; top unit right for ${rate(w, held)} of ${held.length}\n`,
    );
  }
  process.stdout.write(`leave-one-customer-out: ${show(loco)}; top unit right for ${unseenTop}\n`);

  const w = fitWeights(answerable);
  const threshold = thresholdFor(
    w,
    asked,
    customers.reduce((n, c) => n + unanswerableOf(c), 0),
    refuse,
  );
  process.stdout.write(
    `in-sample (learned and scored on all of dev): ${show(answerPath(w, threshold, asked, customers))}; top unit right for ${rate(w, answerable)}\n`,
  );
  for (const k of [1, 2, 3, 5]) {
    const hit = answerable.filter((a) => {
      const sorted = [...a.units].sort((x, y) => dot(w, y.f) - dot(w, x.f));
      return sorted.slice(0, k).some((u) => u.right);
    }).length;
    process.stdout.write(`  a right unit among the top ${k}: ${hit}\n`);
  }
  process.stdout.write(`threshold ${threshold.toFixed(3)}\n`);
  process.stdout.write(`${JSON.stringify(Object.fromEntries(FEATURES.map((n) => [n, Number(w[n].toFixed(3))])))}\n`);
  if (flag('write')) {
    const lines = FEATURES.map((n) => `  ${n}: ${Number(w[n].toFixed(3))},`).join('\n');
    writeFileSync(
      join(__dirname, '../lambdas/core/answer-weights.ts'),
      `// Written by scripts/train-answer.ts from the docs-qa dev split: do not edit by hand.
import type { FeatureName } from './answer-features';

/** How much each feature of a unit counts (see answer-features.ts). */
export const ANSWER_WEIGHTS: Record<FeatureName, number> = {
${lines}
};

/** The score the best unit must reach for the extractive answerer to answer at all. */
export const ANSWER_MIN_SCORE = ${Number(threshold.toFixed(3))};
`,
    );
    process.stdout.write('wrote lambdas/core/answer-weights.ts\n');
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
