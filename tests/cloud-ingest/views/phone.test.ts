// The grid worker's phone page (issue 16) in Chromium at 390 px: the officer dispatches a fire to 王网格
// on the board's API; on the phone the case shows where first (compound, building, unit, room, device),
// then what to do; 已到场 and 处理完毕 (note and a photo) feed the same workflow the board shows, and
// the photo is stored and served to this township only. No horizontal overflow; a screenshot is saved.
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import { topics } from '../../../contract/wire.js';
import { hashPassword } from '../../../cloud-ingest/registry/password.js';
import type { CloudIngest } from '../../../cloud-ingest/service.js';
import { tempDir } from '../../helpers/peers.js';
import { BoardClient } from '../workflow/board-client.js';
import { alarmEvent, connectGateway, provision, startService, testConfig, waitFor } from '../fixture.js';
import { expectNoHorizontalOverflow, expectVisibleWithin } from '../../helpers/layout.js';
import { login, openBrowser, PHONE } from './browser.js';

/** A 1×1 PNG made here (signature, IHDR, IDAT, IEND with their CRCs). */
function tinyPng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b: Buffer) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type: string, data: Buffer) => { const len = Buffer.alloc(4); len.writeUInt32BE(data.length); const td = Buffer.concat([Buffer.from(type), data]); const c = Buffer.alloc(4); c.writeUInt32BE(crc(td)); return Buffer.concat([len, td, c]); };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.from([0, 255, 0, 0]))), chunk('IEND', Buffer.alloc(0))]);
}

