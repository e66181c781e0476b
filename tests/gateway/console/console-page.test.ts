// The installer console page in headless Chromium (Debian's /usr/bin/chromium via playwright-core):
// a wrong password is refused on the page, the right one logs in with an httpOnly SameSite=Strict cookie,
// live values and a source's last error appear, the config check follows edits to the file, the
// test-siren button emits a test_alarm command on the event bus, and the page lays out at 1280 and 390 px.
import { readFileSync, writeFileSync } from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleStage, type ConsoleStage } from '../../../gateway/console/stage.js';
import { type GatewayCommand, type Measurement, SOURCE_FAULT_CODES } from '../../../gateway/pipeline/types.js';
import { freePort, requireBinary, tempDir } from '../../helpers/peers.js';
import { expectNoHorizontalOverflow, expectNoOverlap, expectVisibleWithin } from '../../helpers/layout.js';
import { waitFor } from '../../helpers/wait.js';
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

function alarmBase(ts: number) {
  return {
    eventId: 'e-2', alarmId: 'pump-th.humidity.high_humidity', level: 'alarm' as const, source: 'pump-th', point: 'humidity', rule: 'high_humidity', value: 97,
    text: { zh: '湿度过高', en: 'High humidity' }, tags: { building: '2', floor: '-1', room: 'pump-room' }, ts, mono: 0, timeSynced: true,
  };
}

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
    events.emit('source.status', { source: 'pump-th', online: false, mono: performance.now(), lastError: { kind: 'timeout', code: SOURCE_FAULT_CODES.timeout, message: 'no answer within the timeout' } });
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

  it('shows a raised alarm with level, place and time, the siren sounding for it, and acknowledges it', async () => {
    const raisedTs = Date.UTC(2026, 11, 2, 1, 30, 45);
    test.context.events.emit('alarm', {
      eventId: 'e-1', alarmId: 'pump-th.humidity.high_humidity', transition: 'raise', state: 'raised', level: 'alarm', source: 'pump-th', point: 'humidity', rule: 'high_humidity',
      value: 97, text: { zh: '2号楼-1层 pump-room 相对湿度 97 %RH：湿度过高，请到现场查看', en: 'Building 2 Floor -1 pump-room: Relative humidity 97 %RH: High humidity, go and check on site' },
      tags: { building: '2', floor: '-1', room: 'pump-room' }, ts: raisedTs, mono: 0, timeSynced: true, by: undefined,
    });
    const row = page.locator('#alarms tr[data-alarm="pump-th.humidity.high_humidity"]');
    await row.waitFor({ timeout: 6000 });
    const text = (await row.textContent())!;
    expect(text).toContain('报警 alarm');
    expect(text).toContain('2号楼-1层 pump-room');
    expect(text).toContain('湿度过高');
    expect(text).toContain(new Date(raisedTs).toLocaleTimeString('zh-CN', { hour12: false }));
    expect(text).toContain('未确认 raised');
    // The siren sounds for a raised alarm; the strobe flashes for it too.
    expect(await page.textContent('[data-output="siren-1"]')).toContain('鸣响 sounding · 报警 alarm');
    expect(await page.textContent('[data-output="strobe-1"]')).toContain('闪烁 flashing');
    // The card says where, as an installer reads it.
    expect(await page.textContent('[data-source="pump-th"] .place')).toBe('2号楼 · -1层 · pump-room');

    await row.locator('button[data-action="acknowledge"]').click();
    await waitFor('acknowledge command', () => commands.find((c) => c.kind === 'acknowledge'));
    expect(commands.find((c) => c.kind === 'acknowledge')).toEqual({ kind: 'acknowledge', alarmId: 'pump-th.humidity.high_humidity', by: 'console@127.0.0.1' });
    // Once acknowledged (as the engine would answer), the siren is quiet and the strobe still flashes.
    test.context.events.emit('alarm', { ...alarmBase(raisedTs), transition: 'acknowledge', state: 'acknowledged', by: 'console@127.0.0.1' });
    await page.waitForSelector('[data-output="siren-1"]:has-text("静音 quiet")', { timeout: 6000 });
    expect(await page.textContent('[data-output="strobe-1"]')).toContain('闪烁 flashing');
  }, 20_000);

  it('shows states in zh-CN with en beside, and a fault-flag register with its bits named', async () => {
    const { events } = test.context;
    const at = { ts: Date.now(), mono: performance.now(), timeSynced: true, quality: 'good' as const, tags: {}, class: 'residual_current' as const, unit: undefined };
    events.emit('measurement', { ...at, source: 'b1-rcm', point: 'meter_type', value: 'residual_current_monitor' });
    // 0x1040: bits 12–15 (meter type 1) and bit 6 (loop 1's 2-bit state = 1), both decoded by other points.
    events.emit('measurement', { ...at, source: 'b1-rcm', point: 'fault_flags_1_4', value: 0x1040 });
    const flags = page.locator('[data-source="b1-rcm"] tr[data-point="fault_flags_1_4"] td.value');
    await flags.waitFor({ timeout: 6000 });
    await page.waitForSelector('[data-source="b1-rcm"] tr[data-point="fault_flags_1_4"] td.value:has-text("0x1040")', { timeout: 6000 });
    expect(await flags.textContent()).toBe('0x1040 · 回路1传感器状态=1，仪表类型=1');
    expect(await page.textContent('[data-source="b1-rcm"] tr[data-point="meter_type"] td.value')).toBe('剩余电流监测仪 residual current monitor');
  }, 20_000);

  it('fits a 1366 px screen: no horizontal overflow, with long errors, config problems and an alarm on the page', async () => {
    await page.setViewportSize({ width: 1366, height: 768 });
    test.context.events.emit('source.status', { source: 'b1-meter', online: false, mono: performance.now(), lastError: { kind: 'connection', code: SOURCE_FAULT_CODES.connection, message: `connect ECONNREFUSED 127.0.0.1:1502 ${'x'.repeat(300)}` } });
    await page.waitForSelector('[data-source="b1-meter"] .last-error:has-text("ECONNREFUSED")', { timeout: 6000 });
    await page.waitForSelector('#config:has-text("有问题 problems")', { timeout: 6000 });
    // A string, because this project's TypeScript has no DOM lib; it runs in the page.
    const { scrollWidth, clientWidth } = (await page.evaluate('({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })')) as { scrollWidth: number; clientWidth: number };
    expect(clientWidth).toBeLessThanOrEqual(1366);
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);

    // A phone: larger type than on the desktop, one column, still no horizontal overflow.
    const bodyFont = async () => Number(((await page.evaluate('getComputedStyle(document.body).fontSize')) as string).replace('px', ''));
    const desktopFont = await bodyFont();
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await bodyFont()).toBeGreaterThan(desktopFont);
    const phone = (await page.evaluate('({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })')) as { scrollWidth: number; clientWidth: number };
    expect(phone.scrollWidth).toBeLessThanOrEqual(phone.clientWidth);
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 20_000);

  // What a screenshot would show wrong, asserted: at a laptop's width and at a phone's (installers
  // commission from either), nothing sticks out sideways, no panel is drawn over another, and every
  // panel and the siren test lie within the screen.
  for (const viewport of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
    it(`lays out the console at ${viewport.width} px`, async () => {
      await page.setViewportSize(viewport);
      await page.waitForSelector('#alarms tr[data-alarm]');
      if (process.env.LASTMILE_KEEP_SCREENSHOT) await page.screenshot({ path: `${process.env.LASTMILE_KEEP_SCREENSHOT}-${viewport.width}.png`, fullPage: true });
      await expectNoHorizontalOverflow(page, `installer console at ${viewport.width} px`);
      const panels = ['header', '#alarms-panel', '#outputs-panel', '#config-panel', '#uplink-panel', '#spool-panel', '#siren-panel'];
      for (const selector of [...panels, '#test-siren', '#siren-level']) await expectVisibleWithin(page, selector, viewport.width);
      await expectNoOverlap(page, panels);
      // The title (a long gateway name here) wraps to a few lines on a phone, never one character per line.
      expect((await page.locator('#gateway-title').boundingBox())!.height).toBeLessThan(viewport.width < 600 ? 160 : 80);
    }, 15_000);
  }
});
