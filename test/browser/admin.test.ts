import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server';
import { newPage, PNG_MAGIC, screenshot, startDashboard } from './harness';

const REFUNDS = '# Refunds\n\nRefunds are accepted within 30 days of purchase. Shipping costs are not refunded.\n';
const SHIPPING = '# Shipping\n\nOrders ship within two business days from our warehouse in Lyon.\n';

/** One admin's afternoon, in order: each step starts where the previous one left the page. */
jest.setTimeout(60_000); // the whole suite shares two cores with Chromium

describe('dashboard, company admin key', () => {
  let t: TestServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let projectId = '';

  beforeAll(async () => {
    ({ t, browser } = await startDashboard());
    ({ page, problems } = await newPage(browser));
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  afterEach(() => expect(problems).toEqual([]));

  it('signs in with the admin key by keyboard alone, kept in sessionStorage only', async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
    await page.goto(`${t.url}/`);
    await page.getByLabel('API key').waitFor();
    const focusOrder: string[] = [];
    for (let i = 0; i < 3 && focusOrder[focusOrder.length - 1] !== 'signin-key'; i++) {
      await page.keyboard.press('Tab');
      focusOrder.push(
        (await page.evaluate('document.activeElement.id || document.activeElement.textContent')) as string,
      );
    }
    expect(focusOrder).toEqual(['Skip to content', 'signin-key']);
    await page.keyboard.type(t.adminKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    await expect(page.locator('.who-label').textContent()).resolves.toBe('Demo company · admin');
    expect(await page.evaluate('sessionStorage.getItem("oprag.key")')).toBe(t.adminKey);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await page.evaluate('document.cookie')).toBe('');
  });

  it('creates a project and shows its first key once, with a copy button', async () => {
    await page.getByLabel('Name', { exact: true }).fill('Acme Corp');
    await page.getByLabel('External reference (optional)').fill('acme-42');
    await page.getByRole('button', { name: 'Create project' }).click();
    const secret = page.getByLabel('First project key');
    await secret.waitFor();
    const key = await secret.inputValue();
    expect(key).toMatch(/^oprag_pk_[0-9A-Za-z]{40}$/);
    await page.locator('.shown-once').getByRole('button', { name: 'Copy' }).click();
    await page.locator('.shown-once', { hasText: 'Copied.' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(key);
    // the key shown works against the API, for this project
    const res = await t.client(key).get<{ documents: unknown[] }>('/v1/documents');
    expect(res.status).toBe(200);
    const row = page.locator('table.projects tbody tr', { hasText: 'Acme Corp' });
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('acme-42');
    const href = (await row.getByRole('link', { name: 'Acme Corp' }).getAttribute('href')) as string;
    projectId = href.split('/')[2];
    expect(projectId).toMatch(/^prj_/);
    await screenshot(page, 'projects');
  });

  it('uploads by file input and by drag-and-drop, and watches each document become ready or failed', async () => {
    // to the project and its documents by keyboard: the project link, then the tab
    await page.locator('table.projects').getByRole('link', { name: 'Acme Corp' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'Documents' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/#/projects/${projectId}/documents`);
    // the hidden file input takes the focus, and its label shows it
    await page.locator('#up-file').focus();
    await expect(
      page.evaluate("getComputedStyle(document.querySelector('label[for=up-file]')).outlineStyle"),
    ).resolves.toBe('solid');
    await page.getByLabel('Title (optional)').fill('Refund policy');
    await page.getByLabel('Link for citations (optional, e.g. /help/refunds)').fill('/help/refunds');
    await page
      .getByLabel('Choose files')
      .setInputFiles({ name: 'refunds.md', mimeType: 'text/markdown', buffer: Buffer.from(REFUNDS) });
    const refunds = page.locator('table.documents tbody tr', { hasText: 'Refund policy' });
    await refunds.locator('.badge-ready').waitFor({ timeout: 15_000 });
    await expect(page.locator('.uploads progress').first().getAttribute('value')).resolves.toBe('100');

    await page.getByLabel('Title (optional)').fill('Shipping');
    await page.getByLabel('Link for citations (optional, e.g. /help/refunds)').fill('/help/shipping');
    const dataTransfer = await page.evaluateHandle(
      `(() => { const dt = new DataTransfer(); dt.items.add(new File([${JSON.stringify(SHIPPING)}], 'shipping.md', { type: 'text/markdown' })); return dt; })()`,
    );
    await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer });
    await page
      .locator('table.documents tbody tr', { hasText: 'Shipping' })
      .locator('.badge-ready')
      .waitFor({ timeout: 15_000 });

    // a broken PDF becomes a failed document, with its reason shown
    await page.getByLabel('Title (optional)').fill('Broken');
    await page.getByLabel('Link for citations (optional, e.g. /help/refunds)').fill('');
    await page
      .getByLabel('Choose files')
      .setInputFiles({ name: 'broken.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7 not really') });
    const broken = page.locator('table.documents tbody tr', { hasText: 'Broken' });
    await broken.locator('.badge-failed').waitFor({ timeout: 15_000 });
    await expect(broken.locator('.reason').textContent()).resolves.toMatch(/\w+/);

    // the API agrees
    const list = await t.admin.get<{ documents: { title: string; status: string }[] }>(
      `/v1/projects/${projectId}/documents`,
    );
    expect(Object.fromEntries(list.body.documents.map((d) => [d.title, d.status]))).toEqual({
      'Refund policy': 'ready',
      Shipping: 'ready',
      Broken: 'failed',
    });
    // view original shows the bytes that were uploaded
    await refunds.getByRole('button', { name: /View original/ }).click();
    await expect(page.locator('pre.original').textContent()).resolves.toBe(REFUNDS);
    await page.getByRole('button', { name: 'Close' }).click();
    // delete the failed one
    await broken.getByRole('button', { name: 'Delete Broken' }).click();
    await broken.waitFor({ state: 'detached' });
    await screenshot(page, 'documents');
  });

  it('answers with numbered citations that link to the document url', async () => {
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByLabel('Question').fill('How long do I have to ask for a refund?');
    await page.getByRole('button', { name: 'Ask' }).click();
    const turn = page.locator('.turn').first();
    await turn.locator('.answer').waitFor();
    await expect(turn.locator('.source-label').textContent()).resolves.toBe('From your uploaded documents');
    await expect(turn.locator('.answer-text').textContent()).resolves.toMatch(/30 days.*\[1\]/);
    const link = turn.locator('.citations a').first();
    await expect(link.textContent()).resolves.toBe('Refund policy');
    expect(await link.getAttribute('href')).toBe('/help/refunds');
    const [popup] = await Promise.all([page.waitForEvent('popup'), link.click()]);
    await popup.waitForLoadState();
    expect(new URL(popup.url()).pathname).toBe('/help/refunds');
    await popup.close();
  });

  it('shows a question the documents do not answer as a refusal, without citations', async () => {
    await page.getByLabel('Question').fill('Do you ship to Antarctica by submarine?');
    await page.getByRole('button', { name: 'Ask' }).click();
    const turn = page.locator('.turn').nth(1);
    await turn.locator('.refusal').waitFor();
    await expect(turn.locator('.refusal').textContent()).resolves.toMatch(/No answer\..*no_relevant_documents/);
    expect(await turn.locator('.citations').count()).toBe(0);
    expect(await turn.locator('.source-label').count()).toBe(0);
    await screenshot(page, 'chat');
  });

  it('adds, approves, edits and runs golden questions, with reasons and a pass-rate chart', async () => {
    await page.getByRole('link', { name: 'Golden questions' }).click();
    await page.getByLabel('Question', { exact: true }).fill('How long do I have to ask for a refund?');
    await page.getByLabel('Expected answer contains (optional)').fill('30 days');
    await page.getByRole('button', { name: 'Add question' }).click();
    const first = page.locator('.golden-item', { hasText: 'How long do I have to ask for a refund?' });
    await first.waitFor();
    await expect(first.locator('.badge').textContent()).resolves.toBe('draft');
    await first.getByRole('button', { name: 'Approve' }).click();
    await first.locator('.badge', { hasText: 'approved' }).waitFor();

    await page.getByLabel('Question', { exact: true }).fill('Where is the warehouse?');
    await page.getByLabel('Expected answer contains (optional)').fill('Berlin');
    await page.getByRole('button', { name: 'Add question' }).click();
    const second = page.locator('.golden-item', { hasText: 'Where is the warehouse?' });
    await second.waitFor();

    // a run asks the approved questions only, unless drafts are included
    await page.getByRole('button', { name: 'Run approved' }).click();
    await page.locator('.run-summary', { hasText: '1 passed, 0 failed' }).waitFor();
    await page.getByLabel('Include drafts').check();
    await page.getByRole('button', { name: 'Run all' }).click();
    await page.locator('.run-summary', { hasText: '1 failed' }).waitFor();
    await expect(page.locator('.run-summary').textContent()).resolves.toMatch(/1 passed.*1 failed/);
    await expect(first.locator('.result').getAttribute('class')).resolves.toBe('result pass');
    await expect(second.locator('.result').getAttribute('class')).resolves.toBe('result fail');
    await expect(second.locator('.reasons li').first().textContent()).resolves.toBe(
      'does not contain the expected answer',
    );

    // edit the failing one to what the documents say, run again: the chart shows two runs
    await second.getByRole('button', { name: 'Edit' }).click();
    const form = page.locator('.golden-list form');
    await form.getByLabel('Expected answer contains (optional)').fill('Lyon');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Run all' }).click();
    await page.locator('.run-summary', { hasText: '2 passed' }).waitFor();
    expect(await page.locator('.chart circle').count()).toBe(3);
    await expect(page.locator('.chart svg').getAttribute('aria-label')).resolves.toBe(
      'Pass rate across 3 runs; latest 100%',
    );
    const runs = await t.admin.get<{ runs: { passed: number; failed: number }[] }>(
      `/v1/projects/${projectId}/golden-runs`,
    );
    expect(runs.body.runs.map((r) => [r.passed, r.failed])).toEqual([
      [2, 0],
      [1, 1],
      [1, 0],
    ]);
    await screenshot(page, 'golden');
  });

  it('creates a project key with scopes and environment, shown once, then revokes it', async () => {
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByLabel('Name (optional)').fill('customer review');
    await page.getByLabel(/^review/).check();
    await page.getByLabel(/^query/).uncheck();
    await page.getByLabel('Environment').selectOption('staging');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByLabel(/^New key \(review, staging\)/);
    await secret.waitFor();
    const key = await secret.inputValue();
    expect((await t.client(key).get(`/v1/projects/${projectId}/golden-questions`)).status).toBe(200);
    const row = page.locator('table.keys tbody tr', { hasText: 'customer review' });
    await expect(row.textContent()).resolves.toContain('staging');
    await screenshot(page, 'keys');
    await row.getByRole('button', { name: 'Revoke customer review' }).click();
    await row.locator('.key-status', { hasText: 'revoked' }).waitFor();
    expect((await t.client(key).get(`/v1/projects/${projectId}/golden-questions`)).status).toBe(401);
  });

  it('filters the audit log by action and by key', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('table.audit tbody tr').first().waitFor();
    const total = await page.locator('table.audit tbody tr').count();
    await page.getByLabel('Action').selectOption('chat');
    const chats = await page.locator('table.audit tbody tr').allTextContents();
    expect(chats.length).toBe(2);
    expect(chats.length).toBeLessThan(total);
    for (const row of chats) expect(row).toMatch(/chat/);
    await page.getByLabel('Action').selectOption('');
    const keyOptions = await page.getByLabel('Key').locator('option').allTextContents();
    expect(keyOptions.length).toBeGreaterThan(2); // all keys, the admin key, the revoked review key
    await page.getByLabel('Key').selectOption(keyOptions[1]);
    const byKey = await page.locator('table.audit tbody tr').allTextContents();
    expect(byKey.length).toBeGreaterThan(0);
    for (const row of byKey) expect(row).toContain(keyOptions[1]);
    await screenshot(page, 'audit', false);
  });

  it('renames the project and downloads its NDJSON export', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Acme Corporation');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Acme Corporation', level: 1 }).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download export (NDJSON)' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${projectId}.ndjson`);
    const lines = readFileSync((await download.path()) as string, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; name?: string; title?: string });
    expect(lines[0]).toMatchObject({ type: 'project', name: 'Acme Corporation' });
    expect(
      lines
        .filter((l) => l.type === 'document')
        .map((l) => l.title)
        .sort(),
    ).toEqual(['Refund policy', 'Shipping']);
    expect(lines.filter((l) => l.type === 'golden_question')).toHaveLength(2);
  });

  it('deletes the project only after its name is typed, then shows the purge receipt', async () => {
    const remove = page.getByRole('button', { name: 'Delete project' });
    expect(await remove.isDisabled()).toBe(true);
    await page.getByLabel(/Type the project name/).fill('Acme Corp');
    expect(await remove.isDisabled()).toBe(true);
    await page.getByLabel(/Type the project name/).fill('Acme Corporation');
    expect(await remove.isEnabled()).toBe(true);
    await screenshot(page, 'settings');
    await remove.click();
    await page.getByRole('heading', { name: 'Project deleted' }).waitFor();
    await expect(page.locator('[data-field=documents]').textContent()).resolves.toBe('2');
    await expect(page.locator('[data-field=keys]').textContent()).resolves.toBe('2');
    expect(Number(await page.locator('[data-field=chunks]').textContent())).toBeGreaterThan(0);
    expect((await t.admin.get(`/v1/projects/${projectId}`)).status).toBe(404);
  });

  it('adds a team member key shown once, and revokes it', async () => {
    await page.getByRole('link', { name: 'Team' }).click();
    await page.getByLabel('Member name').fill('Dana');
    await page.getByLabel('Role').selectOption('viewer');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.getByLabel('Key for Dana (viewer)').inputValue();
    expect((await t.client(key).get('/v1/company')).status).toBe(200);
    await screenshot(page, 'team');
    await page.getByRole('button', { name: 'Revoke Dana' }).click();
    await page
      .locator('tr', { hasText: 'Dana' })
      .getByText(/^revoked/)
      .waitFor();
    expect((await t.client(key).get('/v1/company')).status).toBe(401);
    // an API refusal is shown in the API's own words
    await page.getByRole('button', { name: 'Revoke first admin key' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe("the company's last admin key cannot be revoked");
    expect((await t.admin.get('/v1/company')).status).toBe(200);
  });

  it('renders the security page', async () => {
    await page.goto(`${t.url}/security`);
    await page.locator('article.markdown h1').first().waitFor();
    expect(await page.locator('article.markdown script').count()).toBe(0);
    const png = await screenshot(page, 'security');
    expect(png.subarray(0, 4).equals(PNG_MAGIC)).toBe(true);
  });

  it('signs out and clears sessionStorage', async () => {
    await page.goto(`${t.url}/#/projects`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.reload();
    await page.getByLabel('API key').waitFor();
    expect(await page.locator('.who-label').count()).toBe(0);
  });
});
