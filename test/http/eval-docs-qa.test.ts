import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocsQaReport } from '../../lambdas/client/eval-docs-qa';
import { runCli } from '../helpers/cli';

const FIXTURE = join(__dirname, '../fixtures/docs-qa-tiny');

describe('oprag eval on a docs-qa set', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'oprag-docs-qa-test-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('asks every question of the split through the API and accounts for each one', async () => {
    const out = await runCli(['eval', '--dataset', FIXTURE, '--split', 'dev', '--data-dir', dataDir, '--json'], {
      timeoutMs: 60_000,
    });

    expect(out.status).toBe(0);
    const report: DocsQaReport = JSON.parse(out.stdout);
    // dev: shop 2 answerable, cli 2; each customer is also asked its near-miss, the off-topic
    // question and the other customer's 2 answerable ones
    expect(report.answerable.questions).toBe(4);
    expect(report.unanswerable).toMatchObject({
      questions: 8,
      near_miss: { questions: 2 },
      off_topic: { questions: 2 },
      other_customer: { questions: 4 },
    });
    const misses = (kind: string) => report.misses.filter((m) => (kind === 'answerable') === (m.kind === 'answerable'));
    expect(report.answerable.right + misses('answerable').length).toBe(4);
    expect(report.unanswerable.refused + misses('unanswerable').length).toBe(8);
    expect(report.customers.shop.answerable + report.customers.cli.answerable).toBe(4);
    for (const m of misses('answerable')) expect(m.expected).toBeDefined();
    expect(report.chat_ms.requests).toBe(12);
    expect(report.chat_ms.p99).toBeGreaterThanOrEqual(report.chat_ms.p50);
    expect(report.answer_chars.p90).toBeGreaterThanOrEqual(report.answer_chars.p50);
  }, 90_000);

  it('reuses the projects of a kept data folder and prints the summary and the misses', async () => {
    const out = await runCli(['eval', '--dataset', FIXTURE, '--split', 'dev', '--data-dir', dataDir], {
      timeoutMs: 60_000,
    });

    expect(out.status).toBe(0);
    expect(out.stderr).not.toMatch(/ingesting/);
    expect(out.stdout).toMatch(
      /^docs-qa dev: answered right [\d.]+ \(\d\/4, \d grounded\) · unanswerable refused [\d.]+ \(\d\/8: near-miss \d\/2, off-topic \d\/2, other customers' \d\/4\)/,
    );
    expect(out.stdout).toMatch(/\n {2}shop {5}right \d\/2, refused \d\/4\n {2}cli {6}right \d\/2, refused \d\/4/);
  }, 90_000);
});
