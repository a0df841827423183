import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  citedSentences,
  percentile,
  quotedSentences,
  readQrels,
  runAnswerEval,
  runAnswerEvalCurve,
} from '../../lambdas/client/eval-answers';
import { startTestServer } from '../helpers/server';

const FIXTURE = join(__dirname, '../fixtures/answers-tiny');
// the throwaway servers' data folders go in a folder of this file's own, so a suite running
// beside this one cannot leave a folder where this one looks for leftovers
const ownTmp = mkdtempSync(join(tmpdir(), 'oprag-eval-answers-test-'));
const dirs = {
  scifactDir: join(FIXTURE, 'scifact'),
  climateDir: join(FIXTURE, 'climate'),
  split: 'dev',
  tmpDir: ownTmp,
};
afterAll(() => rmSync(ownTmp, { recursive: true, force: true }));

const throwawayDirs = () => readdirSync(ownTmp).filter((d) => d.startsWith('oprag-answers-'));

describe('runAnswerEval on a tiny fixture (throwaway server)', () => {
  it('reports the outcomes the fixture is built for', async () => {
    const before = new Set(throwawayDirs());
    const r = await runAnswerEval(dirs);
    // claims 1–3 share their abstract's words, claim 4 none of them
    expect(r.answerable).toEqual({ claims: 4, answered: 3, answered_with_relevant_citation: 3, rate: 0.75 });
    // without abstracts 101–104, nothing left mentions any claim
    expect(r.unanswerable.removed).toEqual({ claims: 4, refused: 4, rate: 1 });
    // the polar bear claim is refused; the sea turtle one is answered by abstract 105
    expect(r.unanswerable.off_topic).toEqual({ claims: 2, refused: 1, rate: 0.5 });
    expect(r.unanswerable.rate).toBeCloseTo(5 / 6, 3);
    expect(r.corpus).toEqual({ documents: 6, removed_for_unanswerable: 4 });
    // claims 1 and 3 quote their gold sentence; claim 2's annotation names a sentence not quoted
    expect(r.citation_sentences).toEqual({
      cited_from_evidence_documents: 3,
      gold: 2,
      precision: 0.667,
      answers_citing_evidence: 3,
      answers_quoting_gold: 2,
    });
    // every claim twice and each off-topic claim once
    expect(r.chat_ms.requests).toBe(10);
    expect(r.chat_ms.p50).toBeGreaterThan(0);
    expect(r.chat_ms.p99).toBeGreaterThanOrEqual(r.chat_ms.p50);
    // the data directory is gone
    const left = throwawayDirs().filter((d) => !before.has(d));
    expect(left.map((d) => [d, readdirSync(join(ownTmp, d), { recursive: true })])).toEqual([]);
  }, 60_000);

  it('runs a curve of gate settings on one ingestion: a stricter gate refuses more', async () => {
    const [open, strict] = await runAnswerEvalCurve(dirs, [{ minEvidence: 0 }, { minEvidence: 0.99 }]);
    expect(open.gate).toEqual({ minEvidence: 0 });
    expect(open.answerable.answered).toBe(3);
    expect(strict.gate).toEqual({ minEvidence: 0.99 });
    expect(strict.answerable.answered).toBeLessThan(open.answerable.answered);
    expect(strict.unanswerable.rate).toBeGreaterThanOrEqual(open.unanswerable.rate);
  }, 60_000);
});

describe('runAnswerEval against a running server', () => {
  it('gives the same figures and deletes the projects it created', async () => {
    const ts = await startTestServer();
    try {
      const r = await runAnswerEval({ ...dirs, baseUrl: ts.url, adminKey: ts.adminKey });
      expect(r.answerable.answered_with_relevant_citation).toBe(3);
      expect(r.unanswerable.removed.refused).toBe(4);
      expect(r.unanswerable.off_topic.refused).toBe(1);
      const projects = await ts.admin.get<{ projects: unknown[] }>('/v1/projects');
      expect(projects.body.projects).toEqual([]);
      await expect(runAnswerEval({ ...dirs, baseUrl: ts.url })).rejects.toThrow(/admin key/);
      await expect(
        runAnswerEval({ ...dirs, baseUrl: ts.url, adminKey: ts.adminKey, gate: { minEvidence: 0.2 } }),
      ).rejects.toThrow(/throwaway server/);
    } finally {
      await ts.close();
    }
  }, 60_000);
});

describe('the measures', () => {
  it('maps a quote to the data set sentences it reproduces', () => {
    const sentences = ['Background first.', 'Results were 1.4 +/-', '0.2 mm higher.', 'Unrelated end.'];
    expect(quotedSentences('Results were 1.4 +/- 0.2 mm higher.', sentences)).toEqual([1, 2]);
    expect(quotedSentences('Background first', sentences)).toEqual([0]);
    // a loose paraphrase: the sentence it overlaps most
    expect(quotedSentences('The end, unrelated to anything.', sentences)).toEqual([3]);
    expect(quotedSentences('Nothing in common', sentences)).toEqual([]);
  });

  it('reads the citation numbers of each answer sentence', () => {
    expect(citedSentences('Refunds take 30 days [1]. Shipping is free [2][3].')).toEqual([
      { text: 'Refunds take 30 days.', cites: [1] },
      { text: 'Shipping is free.', cites: [2, 3] },
    ]);
  });

  it('reads qrels, skipping the header and zero scores', () => {
    const q = readQrels(join(FIXTURE, 'climate/qrels/dev.tsv'));
    expect([...q.keys()]).toEqual(['50', '55']);
    expect([...(q.get('55') ?? [])]).toEqual(['Sea_turtle:3']);
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([], 50)).toBe(0);
  });
});
