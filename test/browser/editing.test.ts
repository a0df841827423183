import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server';
import { newPage, PNG_MAGIC, screenshot, signIn, startDashboard } from './harness';

jest.setTimeout(60_000); // the whole suite shares two cores with Chromium

interface Doc {
  id: string;
  title: string | null;
  url: string | null;
  tags: string[];
  filename: string | null;
  status: string;
}

describe('dashboard: editing documents, key expiry, the cite picker, multi-file drops, the review view', () => {
  let t: TestServer;
  let browser: Browser;
  let project: { id: string; key: string; client: TestServer['admin'] };

  beforeAll(async () => {
    ({ t, browser } = await startDashboard());
    project = await t.project('Initech');
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function adminPage(hash: string): Promise<{ page: Page; problems: string[] }> {
    const opened = await newPage(browser);
    await signIn(opened.page, t.url, t.adminKey);
    await opened.page.getByRole('heading', { name: 'Projects' }).waitFor();
    await opened.page.goto(`${t.url}/${hash}`);
    return opened;
  }

  const documents = async () =>
    (await project.client.get<{ documents: Doc[] }>('/v1/documents?limit=200')).body.documents;

  it("edits a document's title, link and tags, and the next answer cites the new ones", async () => {
    const posted = await project.client.post<{ document: Doc }>('/v1/documents?wait=true', {
      title: 'Old name',
      url: '/help/old',
      tags: ['draft'],
      text: '# Returns\n\nReturned items are refunded within 14 days of arrival.',
    });
    const { page, problems } = await adminPage(`#/projects/${project.id}/documents`);
    const row = page.locator(`tr[data-document-id="${posted.body.document.id}"]`);
    await row.getByRole('button', { name: 'Edit Old name' }).click();
    await expect(page.getByLabel('Document title').inputValue()).resolves.toBe('Old name');
    await expect(page.getByLabel('Tags (comma-separated)').inputValue()).resolves.toBe('draft');

    await page.getByLabel('Document title').fill('Returns policy');
    await page.getByLabel('Document link (empty for none)').fill('/help/returns');
    await page.getByLabel('Tags (comma-separated)').fill('billing, returns');
    expect((await screenshot(page, 'documents-edit')).subarray(0, 4)).toEqual(PNG_MAGIC);
    await page.getByRole('button', { name: 'Save document' }).click();

    await row.getByRole('link', { name: '/help/returns' }).waitFor();
    await expect(row.textContent()).resolves.toContain('Returns policy');
    expect(await page.getByLabel('Document title').count()).toBe(0);
    const doc = (await documents()).find((d) => d.id === posted.body.document.id);
    expect(doc).toMatchObject({ title: 'Returns policy', url: '/help/returns', tags: ['billing', 'returns'] });
    const chat = await project.client.post<{ citations: { title: string; url: string }[] }>('/v1/chat', {
      question: 'How fast are returned items refunded?',
      filter: { tags: ['returns'] },
    });
    expect(chat.body.citations[0]).toMatchObject({ title: 'Returns policy', url: '/help/returns' });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('sets an expiry on a new key, and shows a key past its expiry as expired', async () => {
    // a key that expired: made while the server's clock stood in the past
    t.clock.freeze('2020-01-01T00:00:00Z');
    const old = await t.admin.post<{ api_key: { id: string } }>(`/v1/projects/${project.id}/keys`, {
      name: 'Old integration',
      expires_at: '2020-06-30T23:59:59Z',
    });
    t.clock.freeze(new Date());
    t.clock.resume();
    expect(old.status).toBe(201);

    const { page, problems } = await adminPage(`#/projects/${project.id}/keys`);
    const expiredRow = page.locator(`tr[data-key-id="${old.body.api_key.id}"]`);
    await expiredRow.locator('.badge-expired', { hasText: 'expired' }).waitFor();
    expect(await expiredRow.getByRole('button', { name: /Revoke/ }).count()).toBe(0);

    const next = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('Name (optional)').fill('Until next month');
    await page.getByLabel('Works until (optional, the end of that day UTC)').fill(next);
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.locator('.shown-once').waitFor();
    const row = page.locator('table.keys tbody tr', { hasText: 'Until next month' });
    await expect(row.locator('.key-status').textContent()).resolves.toContain(`active, expires ${next} 23:59 UTC`);
    expect((await screenshot(page, 'keys-expiry')).subarray(0, 4)).toEqual(PNG_MAGIC);
    await expect(page.getByLabel('Works until (optional, the end of that day UTC)').inputValue()).resolves.toBe('');
    const keys = await t.admin.get<{ keys: { name: string; expires_at: string | null }[] }>(
      `/v1/projects/${project.id}/keys`,
    );
    expect(keys.body.keys.find((k) => k.name === 'Until next month')?.expires_at).toBe(`${next}T23:59:59.000Z`);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('finds any of the project\'s documents for a golden question\'s "should cite", not only the first page', async () => {
    const many = await t.project('Many documents');
    // the oldest document is on the last page of a newest-first list of more than one page
    const oldest = await many.client.post<{ document: Doc }>('/v1/documents?wait=true', {
      title: 'Zeppelin maintenance',
      text: 'Zeppelins are inspected every spring.',
    });
    for (let i = 0; i < 200; i++) {
      const res = await many.client.post('/v1/documents?wait=true', { title: `Note ${i}`, text: `Note number ${i}.` });
      expect(res.status).toBe(201);
    }
    const { page, problems } = await adminPage(`#/projects/${many.id}/golden`);
    await page.getByLabel('Question', { exact: true }).fill('How often are zeppelins inspected?');
    await page.getByLabel('Find a document to cite').fill('zeppelin');
    const picker = page.getByLabel('Should cite one of (optional)');
    await expect(picker.locator('option').allTextContents()).resolves.toEqual(['Zeppelin maintenance']);
    await picker.selectOption({ label: 'Zeppelin maintenance' });
    // a search that hides nothing chosen
    await page.getByLabel('Find a document to cite').fill('Note 19');
    await expect(picker.locator('option').allTextContents()).resolves.toEqual(
      expect.arrayContaining(['Zeppelin maintenance', 'Note 19', 'Note 190']),
    );
    await page.getByRole('button', { name: 'Add question' }).click();
    await page.locator('.golden-item', { hasText: 'zeppelins' }).waitFor();
    const golden = await t.admin.get<{ golden_questions: { expected_document_ids: string[] }[] }>(
      `/v1/projects/${many.id}/golden-questions`,
    );
    expect(golden.body.golden_questions[0].expected_document_ids).toEqual([oldest.body.document.id]);
    expect(problems).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('gives each file of a multi-file drop its own title and link, or none, and clears them afterwards', async () => {
    const drop = await t.project('Drops');
    const { page, problems } = await adminPage(`#/projects/${drop.id}/documents`);
    await page.getByLabel('Title (optional)').fill('Shared title');
    const files = [
      ['alpha.md', '# Alpha\n\nAlpha text.'],
      ['beta.md', '# Beta\n\nBeta text.'],
    ];
    const dataTransfer = await page.evaluateHandle(
      `(() => { const dt = new DataTransfer(); for (const [n, t] of ${JSON.stringify(files)}) dt.items.add(new File([t], n, { type: 'text/markdown' })); return dt; })()`,
    );
    await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer });

    await page.getByLabel('Title of alpha.md (optional)').fill('Alpha guide');
    await page.getByLabel('Link of alpha.md (optional)').fill('/help/alpha');
    // beta.md: no title, no link
    await page.getByRole('button', { name: 'Upload 2 files' }).click();
    await page.locator('table.documents tbody tr', { hasText: 'Alpha guide' }).locator('.badge-ready').waitFor();
    await page.locator('table.documents tbody tr', { hasText: 'beta.md' }).locator('.badge-ready').waitFor();

    const docs = (await drop.client.get<{ documents: Doc[] }>('/v1/documents')).body.documents;
    const byFile = Object.fromEntries(docs.map((d) => [d.filename, d]));
    expect(byFile['alpha.md']).toMatchObject({ title: 'Alpha guide', url: '/help/alpha' });
    expect(byFile['beta.md'].title).not.toBe('Shared title');
    expect(byFile['beta.md'].title).not.toBe('Alpha guide');
    expect(byFile['beta.md'].url).toBeNull();
    // nothing is left for the next file
    expect(await page.getByLabel('Title of alpha.md (optional)').count()).toBe(0);

    // a single file takes the fields above, and they are cleared once it is sent
    await page.getByLabel('Title (optional)').fill('Gamma notes');
    await page.getByLabel('Link for citations (optional, e.g. /help/refunds)').fill('/help/gamma');
    await page
      .getByLabel('Choose files')
      .setInputFiles({ name: 'gamma.md', mimeType: 'text/markdown', buffer: Buffer.from('# Gamma\n\nGamma text.') });
    await page.locator('table.documents tbody tr', { hasText: 'Gamma notes' }).locator('.badge-ready').waitFor();
    await expect(page.getByLabel('Title (optional)').inputValue()).resolves.toBe('');
    await expect(page.getByLabel('Link for citations (optional, e.g. /help/refunds)').inputValue()).resolves.toBe('');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("shows a review key its project's name and its audit tab", async () => {
    const review = await t.admin.post<{ api_key: { key: string } }>(`/v1/projects/${project.id}/keys`, {
      name: 'customer',
      scopes: ['review'],
    });
    const { page, problems } = await newPage(browser);
    await signIn(page, t.url, review.body.api_key.key, project.id);
    await page.getByRole('heading', { name: 'Initech' }).waitFor();
    const tabs = page.getByRole('navigation', { name: 'Project sections' });
    await expect(tabs.getByRole('link').allTextContents()).resolves.toEqual([
      'Documents',
      'Chat',
      'Golden questions',
      'Audit log',
    ]);
    await tabs.getByRole('link', { name: 'Audit log' }).click();
    // the key's own sign-in is in the project's audit
    await page.locator('table.audit tbody tr', { hasText: 'golden.list' }).first().waitFor();
    expect((await screenshot(page, 'review-view', false)).subarray(0, 4)).toEqual(PNG_MAGIC);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
