// The Uplink itself against a real mosquitto 2.0 (issue 18, mutation): its retained status on connect and
// on its timer, none while the wall clock is before 2025, the offline status on stop; township commands
// answered on cmd/result (refused, request_health with status and stats, passed on, failed in the
// gateway); a malformed receipt counted and ignored, a good one freeing its record.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../../contract/wire.js';
import { silentLogger, type Logger } from '../../../contract/logger.js';
import { capturedLogger } from '../local-broker/harness.js';
import { Stats } from '../../../contract/stats.js';
import type { GatewayCommand as Command } from '../../../gateway/pipeline/types.js';
import { Spool } from '../../../gateway/spool/spool.js';
import { encodeTelemetryRecord } from '../../../gateway/spool/telemetry-record.js';
import { HonestClock, PLAUSIBLE_EPOCH_MS } from '../../../gateway/time/honest-clock.js';
import { Uplink } from '../../../gateway/uplink/uplink.js';
import { startMosquitto, tempDir } from '../../helpers/peers.js';
import { waitFor } from '../../helpers/wait.js';

let broker: Awaited<ReturnType<typeof startMosquitto>>;
let url = '';
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  const dir = tempDir('uplink-broker');
  cleanups.push(() => dir.remove());
  const acl = join(dir.path, 'acl');
  // Named users without a password file: mosquitto takes the name and applies its ACL section.
  const gateways = ['gw-up', 'gw-clock', 'gw-ret', 'gw-wall'];
  writeFileSync(acl, ['user township', 'topic readwrite #', ...gateways.flatMap((g) => [`user ${g}`, `topic readwrite lm/v1/${g}/#`]), ''].join('\n'));
  broker = await startMosquitto({ dir: dir.path, extraConfig: ['allow_anonymous true', `acl_file ${acl}`] });
  url = `mqtt://127.0.0.1:${broker.port}`;
});

afterAll(async () => {
  await broker?.stop();
  for (const c of cleanups.reverse()) await c();
});

const running: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of running.splice(0)) await stop();
});

type Received = { topic: string; json: unknown; retain: boolean; qos: number };

async function township(gateway: string): Promise<{ client: MqttClient; messages: Received[] }> {
  const client = await mqtt.connectAsync(url, { clientId: `township-${gateway}-${Math.random().toString(36).slice(2)}`, username: 'township', reconnectPeriod: 0 });
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      json = payload.toString('utf8');
    }
    messages.push({ topic, json, retain: packet.retain, qos: packet.qos });
  });
  await client.subscribeAsync([topics.status(gateway), topics.commandResult(gateway), `lm/v1/${gateway}/t/+`], { qos: 1 });
  running.push(() => client.endAsync(true));
  return { client, messages };
}

function start(gateway: string, { clock = new HonestClock({ synced: true }), statusEveryMs = 600_000, onCommand = (_c: Command): unknown => undefined, log = silentLogger() as Logger } = {}) {
  const dir = tempDir('uplink-broker-spool');
  const stats = new Stats();
  const spool = new Spool({ dir: dir.path, maxBytes: 16 * 1024 * 1024, maxAgeMs: 86_400_000, syncEveryMs: 5, segmentBytes: 64 * 1024 }, silentLogger(), stats);
  spool.open();
  const uplink = new Uplink({
    connection: { url, gateway, clientId: gateway, username: gateway, passwordFile: undefined, ca: undefined, cert: undefined, key: undefined, keepaliveMs: 5_000, reconnectMinMs: 50, reconnectMaxMs: 200 },
    spool, time: { clock, epoch: clock.epoch }, batchMaxRecords: 1, batchMaxAgeMs: 10, maxInflight: 2, receiptTimeoutMs: 600_000, statusEveryMs, sourceIds: ['th-1'], log, stats, onCommand,
  });
  uplink.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await uplink.stop();
    await spool.close();
    dir.remove();
  };
  running.unshift(stop);
  return { uplink, spool, stats, clock, stop };
}

const statusOf = (m: { json: unknown }) => m.json as { online: boolean; gateway: string; sources: unknown; ts: number };

