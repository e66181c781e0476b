// Script payloads in every field a gateway controls, then the township board opened in headless Chromium
// (issue 13 item 2): alarm events (level, ids, source, point, rule, tags, text, value), the status message
// (version, spool counters, source names and errors) and telemetry (tag values, string fields, charted on
// the board). A payload that runs increments window.__xss; the count is what bench:hostile reports as
// scripts executed (and tests/hostile/board-xss.test.ts requires to be 0).
import { gzipSync } from 'node:zlib';
import type { MqttClient } from 'mqtt';
import { chromium } from 'playwright-core';
import { topics } from '../../contract/wire.js';
import { alarmEvent } from '../../tests/cloud-ingest/fixture.js';
import { tempDir } from '../../tests/helpers/peers.js';
import { CONSOLE_USER, type HostileTownship } from './township.js';

const RUN = 'window.__xss=(window.__xss||0)+1';
/** Each is a way markup becomes script if it is ever parsed as HTML or put in a URL. */
export const XSS_PAYLOADS = [
  `<img src=x onerror="${RUN}">`,
  `<script>${RUN}</script>`,
  `"><svg onload="${RUN}">`,
  `javascript:${RUN}`,
  `'';!--"<XSS>=&{()}`,
  `<iframe srcdoc="<script>parent.${RUN}</script>">`,
];

export async function sendXssPayloads(client: MqttClient, gateway: string): Promise<number> {
  let sent = 0;
  for (const [i, payload] of XSS_PAYLOADS.entries()) {
    const eventId = `xss-${i}`;
    const event = { ...alarmEvent({ eventId, alarmId: `${payload}:a`, source: payload, point: payload, level: i % 2 ? 'fire' : (payload as never), rule: payload, value: payload as never }), text: { zh: payload, en: payload }, tags: { building: payload, unit: payload, floor: payload } };
    await client.publishAsync(topics.alarm(gateway, eventId), Buffer.from(JSON.stringify(event)), { qos: 1 });
    sent++;
  }
  const status = {
    gateway,
    online: true,
    ts: Date.now(),
    timeSynced: true,
    version: XSS_PAYLOADS[0],
    uptimeS: XSS_PAYLOADS[1],
    spool: { telemetryBytes: XSS_PAYLOADS[2], alarmEvents: XSS_PAYLOADS[0], dropped: XSS_PAYLOADS[3], oldestMs: XSS_PAYLOADS[4] },
    sources: Object.fromEntries(XSS_PAYLOADS.map((p, i) => [p, { online: i % 2 === 0, lastSeen: p, lastError: p }])),
  };
  await client.publishAsync(topics.status(gateway), Buffer.from(JSON.stringify(status)), { qos: 1, retain: true });
  sent++;
  // Telemetry: escaped spaces and commas let markup into tag values; string fields carry the rest.
  const esc = (s: string) => s.replace(/([ ,=\\])/g, '\\$1');
  const lines = XSS_PAYLOADS.map((p, i) => `power,source=${esc(p)},building=${esc(p)} v=${i},note="${p.replace(/(["\\])/g, '\\$1')}" ${Date.now() - 1000 + i}`);
  await client.publishAsync(topics.telemetry(gateway, 'xss-telemetry'), gzipSync(Buffer.from(lines.join('\n'))), { qos: 1 });
  return sent + 1;
}

/** Sends the payloads, opens the board as the officer, visits each view; returns how many scripts ran. */
export async function countScriptsExecuted(town: HostileTownship, client: MqttClient): Promise<{ scriptsExecuted: number; payloadMessages: number; cards: number; cspViolations: number }> {
  const payloadMessages = await sendXssPayloads(client, 'gw-hostile');
  const profile = tempDir('hostile-chromium');
  const context = await chromium.launchPersistentContext(profile.path, { executablePath: '/usr/bin/chromium', headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.addInitScript({ content: "window.__csp = 0; document.addEventListener('securitypolicyviolation', () => window.__csp++);" });
    const base = `http://127.0.0.1:${town.service.consolePort}`;
    await page.goto(base);
    await page.fill('#user', CONSOLE_USER.name);
    await page.fill('#password', CONSOLE_USER.password);
    await page.click('#login-button');
    await page.waitForSelector('#app:not([hidden])');
    await page.waitForSelector('.case', { timeout: 20_000 });
    await page.waitForSelector('#gateways tr[data-gateway="gw-hostile"]', { timeout: 20_000 }).catch(() => undefined);
    // Open every case and every charted series: details render more of each field.
    // (The first few of each: after an alarm flood the board holds hundreds of cases.)
    for (const item of (await page.$$('#series li')).slice(0, 20)) await item.click({ timeout: 2000 }).catch(() => undefined);
    for (const c of (await page.$$('.case')).slice(0, 20)) await c.click({ timeout: 2000 }).catch(() => undefined);
    await page.waitForTimeout(1000);
    const scriptsExecuted = await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss ?? 0);
    const cspViolations = await page.evaluate(() => (globalThis as unknown as { __csp: number }).__csp);
    const cards = await page.locator('.case').count();
    return { scriptsExecuted, payloadMessages, cards, cspViolations };
  } finally {
    await context.close();
    profile.remove();
  }
}
