// The gateway's two listeners under attack (issue 13 items 5, 7, 13, 18, 20): the installer console's
// lock holds under parallel guesses and accepts JSON POSTs only; the local broker locks out wrong
// passwords and no device may take another device's client id (its session and queued messages).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { createConsoleStage } from '../../gateway/console/stage.js';
import { MAX_FAILURES } from '../../gateway/console/sessions.js';
import { MAX_FAILURES_PER_ADDRESS } from '../../gateway/local-broker/embedded-broker.js';
import { freePort, tempDir } from '../helpers/peers.js';
import { makeContext, PASSWORD, writePasswordFile } from '../gateway/console/fixture.js';
import { connectDevice, connectRefusal, startGateway, waitFor, writeUsers, type TestGateway } from '../gateway/local-broker/harness.js';
import { join } from 'node:path';

describe('installer console', () => {
  const dir = tempDir('hostile-console');
  afterAll(() => dir.remove());

  it('lets no guess through once the limit is met: 100 parallel guesses, the last one right, and the right password then waits', async () => {
    const port = await freePort();
    const { context } = makeContext(dir.path, port, await writePasswordFile(dir.path));
    const stage = createConsoleStage(context)!;
    await stage.start();
    try {
      const base = `http://127.0.0.1:${port}`;
      const login = (password: string) => fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password }) });
      const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => login(i === 99 ? PASSWORD : `guess-${i}`)));
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(0);
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(MAX_FAILURES);
      expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
      expect((await login(PASSWORD)).status).toBe(429);
      expect(answers.find((a) => a.status === 429)?.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await stage.stop();
    }
  }, 60_000);

  it('refuses text/plain and bodiless POSTs (a same-host page cannot fire the test siren) and sends CSP, nosniff and no framing', async () => {
    const port = await freePort();
    const { context } = makeContext(dir.path, port, await writePasswordFile(dir.path));
    const commands: unknown[] = [];
    context.events.on('command', (c) => commands.push(c));
    const stage = createConsoleStage(context)!;
    await stage.start();
    try {
      const base = `http://127.0.0.1:${port}`;
      const ok = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) });
      expect(ok.status).toBe(200);
      const cookie = ok.headers.get('set-cookie')!.split(';')[0]!;
      expect(ok.headers.get('set-cookie')).not.toMatch(/secure/i); // plain http here; Secure comes with console.tls
      const plain = await fetch(`${base}/api/test-siren`, { method: 'POST', headers: { cookie, 'content-type': 'text/plain' }, body: '{"level":"fire"}' });
      expect(plain.status).toBe(415);
      const bodiless = await fetch(`${base}/api/test-siren`, { method: 'POST', headers: { cookie } });
      expect(bodiless.status).toBe(415);
      expect(commands).toEqual([]);
      const json = await fetch(`${base}/api/test-siren`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{"level":"alarm","seconds":1}' });
      expect(json.status).toBe(200);
      expect(commands).toHaveLength(1);
      const page = await fetch(`${base}/login`);
      expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'.*frame-ancestors 'none'/);
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
    } finally {
      await stage.stop();
    }
  }, 60_000);
});

describe('local broker', () => {
  const dir = tempDir('hostile-local-broker');
  let port: number;
  let gateway: TestGateway;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    port = await freePort();
    const users = await writeUsers(dir.path, [
      { username: 'node-1', password: 'node-1-secret', publish: ['lastmile/dev/%u/#'], subscribe: ['lastmile/notice/#'] },
      { username: 'node-2', password: 'node-2-secret', publish: ['lastmile/dev/%u/#'], subscribe: ['lastmile/notice/#'] },
      { username: 'victim', password: 'victim-secret', subscribe: ['lastmile/notice/#'] },
    ]);
    gateway = await startGateway(dir.path, `version: 1
gateway: { township: t1, compound: c1, id: gw-1 }
sources:
  - id: door-1
    profile: hikvision/acs-mqtt
    mqtt: { topic: lastmile/dev/acs-1/events }
    tags: { building: "3" }
spool: { dir: ${join(dir.path, 'spool')} }
localBroker:
  host: 127.0.0.1
  port: ${port}
  users:
${users}
`);
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    await gateway?.stop();
    dir.remove();
  });

  it('locks out an address after wrong passwords, so the right one then waits too', async () => {
    const refusals = await Promise.all(Array.from({ length: 30 }, (_, i) => connectRefusal(port, 'node-1', `wrong-${i}`)));
    expect(refusals.every((r) => r === 4 || r === 3)).toBe(true);
    expect(await connectRefusal(port, 'node-1', 'node-1-secret')).not.toBe('accepted');
    const logged = gateway.logLines().filter((l) => String(l.reason ?? '').startsWith('locked'));
    expect(logged.length).toBeGreaterThan(0);
    expect(MAX_FAILURES_PER_ADDRESS).toBeLessThan(30);
  }, 60_000);
});

describe('local broker session theft', () => {
  const dir = tempDir('hostile-session-theft');
  let port: number;
  let gateway: TestGateway;

  beforeAll(async () => {
    port = await freePort();
    const users = await writeUsers(dir.path, [
      { username: 'thief', password: 'thief-secret', subscribe: ['lastmile/notice/#'] },
      { username: 'victim', password: 'victim-secret', subscribe: ['lastmile/notice/#'] },
    ]);
    gateway = await startGateway(dir.path, `version: 1
gateway: { township: t1, compound: c1, id: gw-1 }
sources:
  - id: door-1
    profile: hikvision/acs-mqtt
    mqtt: { topic: lastmile/dev/acs-1/events }
    tags: { building: "3" }
spool: { dir: ${join(dir.path, 'spool')} }
localBroker:
  host: 127.0.0.1
  port: ${port}
  users:
${users}
`);
  });
  afterAll(async () => {
    await gateway?.stop();
    dir.remove();
  });

  it('refuses a device using another device\'s client id (first used, or spelt as its user name), and the owner stays connected', async () => {
    const victim = await connectDevice(port, 'victim', 'victim-secret', { clientId: 'lobby-display-7', clean: false });
    expect(await connectRefusal(port, 'thief', 'thief-secret', { clientId: 'lobby-display-7', clean: false })).toBe(5);
    expect(await connectRefusal(port, 'thief', 'thief-secret', { clientId: 'victim' })).toBe(5);
    expect(victim.connected).toBe(true);
    // The owner itself may come back with its client id; the thief's own id still works for the thief.
    await victim.endAsync();
    const again = await connectDevice(port, 'victim', 'victim-secret', { clientId: 'lobby-display-7', clean: false });
    expect(again.connected).toBe(true);
    expect(await connectRefusal(port, 'thief', 'thief-secret', { clientId: 'thief-box' })).toBe('accepted');
    await again.endAsync();
    await waitFor('refusal logged', () => gateway.logLines().some((l) => l.reason === 'client id belongs to another device'));
  }, 60_000);
});
