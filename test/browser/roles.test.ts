import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server';
import { newPage, screenshot, signIn, startDashboard } from './harness';

/** Buttons and fields that would change something; a viewer must be shown none of them. */
const MUTATING_BUTTON =
  /^(create|add|upload|choose files|delete|revoke|approve|unapprove|edit|save|rename|run all|download export)/i;
/** The only fields a read-only key gets: the chat question and the audit filters. */
const READ_ONLY_FIELDS = new Set(['chat-q', 'audit-action', 'audit-key']);

async function controls(page: Page) {
  const buttons = await page.locator('button:visible, label.button:visible').allTextContents();
  const aria = (await page.evaluate(
    '[...document.querySelectorAll("button[aria-label]")].map((e) => e.getAttribute("aria-label"))',
  )) as string[];
  const fields = (await page.evaluate(
    '[...document.querySelectorAll("input, select, textarea")].map((e) => e.id || e.name || e.type)',
  )) as string[];
  return {
    mutating: [...buttons, ...aria].map((b) => b.trim()).filter((b) => MUTATING_BUTTON.test(b)),
    writableFields: fields.filter((f) => !READ_ONLY_FIELDS.has(f)),
    fileInputs: await page.locator('input[type=file]').count(),
  };
}

/** Every input, select and textarea has a label (or an aria-label). */
async function unlabelled(page: Page): Promise<number> {
  return (await page.evaluate(
    '[...document.querySelectorAll("input, select, textarea")].filter((e) => !e.labels?.length && !e.getAttribute("aria-label")).length',
  )) as number;
}

jest.setTimeout(60_000); // the whole suite shares two cores with Chromium

