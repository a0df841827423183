import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildDashboard } from '../../dashboard/build';
import { startTestServer, type TestServer } from '../helpers/server';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export function launch(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: apt-get install chromium, or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

/** A real local server (temp data dir) serving the built dashboard, and one Chromium. */
export async function startDashboard(): Promise<{ t: TestServer; browser: Browser }> {
  await buildDashboard(undefined, { ifChanged: true });
  const [t, browser] = await Promise.all([startTestServer(), launch()]);
  return { t, browser };
}

/** A fresh page that fails the test on any script error or CSP violation in the dashboard. */
export async function newPage(browser: Browser, viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  // Every animation frame comes 90 ms late, as on a loaded machine. Preact runs effects after the
  // next frame, so a test typing into a page just rendered races its effects every time, not once
  // in a while: code that lets a late effect overwrite what a user typed fails here on every run.
  await page.addInitScript({
    content: `{
      const frame = window.requestAnimationFrame.bind(window);
      window.requestAnimationFrame = (cb) => frame(() => setTimeout(() => cb(performance.now()), 90));
    }`,
  });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('dialog', (d) => void d.accept());
  return { page, problems };
}

/** Fills in the sign-in form and submits it, without waiting for what follows (a test of a refusal). */
export async function submitSignIn(page: Page, url: string, key: string, projectId?: string) {
  await page.goto(`${url}/`);
  await page.getByLabel('API key').fill(key);
  if (projectId) await page.getByLabel('Project id').fill(projectId);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Signs in and waits for the shell: the page has then moved to its start page, so a test's own
 * navigation that follows is not overtaken by it.
 */
export async function signIn(page: Page, url: string, key: string, projectId?: string) {
  await submitSignIn(page, url, key, projectId);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/**
 * Screenshots of the main pages for docs/screenshots. Taken on every run (so a page that fails to
 * render fails here); written to docs/screenshots only with OPRAG_SCREENSHOTS=1, so test runs
 * leave the committed images alone.
 */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<Buffer> {
  // keys shown once are masked: the images hold no secret, even a dead test server's
  const png = await page.screenshot({ fullPage, mask: [page.locator('input.secret')], maskColor: '#d9dee5' });
  if (process.env.OPRAG_SCREENSHOTS === '1') {
    const dir = join(__dirname, '..', '..', 'docs', 'screenshots');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.png`), png);
  }
  return png;
}

export const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