describe('Uplink against mosquitto', () => {
  it('publishes its retained status on connect and on its timer, and the offline status on stop', async () => {
    const t = await township('gw-up');
    const { uplink, stop } = start('gw-up', { statusEveryMs: 100 });
    await waitFor('connected', () => uplink.connected());
    await waitFor('three status messages', () => t.messages.filter((m) => m.topic === topics.status('gw-up')).length >= 3);
    const statuses = t.messages.filter((m) => m.topic === topics.status('gw-up'));
    expect(statuses.every((m) => statusOf(m).online === true && statusOf(m).gateway === 'gw-up')).toBe(true);
    await stop();
    expect(uplink.connected()).toBe(false);
    await waitFor('the offline status', () => t.messages.some((m) => m.topic === topics.status('gw-up') && statusOf(m).online === false));
    // Retained: a township connecting later is told at once that the gateway is offline.
    const late = await township('gw-up');
    await waitFor('the retained status', () => late.messages.find((m) => m.topic === topics.status('gw-up')));
    expect(late.messages.find((m) => m.topic === topics.status('gw-up'))).toMatchObject({ retain: true, json: expect.objectContaining({ online: false }) });
  });

  it('publishes no online status while the wall clock reads before 2025', async () => {
    const t = await township('gw-clock');
    const clock = new HonestClock({ synced: false, wall: () => Date.UTC(1970, 0, 2) });
    const { log, lines } = capturedLogger();
    const { uplink, stop } = start('gw-clock', { clock, statusEveryMs: 50, log });
    await waitFor('connected', () => uplink.connected());
    await new Promise((r) => setTimeout(r, 300));
    await stop();
    await new Promise((r) => setTimeout(r, 100));
    // Only the broker's offline will (set at connect) may appear; the uplink published no status itself.
    expect(t.messages.filter((m) => m.topic === topics.status('gw-clock') && statusOf(m).online !== false)).toEqual([]);
    // The installer is told once, not on every status tick (six or more of them passed).
    expect(lines().filter((l) => String(l.msg).includes('wall clock reads before 2025'))).toHaveLength(1);
  });

  it('answers township commands on cmd/result: refused, health with status and stats, passed on, failed', async () => {
    const t = await township('gw-up');
    const seen: Command[] = [];
    const { uplink, stats } = start('gw-up', {
      onCommand: (c) => {
        seen.push(c);
        if (c.kind === 'request_health') return { extra: 1 };
        if (c.kind === 'silence') throw new Error('no buzzer here');
        return undefined;
      },
    });
    await waitFor('connected and subscribed', () => uplink.connected() && stats.counter('uplink.subscribe_failed') === 0 && t.messages.some((m) => m.topic === topics.status('gw-up')));
    const results = () => t.messages.filter((m) => m.topic === topics.commandResult('gw-up')).map((m) => m.json as { id: string; ok: boolean; message: string; data?: unknown });
    const send = (body: string) => t.client.publishAsync(topics.command('gw-up'), body, { qos: 1 });
    await send('not json');
    await waitFor('the refusal', () => results().length === 1);
    expect(results()[0]).toMatchObject({ id: 'unknown', ok: false });
    expect(stats.counter('uplink.command_rejected')).toBe(1);
    await send(JSON.stringify({ id: 'c-health', command: { kind: 'request_health', by: 'op' } }));
    await waitFor('the health answer', () => results().length === 2);
    expect(results()[1]).toMatchObject({ id: 'c-health', ok: true, message: 'health', data: { status: expect.objectContaining({ gateway: 'gw-up', online: true }), stats: expect.any(Object), data: { extra: 1 } } });
    await send(JSON.stringify({ id: 'c-sil', command: { kind: 'silence', by: 'op', forMs: 60_000 } }));
    await waitFor('the failure', () => results().length === 3);
    expect(results()[2]).toEqual({ id: 'c-sil', ok: false, message: 'silence failed: no buzzer here' });
    expect(stats.counter('uplink.command_failed', { kind: 'silence' })).toBe(1);
    await send(JSON.stringify({ id: 'c-ack', command: { kind: 'acknowledge', alarmId: 'a/b', by: 'op' } }));
    await waitFor('the pass-on answer', () => results().length === 4);
    expect(results()[3]).toEqual({ id: 'c-ack', ok: true, message: 'acknowledge passed to the gateway' });
    expect(seen.map((c) => c.kind)).toEqual(['request_health', 'silence', 'acknowledge']);
    // At QoS 1 (the township subscribed at 1; a result published at 0 would arrive at 0 and could be lost).
    expect(t.messages.filter((m) => m.topic === topics.commandResult('gw-up')).map((m) => m.qos)).toEqual([1, 1, 1, 1]);
    expect(stats.counter('uplink.command', { kind: 'request_health' })).toBe(1);
  });

  it('a malformed receipt is counted and ignored; a good one frees the record', async () => {
    const t = await township('gw-up');
    const { uplink, spool, stats, clock } = start('gw-up');
    await waitFor('connected', () => uplink.connected());
    await spool.append('telemetry', encodeTelemetryRecord('test,gateway=gw-up,source=s', ['n=1'], { ts: clock.now(), mono: clock.mono(), synced: true, epoch: clock.epoch }));
    const batch = await waitFor('the batch', () => t.messages.find((m) => m.topic.startsWith('lm/v1/gw-up/t/')));
    await t.client.publishAsync(topics.receipt('gw-up'), 'garbage', { qos: 1 });
    await waitFor('the malformed receipt counted', () => stats.counter('uplink.receipt_malformed') === 1);
    expect(spool.telemetry.acked()).toBe(0);
    const id = batch.topic.split('/').pop()!;
    await t.client.publishAsync(topics.receipt('gw-up'), JSON.stringify({ v: 1, items: [{ kind: 't', id, status: 'stored' }] }), { qos: 1 });
    await waitFor('the record freed', () => spool.telemetry.acked() === 1);
  });

  it('keeps the online status retained, at QoS 1, for a township that connects while the gateway is up', async () => {
    const t = await township('gw-ret');
    const { uplink } = start('gw-ret');
    await waitFor('connected', () => uplink.connected());
    await waitFor('the online status', () => t.messages.find((m) => m.topic === topics.status('gw-ret') && statusOf(m).online));
    const late = await township('gw-ret');
    const retained = await waitFor('the retained status', () => late.messages.find((m) => m.topic === topics.status('gw-ret')));
    expect(retained).toMatchObject({ retain: true, qos: 1, json: expect.objectContaining({ gateway: 'gw-ret', online: true }) });
  });

  it('believes a wall clock from 2025-01-01 on, and on stop publishes its own offline status stamped at the stop', async () => {
    const t = await township('gw-wall');
    let wall = PLAUSIBLE_EPOCH_MS;
    const clock = new HonestClock({ synced: true, wall: () => wall });
    const { uplink, stop } = start('gw-wall', { clock });
    await waitFor('connected', () => uplink.connected());
    const online = await waitFor('the online status at exactly 2025-01-01', () => t.messages.find((m) => m.topic === topics.status('gw-wall')));
    expect(statusOf(online)).toMatchObject({ online: true, ts: PLAUSIBLE_EPOCH_MS });
    wall = PLAUSIBLE_EPOCH_MS + 3_600_000;
    await stop();
    // Not the will (stamped when the connection was made): the uplink's own status, taken at the stop.
    await waitFor('the offline status of the stop', () => t.messages.find((m) => m.topic === topics.status('gw-wall') && statusOf(m).ts === wall));
    const statuses = t.messages.filter((m) => m.topic === topics.status('gw-wall')).map(statusOf);
    expect(statuses.slice(1).every((s) => !s.online)).toBe(true);
    expect(statuses.find((s) => s.ts === wall)?.online).toBe(false);
    // And it is the status that stays retained: the stop ends the session cleanly, so the broker drops the
    // will (made at connect, an hour older here) instead of publishing it over the stop's status.
    const late = await township('gw-wall');
    const retained = await waitFor('the retained status', () => late.messages.find((m) => m.topic === topics.status('gw-wall')));
    expect(retained).toMatchObject({ retain: true, json: expect.objectContaining({ online: false, ts: wall }) });
    expect(t.messages.filter((m) => m.topic === topics.status('gw-wall') && statusOf(m).ts === PLAUSIBLE_EPOCH_MS && !statusOf(m).online)).toEqual([]);
  });
});

