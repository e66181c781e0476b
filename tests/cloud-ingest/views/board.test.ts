// Board basics (issue 16) in headless Chromium at 1366 px and 390 px: display names with ids on hover,
// values with units, an event-only access controller online by its heartbeat contract though silent for
// hours, the history chart, no horizontal overflow, screenshots; and the red banner once the server stops
// answering: the page goes through a TCP relay the test freezes (connections stay open, nothing arrives),
// so only the page's heartbeat watch can notice.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import { topics } from '../../../contract/wire.js';
import { hashPassword } from '../../../cloud-ingest/registry/password.js';
import type { CloudIngest } from '../../../cloud-ingest/service.js';
import { tempDir } from '../../helpers/peers.js';
import { startVictoria, type Victoria } from '../../helpers/victoria.js';
import { alarmEvent, connectGateway, provision, publishBatchReceipted, Receipts, startService, testConfig } from '../fixture.js';
import { expectNoHorizontalOverflow, expectVisibleWithin } from '../../helpers/layout.js';
import { DESKTOP, login, openBrowser, PHONE } from './browser.js';

/** A TCP relay to the console whose server-to-browser direction can be frozen (a hung server or network). */
async function relay(targetPort: number): Promise<{ port: number; frozen: { on: boolean }; close(): Promise<void> }> {
  const frozen = { on: false };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => { if (!frozen.on) client.write(d); });
    const end = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, frozen, close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }) };
}

