import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server';
import { newPage, signIn, startDashboard } from './harness';

jest.setTimeout(60_000); // the whole suite shares two cores with Chromium

describe('dashboard, a file past the request-body limit', () => {
  let t: TestServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    ({ t, browser } = await startDashboard());
    ({ page, problems } = await newPage(browser));
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  afterEach(() => expect(problems).toEqual([]));

  it('goes through an upload URL bound to the file size, and becomes ready', async () => {
    const p = await t.project('big files');
    const line = 'Capybaras are the largest rodents and live in groups near water.\n';
    const text = line.repeat(Math.ceil((4.5 * 2 ** 20) / line.length));
    const asked: unknown[] = [];
    page.on('request', (req) => {
      if (req.method() === 'POST' && req.url().endsWith(`/v1/projects/${p.id}/uploads`)) {
        asked.push(req.postDataJSON());
      }
    });
    await signIn(page, t.url, t.adminKey);
    await page.goto(`${t.url}/#/projects/${p.id}/documents`);
    await page.getByLabel('Title (optional)').fill('Capybaras');

    await page
      .getByLabel('Choose files')
      .setInputFiles({ name: 'capybaras.txt', mimeType: 'text/plain', buffer: Buffer.from(text) });
    await page
      .locator('table.documents tbody tr', { hasText: 'Capybaras' })
      .locator('.badge-ready')
      .waitFor({ timeout: 30_000 });

    expect(asked).toEqual([expect.objectContaining({ filename: 'capybaras.txt', size: Buffer.byteLength(text) })]);
    const listed = await p.client.get<{ documents: { title: string; bytes: number }[] }>('/v1/documents');
    expect(listed.body.documents).toEqual([
      expect.objectContaining({ title: 'Capybaras', bytes: Buffer.byteLength(text) }),
    ]);
  });
});