describe('Uplink before start()', () => {
  it('is not connected and stops without error (a stage whose start failed is still stopped)', async () => {
    const dir = tempDir('uplink-unstarted');
    cleanups.push(() => dir.remove());
    const stats = new Stats();
    const spool = new Spool({ dir: dir.path, maxBytes: 1024 * 1024, maxAgeMs: 86_400_000, syncEveryMs: 5, segmentBytes: 64 * 1024 }, silentLogger(), stats);
    spool.open();
    cleanups.push(() => spool.close());
    const clock = new HonestClock({ synced: true });
    const uplink = new Uplink({
      connection: { url: 'mqtt://127.0.0.1:1', gateway: 'gw-none', clientId: 'gw-none', username: 'gw-none', passwordFile: undefined, ca: undefined, cert: undefined, key: undefined, keepaliveMs: 5_000, reconnectMinMs: 50, reconnectMaxMs: 200 },
      spool, time: { clock, epoch: clock.epoch }, batchMaxRecords: 1, batchMaxAgeMs: 10, maxInflight: 2, receiptTimeoutMs: 600_000, statusEveryMs: 600_000, sourceIds: [], log: silentLogger(), stats, onCommand: () => undefined,
    });
    expect(uplink.connected()).toBe(false);
    await expect(uplink.stop()).resolves.toBeUndefined();
  });
});
