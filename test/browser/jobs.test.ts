import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server';
import { newPage, PNG_MAGIC, screenshot, signIn, startDashboard } from './harness';

/** Golden runs and export jobs in the dashboard: both go on in the background, and the page polls them. */
describe('dashboard: golden runs and export jobs in the background (Chromium)', () => {
  let t: TestServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let projectId: string;

  beforeAll(async () => {
    ({ t, browser } = await startDashboard());
    const p = await t.project('Initech');
    projectId = p.id;
    await p.client.post('/v1/documents?wait=true', {
      title: 'Returns',
      text: 'Returns are accepted within 30 days of delivery with the receipt.',
    });
    for (let i = 0; i < 3; i++) {
      await t.admin.post(`/v1/projects/${projectId}/golden-questions`, {
        question: 'How long are returns accepted?',
        expected_answer: '30 days',
        approved: true,
      });
    }
    ({ page, problems } = await newPage(browser));
    await signIn(page, t.url, t.adminKey);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  afterEach(() => {
    expect(problems).toEqual([]);
  });

  it('shows a run waiting at the chat limit with its progress, and its results once it is done', async () => {
    // one answer a minute: the run answers one question, then waits for the next minute
    await t.admin.request('PATCH', `/v1/projects/${projectId}`, { limits: { chat_per_minute: 1 } });
    // the minute held still, so the run cannot reach a second answer before the test moves the clock
    t.clock.freeze(t.clock.nextMinute(1000));
    await page.goto(`${t.url}/#/projects/${projectId}/golden`);
    await page.getByRole('button', { name: 'Run approved' }).click();
    const progress = page.locator('.run-progress');
    await progress.getByText('1 of 3 answered').waitFor();
    await expect(progress.locator('progress').getAttribute('value')).resolves.toBe('1');
    await expect(page.getByRole('button', { name: 'Running…' }).isDisabled()).resolves.toBe(true);
    expect(await page.locator('.run-summary').count()).toBe(0);

    // the run has put itself back in the queue for the next minute (the page may show its progress first)
    await t.server.home.jobs.idle();
    expect(t.server.home.jobs.held()).toHaveLength(1);
    // the limit lifted and the next minute come: the waiting run goes on, and the page sees it end
    await t.admin.request('PATCH', `/v1/projects/${projectId}`, { limits: { chat_per_minute: null } });
    t.clock.advance(60_000);
    t.server.home.jobs.runDue();
    await page.locator('.run-summary', { hasText: '3 passed, 0 failed' }).waitFor();
    await progress.waitFor({ state: 'detached' });
    expect(await page.locator('.golden-item .result.pass').count()).toBe(3);
    expect(await page.locator('.chart circle').count()).toBe(1);
    expect((await screenshot(page, 'golden-run')).subarray(0, 4)).toEqual(PNG_MAGIC);
    t.clock.resume();
  });

  it('starts an export, polls it until ready, and downloads it once from its link', async () => {
    await page.goto(`${t.url}/#/projects/${projectId}/settings`);
    await page.getByLabel('Include original files').check();
    await page.getByRole('button', { name: 'Start export' }).click();
    const link = page.getByRole('link', { name: 'Download export' });
    await link.waitFor();
    await expect(page.locator('.export-status').getAttribute('data-status')).resolves.toBe('ready');
    const href = (await link.getAttribute('href')) as string;
    expect(href).toMatch(new RegExp(`^${t.url}/v1/exports/${projectId}\\.`));
    expect((await screenshot(page, 'export-job')).subarray(0, 4)).toEqual(PNG_MAGIC);

    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const lines = readFileSync((await download.path()) as string, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; title?: string; content_base64?: string });
    expect(lines[0]).toMatchObject({ type: 'project', id: projectId });
    const doc = lines.find((l) => l.type === 'document');
    expect(doc?.title).toBe('Returns');
    expect(Buffer.from(doc?.content_base64 ?? '', 'base64').toString()).toContain('30 days');
    expect(lines.filter((l) => l.type === 'golden_question')).toHaveLength(3);

    // the link is spent: the page says so, and the server agrees
    await page.locator('.export-status', { hasText: 'Downloaded' }).waitFor();
    expect((await fetch(href)).status).toBe(404);
  });
});