describe('grid worker phone page at 390 px', () => {
  let service: CloudIngest;
  let gateway: MqttClient;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let page: Page;
  let officer: BoardClient;
  let base = '';
  const shots = tempDir('screenshots');
  const caseId = 'gw-hq12.ev-fire';

  beforeAll(async () => {
    const config = testConfig({
      console: {
        enabled: true, host: '127.0.0.1', port: 0, secureCookie: false,
        users: [
          { name: 'li', township: 'chengguan', passwordHash: hashPassword('pw-li'), displayName: '李值班' },
          { name: 'wang', township: 'chengguan', passwordHash: hashPassword('pw-wang'), displayName: '王网格' },
        ],
      },
      workflow: { staff: [{ name: 'li', township: 'chengguan', displayName: '李值班', role: 'officer' }, { name: 'wang', township: 'chengguan', displayName: '王网格', role: 'responder' }], roster: { chengguan: ['li'] } },
      views: { names: { compounds: { 'hongqi-lane-12': '红旗巷12号院' }, sources: { 'smoke-1': '501室烟感' } } },
    });
    const a = provision(config.dataDir, 'gw-hq12', 'chengguan', 'hongqi-lane-12');
    service = await startService(config);
    base = `http://127.0.0.1:${service.consolePort}`;
    gateway = await connectGateway(service.brokerPort, 'gw-hq12', a.password);
    await gateway.publishAsync(topics.alarm('gw-hq12', 'ev-fire'), JSON.stringify(alarmEvent({ eventId: 'ev-fire', alarmId: 'smoke-1/smoke', tags: { building: '3', unit: '2', floor: '5', room: '501' } })), { qos: 1 });
    await waitFor('the fire case', () => service.alarms.get(caseId), 20_000);
    officer = new BoardClient(base);
    await officer.login('li', 'pw-li');
    let c = (await service.alarms.get(caseId))!;
    expect((await officer.post(`/api/alarms/${caseId}/step`, { step: 'confirmed', version: c.version, confirmation: 'real', method: 'phone' })).status).toBe(200);
    c = (await service.alarms.get(caseId))!;
    expect((await officer.post(`/api/alarms/${caseId}/step`, { step: 'dispatched', version: c.version, to: 'wang' })).status).toBe(200);
    browser = await openBrowser();
    page = browser.page;
    await page.setViewportSize(PHONE);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.endAsync(true);
    await service?.stop();
    if (!process.env.LASTMILE_KEEP_SCREENSHOT) shots.remove();
  });

  it('shows the dispatched case, location first, then what to do, without horizontal overflow', async () => {
    await login(page, `${base}/m`, 'wang', 'pw-wang');
    const job = `.job[data-case="${caseId}"]`;
    await page.waitForSelector(job);
    expect(await page.getAttribute(`${job} > :first-child`, 'class')).toBe('where');
    expect(await page.textContent(`${job} .where`)).toBe('红旗巷12号院');
    expect(await page.textContent(`${job} .where-detail`)).toBe('3号楼 2单元 5层 501室 · 501室烟感');
    expect(await page.textContent(`${job} .todo`)).toContain('119');
    await expectNoHorizontalOverflow(page, 'phone page at 390 px');
    for (const selector of [`${job} .where`, `${job} button.arrive`, `${job} button.done`]) await expectVisibleWithin(page, selector, PHONE.width);
    await page.screenshot({ path: join(shots.path, 'phone-390.png'), fullPage: true });
  });

  it('drives arrived → handled with a note and a photo into the same workflow', async () => {
    const job = `.job[data-case="${caseId}"]`;
    await page.click(`${job} button.arrive`);
    await page.waitForSelector(`${job} .arrived-at`);
    let c = (await service.alarms.get(caseId))!;
    expect(c.step).toBe('dispatched');
    expect(c.steps.map((s) => [s.step, s.by])).toContainEqual(['arrived', 'wang']);
    // Handled needs a note: the page says so and sends nothing.
    await page.click(`${job} button.done`);
    expect(await page.textContent(`${job} .error`)).toBe('请填写处理情况');
    await page.fill(`${job} .note`, '厨房油烟，已开窗通风，无明火');
    await page.setInputFiles(`${job} input.photo`, { name: 'site.png', mimeType: 'image/png', buffer: tinyPng() });
    await page.click(`${job} button.done`);
    await page.waitForSelector('#none:not([hidden])');
    c = (await service.alarms.get(caseId))!;
    expect(c.step).toBe('handled');
    const handled = c.steps.find((s) => s.step === 'handled')!;
    expect([handled.by, handled.note]).toEqual(['wang', '厨房油烟，已开窗通风，无明火']);
    expect(handled.photo).toMatch(/^[0-9a-f]{64}\.png$/);
    // The officer's board sees the same case, handled, and can open the photo.
    const board = await officer.get<{ step: string; steps: { step: string }[] }>(`/api/alarms/${caseId}`);
    expect(board.step).toBe('handled');
    expect(board.steps.map((s) => s.step)).toEqual(['open', 'confirmed', 'dispatched', 'arrived', 'handled']);
    const photo = await fetch(`${base}/api/photos/${caseId}/${handled.photo}`, { headers: { cookie: (officer as unknown as { cookie: string }).cookie } });
    expect(photo.status).toBe(200);
    expect(Buffer.from(await photo.arrayBuffer()).equals(tinyPng())).toBe(true);
    expect((await fetch(`${base}/api/photos/${caseId}/${handled.photo}`)).status).toBe(401);
    // The officer's board links the photo on the handled step.
    await browser.context.clearCookies();
    await login(page, base, 'li', 'pw-li');
    const link = `.case[data-case="${caseId}"] .steps .step-handled a.photo`;
    await page.waitForSelector(link);
    expect(await page.getAttribute(link, 'href')).toBe(`/api/photos/${caseId}/${handled.photo}`);
    expect(await page.textContent(`.case[data-case="${caseId}"] .steps .step-arrived`)).toContain('已到场 · wang');
  });

  it('refuses a photo that is not an image and an arrival on a case not dispatched', async () => {
    const c = (await service.alarms.get(caseId))!;
    const wang = new BoardClient(base);
    await wang.login('wang', 'pw-wang');
    expect((await wang.post(`/api/alarms/${caseId}/arrived`, {})).status).toBe(409);
    const fake = await wang.post(`/api/alarms/${caseId}/handled`, { version: c.version, note: 'x', photo: `data:image/png;base64,${Buffer.from('<svg onload=alert(1)>').toString('base64')}` });
    expect(fake.status).toBe(400);
  });
});
