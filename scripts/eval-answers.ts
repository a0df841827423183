/**
 * Answers and refusals through the HTTP API (see lambdas/client/eval-answers.ts):
 *
 *   npm run eval:answers -- --split dev|test [--json] [--limit N]
 *       [--min-evidence 0,0.4,0.45]   one run per gate setting (a trade-off curve), throwaway server only
 *       [--base-url URL --admin-key KEY]   against a running deployment instead of a throwaway server
 *       [--scifact DIR] [--climate DIR]   default ../shared/eval-data/{scifact,climate-fever}
 *       [--copies]   every abstract ingested twice, the copy under another title
 */
import { join, resolve } from 'node:path';
import { type AnswerEvalReport, runAnswerEval, runAnswerEvalCurve } from '../lambdas/client/eval-answers';
import { DEFAULT_GATE } from '../lambdas/core/gate';
import { option as arg, argv as args } from './args';

const data = join(__dirname, '../../shared/eval-data');

function line(r: AnswerEvalReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return [
    `min_evidence ${r.gate?.minEvidence ?? DEFAULT_GATE.minEvidence}`,
    `answered with a relevant citation ${r.answerable.answered_with_relevant_citation}/${r.answerable.claims} (${pct(r.answerable.rate)}; answered ${r.answerable.answered})`,
    `refused: removed ${pct(r.unanswerable.removed.rate)}, off-topic ${pct(r.unanswerable.off_topic.rate)}, both ${pct(r.unanswerable.rate)}`,
    `cited sentence is gold evidence ${r.citation_sentences.gold}/${r.citation_sentences.cited_from_evidence_documents} (${pct(r.citation_sentences.precision)})`,
    `chat p50 ${r.chat_ms.p50} ms, p99 ${r.chat_ms.p99} ms`,
  ].join(' | ');
}

async function main() {
  const split = arg('split') ?? 'dev';
  if (split !== 'dev' && split !== 'test') throw new Error('--split must be dev or test');
  const common = {
    scifactDir: resolve(arg('scifact') ?? join(data, 'scifact')),
    climateDir: resolve(arg('climate') ?? join(data, 'climate-fever')),
    split,
    limit: arg('limit') ? Number(arg('limit')) : undefined,
    baseUrl: arg('base-url'),
    adminKey: arg('admin-key') ?? process.env.OPRAG_ADMIN_KEY,
    copies: args.includes('--copies'),
    log: (l: string) => process.stderr.write(`${l}\n`),
  };
  const thresholds = arg('min-evidence')?.split(',').map(Number);
  if (thresholds?.some((t) => !Number.isFinite(t) || t < 0 || t > 1))
    throw new Error('--min-evidence takes numbers between 0 and 1, comma separated');
  const reports = thresholds
    ? await runAnswerEvalCurve(
        common,
        thresholds.map((minEvidence) => ({ minEvidence })),
      )
    : [await runAnswerEval(common)];
  if (args.includes('--json'))
    process.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
  else for (const r of reports) process.stdout.write(`${line(r)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
