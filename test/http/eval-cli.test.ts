import { join } from 'node:path';
import { runCli } from '../helpers/cli';
import { startTestServer } from '../helpers/server';

const FIXTURE = join(__dirname, '../fixtures/eval-tiny');

describe('oprag eval', () => {
  it('measures a BEIR-layout set through a throwaway server and prints one JSON object', async () => {
    const out = await runCli(['eval', '--dataset', FIXTURE, '--split', 'dev', '--json'], { timeoutMs: 60_000 });

    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const report = JSON.parse(out.stdout);
    expect(report).toMatchObject({
      dataset: 'eval-tiny',
      split: 'dev',
      documents: 6,
      chunks: 6,
      queries: 4,
      recall_k: 100,
      failed_documents: 0,
    });
    // q1..q3 find their one document first; q4 finds d6 first and never d3 (no shared word):
    // nDCG = (1 + 1 + 1 + 1 / (1 + 1/log2 3)) / 4, Recall = (1 + 1 + 1 + 0.5) / 4, MRR = 1
    const q4 = 1 / (1 + 1 / Math.log2(3));
    expect(report.ndcg_at_10).toBeCloseTo((3 + q4) / 4, 4);
    expect(report.recall).toBeCloseTo(0.875, 4);
    expect(report.mrr_at_10).toBe(1);
    expect(report.ingest_docs_per_s).toBeGreaterThan(0);
    expect(report.retrieve_p50_ms).toBeGreaterThan(0);
    expect(report.retrieve_p99_ms).toBeGreaterThanOrEqual(report.retrieve_p50_ms);
    expect(report.retrieve_default_top_k_p50_ms).toBeGreaterThan(0);
    expect(report.retrieve_default_top_k_p99_ms).toBeGreaterThanOrEqual(report.retrieve_default_top_k_p50_ms);
    // retrieve takes top_k up to 100 (API 1.1): Recall is measured at 100, with nothing to note
    expect(report.notes).toEqual([]);
  }, 90_000);

  it('prints a readable report for the test split, ignoring grade-0 judgements', async () => {
    const out = await runCli(['eval', '--dataset', FIXTURE, '--split', 'test'], { timeoutMs: 60_000 });

    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/eval-tiny test: 6 documents → 6 chunks, 2 queries/);
    expect(out.stdout).toMatch(/nDCG@10 {5}1\.0000/);
    expect(out.stdout).toMatch(/Recall@100 {2}1\.0000/);
    expect(out.stdout).toMatch(/MRR@10 {6}1\.0000/);
    expect(out.stdout).toMatch(
      /p50 [\d.]+ ms, p99 [\d.]+ ms \(top_k 100\)\n {14}p50 [\d.]+ ms, p99 [\d.]+ ms \(default top_k\)/,
    );
  }, 90_000);

  it('fails with a message for a split without judgements', async () => {
    const out = await runCli(['eval', '--dataset', FIXTURE, '--split', 'train'], { timeoutMs: 60_000 });

    expect(out.status).not.toBe(0);
    expect(out.stderr).toMatch(/oprag: .*train\.tsv/);
  }, 90_000);

  it('measures a running deployment with --base-url and --key, and deletes the project it made', async () => {
    const t = await startTestServer();
    try {
      const before = await t.admin.get<{ projects: unknown[] }>('/v1/projects');
      const out = await runCli(
        ['eval', '--dataset', FIXTURE, '--split', 'dev', '--json', '--base-url', t.url, '--key', t.adminKey],
        { timeoutMs: 60_000 },
      );

      expect(out.status).toBe(0);
      const report = JSON.parse(out.stdout);
      expect(report.queries).toBe(4);
      expect(report.recall).toBeCloseTo(0.875, 4);
      const after = await t.admin.get<{ projects: unknown[] }>('/v1/projects');
      expect(after.body.projects).toHaveLength(before.body.projects.length);
    } finally {
      await t.close();
    }
  }, 90_000);
});
