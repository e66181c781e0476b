// Chromium for the township views' tests: Debian's /usr/bin/chromium driven by playwright-core, a
// temp profile, and the two viewports every view is checked at (layout checks: tests/helpers/layout.ts).
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { requireBinary, tempDir } from '../../helpers/peers.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

export const DESKTOP = { width: 1366, height: 800 };
export const PHONE = { width: 390, height: 844 };

export async function openBrowser(): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  requireBinary('/usr/bin/chromium');
  const profile = tempDir('chromium');
  const context = await chromium.launchPersistentContext(profile.path, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: DESKTOP });
  const page = context.pages()[0] ?? (await context.newPage());
  // A missing element fails with its selector named, well inside the test's own timeout.
  page.setDefaultTimeout(15_000);
  return { context, page, close: async () => { await context.close(); profile.remove(); } };
}

export async function login(page: Page, base: string, user: string, password: string): Promise<void> {
  await page.goto(base);
  await page.fill('#user', user);
  await page.fill('#password', password);
  await page.click('#login-button');
  await page.waitForSelector('#app:not([hidden])');
}
