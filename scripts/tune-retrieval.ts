/**
 * Tunes the embedded index's ranking in-process (no HTTP): indexes a BEIR corpus once the way
 * ingestion does (read as text, chunked, titled), then scores a split's queries under one or more
 * ranking settings (feedback's included: `--sweep feedback.terms=0:10`), aggregating chunks to
 * documents by their best chunk.
 *
 *   npx tsx scripts/tune-retrieval.ts --dataset ../shared/eval-data/scifact --split dev \
 *     [--set k1=0.9,body.b=0.6,...] [--sweep k1=0.6:0.9:1.2] [--chunk target:max:overlap] [--fresh]
 */
import { basename, resolve } from 'node:path';
import { DEFAULT_FEEDBACK, type FeedbackParams } from '../lambdas/core/feedback';
import { documentRanking, type Judgements, mean, mrrAt, ndcgAt, recallAt } from '../lambdas/core/ir-metrics';
import { DEFAULT_RANKING, type RankingParams } from '../lambdas/core/rank';
import { queryTerms } from '../lambdas/core/text';
import { searchWithFeedback } from '../lambdas/service/search';
import { option as arg, argv as args } from './args';
import { openBeirIndex, readQrels, readQueries } from './beir-index';

const dataset = resolve(arg('dataset', '../shared/eval-data/scifact') as string);
const split = arg('split', 'dev') as string;

/** The index's ranking, and the feedback the retrieval use case adds to it. */
type Tuning = RankingParams & { feedback: FeedbackParams };

function setParam(p: Tuning, path: string, value: number): Tuning {
  const out = structuredClone(p);
  const parts = path.split('.');
  // biome-ignore lint/suspicious/noExplicitAny: a dotted path into the parameters
  let o: any = out;
  if (['title', 'section', 'body'].includes(parts[0])) o = out.fields;
  for (const k of parts.slice(0, -1)) o = o[k];
  o[parts[parts.length - 1]] = value;
  return out;
}

async function main() {
  const queries = readQueries(dataset);
  const qrels = readQrels(dataset, split);
  const [targetChars, maxChars, overlapChars] = (arg('chunk') ?? '').split(':').map(Number);
  const chunking = arg('chunk') ? { targetChars, maxChars, overlapChars } : undefined;
  const { searchIndex, index } = await openBeirIndex(dataset, { chunking, fresh: args.includes('--fresh') });

  let base: Tuning = { ...DEFAULT_RANKING, feedback: DEFAULT_FEEDBACK };
  for (const kv of (arg('set') ?? '').split(',').filter(Boolean)) {
    const [k, v] = kv.split('=');
    base = setParam(base, k, Number(v));
  }
  const settings: { label: string; p: Tuning }[] = [];
  const sweeps = args.flatMap((a, i) => (a === '--sweep' ? [args[i + 1]] : []));
  if (sweeps.length === 0) settings.push({ label: 'base', p: base });
  // a grid over every --sweep
  let grid: { label: string; p: Tuning }[] = [{ label: '', p: base }];
  for (const sw of sweeps) {
    const [k, vs] = sw.split('=');
    grid = grid.flatMap((g) =>
      vs.split(':').map((v) => ({ label: `${g.label}${g.label ? ' ' : ''}${k}=${v}`, p: setParam(g.p, k, Number(v)) })),
    );
  }
  if (sweeps.length) settings.push(...grid);

  const qids = [...qrels.keys()].filter((q) => queries.has(q));
  for (const { label, p } of settings) {
    searchIndex.ranking = p;
    const nd: number[] = [];
    const rc: number[] = [];
    const mr: number[] = [];
    const ms: number[] = [];
    for (const qid of qids) {
      const t = performance.now();
      const r = await searchWithFeedback(
        index,
        { terms: queryTerms(queries.get(qid) as string), topK: 100 },
        p.feedback,
      );
      ms.push(performance.now() - t);
      const ranked = documentRanking(r.hits.map((h) => h.document_id.slice(4)));
      const rel = qrels.get(qid) as Judgements;
      nd.push(ndcgAt(10, ranked, rel));
      rc.push(recallAt(100, ranked, rel));
      mr.push(mrrAt(10, ranked, rel));
    }
    ms.sort((a, b) => a - b);
    process.stdout.write(
      `${basename(dataset)} ${split} ${label.padEnd(40)} nDCG@10 ${mean(nd).toFixed(4)}  R@100 ${mean(rc).toFixed(4)}  MRR@10 ${mean(mr).toFixed(4)}  p50 ${ms[Math.floor(ms.length / 2)].toFixed(2)} ms\n`,
    );
  }
  searchIndex.close();
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