describe('dashboard, read-only and review keys', () => {
  let t: TestServer;
  let browser: Browser;
  let acme = '';
  let globex = '';
  let viewerKey = '';
  let reviewKey = '';

  beforeAll(async () => {
    ({ t, browser } = await startDashboard());
    const a = await t.project('Acme Corp');
    const g = await t.project('Globex Secret Project');
    acme = a.id;
    globex = g.id;
    await a.client.post('/v1/documents?wait=true', {
      title: 'Refund policy',
      url: '/help/refunds',
      text: '# Refunds\n\nRefunds are accepted within 30 days of purchase.',
    });
    await g.client.post('/v1/documents?wait=true', {
      title: 'Globex pricing',
      text: 'Globex charges 99 euros a seat.',
    });
    await t.admin.post(`/v1/projects/${acme}/golden-questions`, {
      question: 'How long are refunds accepted?',
      expected_answer: '30 days',
    });
    await t.admin.post(`/v1/projects/${acme}/golden-questions/run`, {});
    viewerKey = (await t.admin.post<{ api_key: { key: string } }>('/v1/company/keys', { name: 'Vic', role: 'viewer' }))
      .body.api_key.key;
    reviewKey = (
      await t.admin.post<{ api_key: { key: string } }>(`/v1/projects/${acme}/keys`, {
        name: 'customer',
        scopes: ['review'],
      })
    ).body.api_key.key;
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const pages = () => [
    ['projects', '#/projects', 'table.projects'],
    ['team', '#/team', 'table'],
    ['documents', `#/projects/${acme}/documents`, 'table.documents'],
    ['keys', `#/projects/${acme}/keys`, 'table.keys'],
    ['chat', `#/projects/${acme}/chat`, '#chat-q'],
    ['golden', `#/projects/${acme}/golden`, '.golden-item'],
    ['audit', `#/projects/${acme}/audit`, 'table.audit tbody tr'],
    ['settings', `#/projects/${acme}/settings`, '.facts'],
  ];

  it('a viewer key sees the whole company with no control that changes anything', async () => {
    const { page, problems } = await newPage(browser);
    await signIn(page, t.url, viewerKey);
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    await expect(page.locator('.who-label').textContent()).resolves.toBe('Demo company · viewer');
    // an admin on the same pages does get such controls, so the check below can fail
    const admin = await newPage(browser);
    await signIn(admin.page, t.url, t.adminKey);
    await admin.page.getByRole('heading', { name: 'Projects' }).waitFor();
    let adminMutating = 0;
    for (const [name, hash, ready] of pages()) {
      await page.goto(`${t.url}/${hash}`);
      await page.locator(ready).first().waitFor();
      const seen = await controls(page);
      expect({ name, ...seen }).toEqual({ name, mutating: [], writableFields: [], fileInputs: 0 });
      expect(await unlabelled(page)).toBe(0);
      await admin.page.goto(`${t.url}/${hash}`);
      await admin.page.locator(ready).first().waitFor();
      adminMutating += (await controls(admin.page)).mutating.length;
      expect(await unlabelled(admin.page)).toBe(0);
    }
    expect(adminMutating).toBeGreaterThan(10);
    // reading still works: both projects are listed, and the viewer can ask
    await page.goto(`${t.url}/#/projects`);
    await page.locator('table.projects', { hasText: 'Globex Secret Project' }).waitFor();
    await page.goto(`${t.url}/#/projects/${acme}/chat`);
    await page.getByLabel('Question').fill('How long are refunds accepted?');
    await page.getByRole('button', { name: 'Ask' }).click();
    await page.locator('.citations a[href="/help/refunds"]').waitFor();
    expect(problems).toEqual([]);
    expect(admin.problems).toEqual([]);
    await page.context().close();
    await admin.page.context().close();
  });

  it('a review key opens only its own project: documents, chat and golden questions', async () => {
    const { page, problems } = await newPage(browser);
    // without the project id, and with another project's id, it is refused in plain words
    // the link the keys page gives for a review key carries the project id
    await page.goto(`${t.url}/#/?project=${acme}`);
    await page.getByLabel('API key').fill(reviewKey);
    await expect(page.getByLabel('Project id').inputValue()).resolves.toBe(acme);
    await page.getByLabel('Project id').fill(globex);
    await page.getByLabel('Project id').press('Enter');
    await expect(page.getByRole('alert').textContent()).resolves.toBe('This key does not belong to that project.');
    await page.getByLabel('Project id').fill(acme);
    await page.getByLabel('Project id').press('Enter');
    await page.getByRole('navigation', { name: 'Project sections' }).waitFor();
    const tabs = await page.getByRole('navigation', { name: 'Project sections' }).getByRole('link').allTextContents();
    expect(tabs).toEqual(['Documents', 'Chat', 'Golden questions', 'Audit log']);
    const main = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    expect(main).toEqual(['Project', 'Security']);
    await page.locator('table.documents', { hasText: 'Refund policy' }).waitFor();
    // documents are read-only for a review key
    const seen = await controls(page);
    expect(seen.fileInputs).toBe(0);
    expect(seen.mutating).toEqual([]);
    await screenshot(page, 'review-documents');

    // a company page is not reachable: the route falls back to the key's project
    await page.goto(`${t.url}/#/team`);
    await page.locator('table.documents').waitFor();
    expect(await page.locator('body').textContent()).not.toContain('Globex');
    await page.goto(`${t.url}/#/projects/${globex}/documents`);
    await page.locator('table.documents', { hasText: 'Refund policy' }).waitFor();
    expect(await page.locator('body').textContent()).not.toContain('Globex');

    // chat, with citations from its own documents only
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByLabel('Question').fill('How long are refunds accepted?');
    await page.getByRole('button', { name: 'Ask' }).click();
    await page.locator('.citations a[href="/help/refunds"]').waitFor();
    await page.getByLabel('Question').fill('How much does Globex charge a seat?');
    await page.getByRole('button', { name: 'Ask' }).click();
    await page.locator('.turn').nth(1).locator('.refusal').waitFor();

    // golden questions: add, approve, run
    await page.getByRole('link', { name: 'Golden questions' }).click();
    await page.getByLabel('Question', { exact: true }).fill('Can I get a refund after a year?');
    await page.getByLabel('Must refuse (the documents should not answer this)').check();
    await page.getByRole('button', { name: 'Add question' }).click();
    const added = page.locator('.golden-item', { hasText: 'after a year' });
    await added.getByRole('button', { name: 'Approve' }).click();
    await added.locator('.badge', { hasText: 'approved' }).waitFor();
    await page.getByRole('button', { name: 'Run approved' }).click();
    await expect(page.locator('.chart circle').count()).resolves.toBeGreaterThanOrEqual(1);
    await page.locator('.chart circle').nth(1).waitFor();
    const list = await t.admin.get<{ golden_questions: { question: string; approved: boolean }[] }>(
      `/v1/projects/${acme}/golden-questions`,
    );
    expect(list.body.golden_questions.find((q) => q.question === 'Can I get a refund after a year?')?.approved).toBe(
      true,
    );
    expect(await unlabelled(page)).toBe(0);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('fits a narrow screen without sideways scrolling', async () => {
    const { page, problems } = await newPage(browser, { width: 390, height: 800 });
    await signIn(page, t.url, reviewKey, acme);
    for (const tab of ['documents', 'chat', 'golden']) {
      await page.goto(`${t.url}/#/projects/${acme}/${tab}`);
      await page.locator('.tab-body > *').first().waitFor();
      await page.waitForLoadState('networkidle');
      const overflow = await page.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect({ tab, overflow }).toEqual({ tab, overflow: 0 });
    }
    await page.getByLabel('Question', { exact: true }).waitFor();
    await screenshot(page, 'golden-narrow');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('sends a file over 4 MB through the uploads flow, with progress, until it is ready', async () => {
    const big = await t.project('Big files');
    const { page, problems } = await newPage(browser);
    await signIn(page, t.url, t.adminKey);
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    await page.goto(`${t.url}/#/projects/${big.id}/documents`);
    const line = 'Pallets are stacked at most four high in aisle seven of the cold store.\n';
    const text = `# Storage\n\n${line.repeat(Math.ceil((4.5 * 2 ** 20) / line.length))}`;
    const requests: string[] = [];
    page.on('request', (r) =>
      requests.push(`${r.method()} ${new URL(r.url()).pathname.replace(/[^/]{20,}$/, ':token')}`),
    );
    await page.getByLabel('Title (optional)').fill('Cold store');
    await page
      .getByLabel('Choose files')
      .setInputFiles({ name: 'storage.md', mimeType: 'text/markdown', buffer: Buffer.from(text) });
    await page
      .locator('table.documents tbody tr', { hasText: 'Cold store' })
      .locator('.badge-ready')
      .waitFor({ timeout: 30_000 });
    await expect(page.locator('.uploads progress').first().getAttribute('value')).resolves.toBe('100');
    expect(requests).toContain(`POST /v1/projects/${big.id}/uploads`);
    expect(requests).toContain('PUT /v1/uploads/:token');
    expect(requests).not.toContain(`POST /v1/projects/${big.id}/documents`);
    const doc = await big.client.get<{ documents: { bytes: number; status: string }[] }>('/v1/documents');
    expect(doc.body.documents).toEqual([expect.objectContaining({ bytes: Buffer.byteLength(text), status: 'ready' })]);
    expect(problems).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('signs out by itself when its key is revoked, and says why', async () => {
    const made = await t.admin.post<{ api_key: { id: string; key: string } }>('/v1/company/keys', {
      name: 'Short-lived',
      role: 'viewer',
    });
    const { page, problems } = await newPage(browser);
    await signIn(page, t.url, made.body.api_key.key);
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    expect((await t.admin.delete(`/v1/company/keys/${made.body.api_key.id}`)).status).toBe(200);
    // the next call the page makes meets the 401 (the project list may still be loading its stats,
    // so that call may already have been made: go to the team page by address, not by its link)
    await page.evaluate("location.hash = '#/team'");
    await page.getByLabel('API key').waitFor();
    await expect(page.getByRole('alert').first().textContent()).resolves.toMatch(/stopped working/);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
