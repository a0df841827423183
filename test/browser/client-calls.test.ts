import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { Oprag } from '../../lambdas/client/oprag';
import { makeDocx } from '../fixtures/documents';
import type { TestServer } from '../helpers/server';
import { newPage, signIn, startDashboard, submitSignIn } from './harness';

jest.setTimeout(60_000); // the whole suite shares two cores with Chromium

/** The dashboard calls the API through the typed client; what a user sees of its errors stays in plain words. */
describe('dashboard, through the typed client', () => {
  let t: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ t, browser } = await startDashboard());
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('says the API could not be reached when no answer comes, and signs nobody in', async () => {
    const { page, problems } = await newPage(browser);
    await page.route('**/v1/**', (route) => route.abort('connectionrefused'));
    await submitSignIn(page, t.url, t.adminKey);

    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'Could not reach the Oprag API. Check your connection and try again.',
    );
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("puts an answer without the API's error body in plain words by its status", async () => {
    const { page, problems } = await newPage(browser);
    await page.route('**/v1/company', (route) =>
      route.fulfill({ status: 429, contentType: 'text/html', body: '<h1>slow down</h1>' }),
    );
    await submitSignIn(page, t.url, t.adminKey);

    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'Too many requests right now; wait a moment and try again.',
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("downloads a document's original under the name the API gives, byte for byte", async () => {
    const admin = new Oprag({ baseUrl: t.url, key: t.adminKey });
    const { project } = await admin.projects.create({ name: 'Originals' });
    const docx = makeDocx(['Returns are accepted within 30 days.']);
    await admin
      .project(project.id)
      .documents.upload(new Uint8Array(docx), { filename: 'retours été.docx', title: 'Returns' }, { wait: true });
    const { page, problems } = await newPage(browser);
    await signIn(page, t.url, t.adminKey);
    await page.evaluate(`location.hash = '#/projects/${project.id}/documents'`);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'View original of Returns' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('retours été.docx');
    expect(readFileSync((await download.path()) as string).equals(docx)).toBe(true);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