describe('board basics at 1366 px and 390 px', () => {
  let vm: Victoria;
  let service: CloudIngest;
  let gateway: MqttClient;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let page: Page;
  let proxy: Awaited<ReturnType<typeof relay>>;
  const shots = tempDir('screenshots');
  const now = Date.now();

  beforeAll(async () => {
    vm = await startVictoria();
    const config = testConfig({
      influx: { url: vm.url },
      console: { enabled: true, host: '127.0.0.1', port: 0, secureCookie: false, users: [{ name: 'li', township: 'chengguan', passwordHash: hashPassword('pw-li'), displayName: '李值班' }] },
      views: {
        names: { townships: { chengguan: '城关街道' }, compounds: { 'hongqi-lane-12': '红旗巷12号院' }, gateways: { 'gw-hq12': '红旗巷12号网关' }, sources: { 'gw-hq12/b1-rcm': '1号楼电气火灾探测器', 'acs-1': '东门门禁' } },
        fields: [{ field: 'loop8_current', unit: 'mA', name: { zh: '回路8剩余电流', en: 'Loop 8 residual current' }, thresholds: [{ value: 300, level: 'alarm', label: '报警值' }] }],
        heartbeats: { 'acs-1': 86_400 },
      },
    });
    const a = provision(config.dataDir, 'gw-hq12', 'chengguan', 'hongqi-lane-12');
    service = await startService(config);
    proxy = await relay(service.consolePort);
    gateway = await connectGateway(service.brokerPort, 'gw-hq12', a.password);
    const receipts = await Receipts.watch(gateway, 'gw-hq12');
    // A day of minute samples before them, with the gateway off from 10 h to 8 h ago (a gap on the chart).
    const day: string[] = [];
    for (let t = now - 86_400_000; t < now - 300_000; t += 60_000) if (t < now - 36_000_000 || t > now - 28_800_000) day.push(`residual_current,source=b1-rcm loop8_current=${Math.round(90 + 40 * Math.sin(t / 5_400_000))} ${t}`);
    await publishBatchReceipted(gateway, receipts, 'gw-hq12', 'b0', day);
    await publishBatchReceipted(gateway, receipts, 'gw-hq12', 'b1', [0, 1, 2, 3, 4].map((i) => `residual_current,source=b1-rcm loop8_current=${80 + i} ${now - 240_000 + i * 60_000}`));
    // The access controller last spoke three hours ago: the gateway's driver calls it offline between events.
    await gateway.publishAsync(topics.status('gw-hq12'), JSON.stringify({ gateway: 'gw-hq12', online: true, ts: now, timeSynced: true, version: '0.1.0', uptimeS: 9, spool: { telemetryBytes: 0, alarmEvents: 0, dropped: 0, oldestMs: undefined }, sources: { 'b1-rcm': { online: true, lastSeen: now }, 'acs-1': { online: false, lastSeen: now - 3 * 3_600_000 }, 'smoke-9': { online: false, lastSeen: now - 3 * 3_600_000, lastError: 'timeout' } } }), { qos: 1, retain: true });
    await gateway.publishAsync(topics.alarm('gw-hq12', 'ev-rcm'), JSON.stringify(alarmEvent({ eventId: 'ev-rcm', alarmId: 'b1-rcm/loop8_current', level: 'alarm', source: 'b1-rcm', point: 'loop8_current', value: 320, text: { zh: '1号楼剩余电流超限', en: 'Residual current high, building 1' } })), { qos: 1 });
    await receipts.wait('a', 'ev-rcm');
    await vm.waitForSamples('{__name__="residual_current_loop8_current"}', day.length + 5, 30_000);
    browser = await openBrowser();
    page = browser.page;
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.endAsync(true);
    await proxy?.close();
    await service?.stop();
    await vm?.stop();
    if (!process.env.LASTMILE_KEEP_SCREENSHOT) shots.remove();
  });

  it('shows names with ids on hover, values with units, and judges the access controller by its heartbeat', { timeout: 60_000 }, async () => {
    await login(page, `http://127.0.0.1:${proxy.port}`, 'li', 'pw-li');
    const card = '.case[data-case="gw-hq12.ev-rcm"]';
    await page.waitForSelector(card);
    const meta = (await page.textContent(`${card} .meta`)) ?? '';
    expect(meta).toContain('红旗巷12号院');
    expect(meta).toContain('1号楼电气火灾探测器 = 320 mA');
    expect(meta).not.toContain('hongqi-lane-12');
    expect(await page.getAttribute(`${card} .meta .name[data-id="hongqi-lane-12"]`, 'title')).toBe('hongqi-lane-12');
    await page.waitForSelector('#gateways tr[data-gateway="gw-hq12"]');
    expect(await page.getAttribute('#gateways [data-source="acs-1"]', 'class')).toBe('on');
    expect(await page.textContent('#gateways [data-source="acs-1"]')).toBe('东门门禁');
    expect(await page.getAttribute('#gateways [data-source="smoke-9"]', 'class')).toBe('off');
    await page.waitForSelector('#series li[data-source="b1-rcm"]');
    expect(await page.textContent('#series li[data-source="b1-rcm"]')).toBe('红旗巷12号院 · 1号楼电气火灾探测器 · 回路8剩余电流 = 84 mA');
    expect(await page.getAttribute('#series li[data-source="b1-rcm"]', 'title')).toContain('gw-hq12 · b1-rcm · residual_current.loop8_current');
    // Data quality now: the access controller counts as online by its heartbeat; smoke-9 is silent.
    const quality = (await (await page.request.get(`http://127.0.0.1:${proxy.port}/api/quality`)).json()) as { sources: { total: number; online: number }; silent: { source: string }[] };
    expect(quality.sources).toEqual({ total: 3, online: 2, rate: 2 / 3 });
    expect(quality.silent.map((x) => x.source)).toEqual(['smoke-9']);
    // The statistics panel: this township's one open case, by compound name; closure rate 0 %.
    expect(await page.textContent('#stats .stats-summary')).toContain('警情 1 · 结案率 0%');
    expect(await page.textContent('#stats tr[data-compound="hongqi-lane-12"]')).toContain('红旗巷12号院');
    // An open alarm-level case: orange by the default risk rules.
    expect(await page.getAttribute('#stats tr[data-compound="hongqi-lane-12"]', 'data-risk')).toBe('orange');
    expect(await page.textContent('#stats tr[data-compound="hongqi-lane-12"] .risk')).toBe('橙');
  });

  for (const viewport of [DESKTOP, PHONE]) {
    it(`lays out at ${viewport.width} px: no horizontal overflow, board, gateways, series and chart visible`, async () => {
      await page.setViewportSize(viewport);
      await page.click('#series li[data-source="b1-rcm"]');
      await page.waitForSelector('#chart canvas');
      await expect.poll(() => page.getAttribute('#chart', 'data-from')).toBe('database');
      expect(await page.getAttribute('#chart', 'data-thresholds')).toBe('1');
      // The outage is drawn as a gap (about 24 null steps of 5 min), the rest as data.
      expect(Number(await page.getAttribute('#chart', 'data-gaps'))).toBeGreaterThanOrEqual(20);
      expect(Number(await page.getAttribute('#chart', 'data-points'))).toBeGreaterThanOrEqual(250);
      expect(await page.textContent('#chart .chart-title')).toContain('(mA)');
      // The chart redraws at the new width when its resize observer fires, a frame or more after the
      // viewport changed (on a loaded box it was still 439 px wide at the first look): wait for it to settle.
      await expect.poll(async () => { const box = await page.locator('#chart canvas').first().boundingBox(); return box ? box.x + box.width : Infinity; }, { timeout: 10_000 }).toBeLessThanOrEqual(viewport.width + 0.5);
      await expectNoHorizontalOverflow(page, `${viewport.width} px`);
      for (const selector of ['header h1', '#board .case', '#gateways tr[data-gateway="gw-hq12"]', '#stats tr[data-compound="hongqi-lane-12"]', '#series li', '#chart canvas']) await expectVisibleWithin(page, selector, viewport.width);
      // The title is one or two lines, not one character per line.
      const title = await page.locator('header h1').boundingBox();
      expect(title!.height).toBeLessThan(60);
      await page.screenshot({ path: join(shots.path, `board-${viewport.width}.png`), fullPage: true });
    });
  }

  it('shows the red banner when the server stops answering, and hides it when it is back', async () => {
    expect(await page.isVisible('#lost-banner')).toBe(false);
    proxy.frozen.on = true;
    // The page hears no heartbeat (every 2 s) and declares the server lost after 5 s; bounded generously for a loaded box.
    await page.waitForSelector('#lost-banner', { state: 'visible', timeout: 20_000 });
    expect(await page.textContent('#lost-banner')).toContain('与服务器失去连接');
    await expectNoHorizontalOverflow(page, 'banner at 390 px');
    await page.screenshot({ path: join(shots.path, 'board-lost-390.png') });
    proxy.frozen.on = false;
    await page.waitForSelector('#lost-banner', { state: 'hidden', timeout: 20_000 });
  });

  it('prints the daily report in zh-CN: figures, compounds with their risk colour, night-time electricity', async () => {
    await page.setViewportSize(DESKTOP);
    await page.goto(`http://127.0.0.1:${proxy.port}/report`);
    await page.waitForSelector('#report h1');
    expect(await page.textContent('#report h1')).toMatch(/^城关街道 · 日报 · \d{4}-\d{2}-\d{2}$/);
    expect(await page.textContent('#report tr[data-compound="hongqi-lane-12"]')).toContain('红旗巷12号院橙（open:alarm）1');
    expect(await page.textContent('#report')).toContain('夜间用电异常');
    await expectNoHorizontalOverflow(page, 'report at 1366 px');
    await page.screenshot({ path: join(shots.path, 'report-1366.png'), fullPage: true });
  });
});
