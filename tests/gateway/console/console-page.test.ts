// The installer console page in headless Chromium (Debian's /usr/bin/chromium via playwright-core):
// a wrong password is refused on the page, the right one logs in with an httpOnly SameSite=Strict cookie,
// live values and a source's last error appear, the config check follows edits to the file, the
// test-siren button emits a test_alarm command on the event bus, and a screenshot is a real PNG.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleStage, type ConsoleStage } from '../../../gateway/console/stage.js';
import type { GatewayCommand, Measurement } from '../../../gateway/pipeline/types.js';
import { freePort, requireBinary, tempDir } from '../../helpers/peers.js';
import { makeContext, PASSWORD, writePasswordFile, type TestContext } from './fixture.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
const dir = tempDir('console-page');
const profile = tempDir('console-chromium');
let test: TestContext;
let stage: ConsoleStage;
let browser: BrowserContext;
let page: Page;
let base = '';
const commands: GatewayCommand[] = [];

function measurement(source: string, point: string, value: number, unit: string): Measurement {
  return { source, point, class: 'power', value, unit, ts: Date.now(), mono: performance.now(), timeSynced: true, quality: 'good', tags: {} };
}

beforeAll(async () => {
  const port = await freePort();
  test = makeContext(dir.path, port, await writePasswordFile(dir.path));
  stage = createConsoleStage(test.context, { configFile: test.configFile })!;
  await stage.start();
  base = `http://127.0.0.1:${port}`;
  test.context.events.on('command', (c) => commands.push(c));
  requireBinary('/usr/bin/chromium');
  browser = await chromium.launchPersistentContext(profile.path, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
  page = browser.pages()[0] ?? (await browser.newPage());
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await stage?.stop();
  profile.remove();
  dir.remove();
});

describe('installer console in headless Chromium', () => {
  it('refuses a wrong password on the page', async () => {
    await page.goto(base);
    expect(page.url()).toBe(`${base}/login`);
    await page.fill('#password', 'not-the-password');
    await page.click('#login-button');
    await page.waitForSelector('#login-error:has-text("wrong password")', { timeout: 5000 });
    expect(page.url()).toBe(`${base}/login`);
  }, 15_000);

  it('logs in with the right password and shows live values, quality and the last error', async () => {
    await page.fill('#password', PASSWORD);
    await page.click('#login-button');
    await page.waitForURL(`${base}/`, { timeout: 5000 });
    const cookie = (await browser.cookies()).find((c) => c.name === 'lastmile_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    const { events } = test.context;
    events.emit('measurement', measurement('b1-meter', 'voltage', 230.5, 'V'));
    events.emit('measurement', measurement('b1-meter', 'current', 4.25, 'A'));
    events.emit('source.status', { source: 'b1-meter', online: true, mono: performance.now() });
    events.emit('source.status', { source: 'pump-th', online: false, mono: performance.now(), lastError: { kind: 'timeout', message: 'no answer within the timeout' } });
    test.context.stats.inc('modbus.timeout', { source: 'pump-th' }, 3);

    const voltage = page.locator('[data-source="b1-meter"] tr[data-point="voltage"]');
    await voltage.locator('td.value:has-text("230.5 V")').waitFor({ timeout: 5000 });
    expect(await voltage.textContent()).toContain('正常 good');
    const pump = page.locator('[data-source="pump-th"]');
    await pump.locator('.last-error').waitFor({ timeout: 5000 });
    expect(await pump.textContent()).toMatch(/离线 offline[\s\S]*last error: timeout: no answer within the timeout[\s\S]*timeout ×3/);
    expect(await page.textContent('#config')).toContain('有效 valid');
    expect(await page.textContent('#uplink')).toContain('未配置 / not configured');
    expect(await page.textContent('#spool')).toContain('未配置 / not configured');
    expect(await page.textContent('#gateway-title')).toContain('红旗巷测试网关');
  }, 20_000);

  it('shows the config file\'s problems after an edit', async () => {
    writeFileSync(test.configFile, readFileSync(test.configFile, 'utf8').replace('unit: 2,', 'unit: 999,'));
    await page.waitForSelector('#config:has-text("有问题 problems")', { timeout: 6000 });
    expect(await page.textContent('#config')).toMatch(/sources\[1\]\.unit/);
  }, 15_000);

  it('emits a test_alarm command from the test-siren button', async () => {
    await page.selectOption('#siren-level', 'fire');
    await page.click('#test-siren');
    await page.waitForSelector('#siren-result:has-text("test sent")', { timeout: 5000 });
    expect(commands).toEqual([{ kind: 'test_alarm', by: 'console@127.0.0.1', level: 'fire', forMs: 10_000 }]);
  }, 15_000);

  it('renders a non-trivial screenshot', async () => {
    const file = join(dir.path, 'console.png');
    await page.screenshot({ path: file, fullPage: true });
    const png = readFileSync(file);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(1280); // IHDR width
    expect(png.readUInt32BE(20)).toBeGreaterThanOrEqual(600); // IHDR height
    expect(png.length).toBeGreaterThan(30_000);
    if (process.env.LASTMILE_KEEP_SCREENSHOT) writeFileSync(process.env.LASTMILE_KEEP_SCREENSHOT, png);
  }, 15_000);
});
