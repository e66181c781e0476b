// Alarm first after an outage, by order and not by timing (issue 18): telemetry is in flight unreceipted
// and a backlog of full batches is ready in the spool while the broker is down, one alarm is appended, the
// broker comes back, and the first thing the township receives is the alarm, ahead of both the telemetry
// resends and the backlog. (Full batches wait for no batchMaxAge, so nothing here leans on a delay.)
import { chmodSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTopic } from '../../../contract/wire.js';
import type { AlarmEvent } from '../../../gateway/pipeline/types.js';
import { encodeAlarmRecord } from '../../../gateway/spool/alarm-record.js';
import { Spool } from '../../../gateway/spool/spool.js';
import { encodeTelemetryRecord } from '../../../gateway/spool/telemetry-record.js';
import { silentLogger } from '../../../contract/logger.js';
import { Stats } from '../../../contract/stats.js';
import { HonestClock } from '../../../gateway/time/honest-clock.js';
import { Uplink } from '../../../gateway/uplink/uplink.js';
import { startMosquitto, tempDir } from '../../helpers/peers.js';
import { TestSubscriber, waitFor } from './subscriber.js';

const GATEWAY = 'gw-priority';
const BATCH = 20;
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('alarm priority after a broker outage', () => {
  it('the alarm appended during the outage is the first delivery when the broker returns', async () => {
    // A persistent broker: the township subscriber's session (and what is queued for it) survives the restart,
    // so the delivery order is the order in which the gateway published.
    const brokerDir = tempDir('priority-broker');
    chmodSync(brokerDir.path, 0o777);
    cleanups.push(() => brokerDir.remove());
    let broker = await startMosquitto({ dir: brokerDir.path });
    cleanups.push(() => broker.stop());
    const url = `mqtt://127.0.0.1:${broker.port}`;
    // No receipts at first: what the gateway publishes before the outage stays in flight.
    const township = await TestSubscriber.start(url, GATEWAY, { receipts: false });
    cleanups.push(() => township.stop());
    const dir = tempDir('priority-spool');
    cleanups.push(() => dir.remove());
    const stats = new Stats();
    const clock = new HonestClock({ synced: true });
    const spool = new Spool({ dir: dir.path, maxBytes: 16 * 1024 * 1024, maxAgeMs: 86_400_000, syncEveryMs: 5, segmentBytes: 64 * 1024 }, silentLogger(), stats);
    spool.open();
    const uplink = new Uplink({
      connection: { url, gateway: GATEWAY, clientId: GATEWAY, username: GATEWAY, passwordFile: undefined, ca: undefined, cert: undefined, key: undefined, keepaliveMs: 5_000, reconnectMinMs: 50, reconnectMaxMs: 200 },
      // A long batchMaxAge: only full batches go, at once; a receipt timeout far beyond the test.
      spool, time: { clock, epoch: clock.epoch }, batchMaxRecords: BATCH, batchMaxAgeMs: 60_000, maxInflight: 2, receiptTimeoutMs: 600_000, statusEveryMs: 600_000, sourceIds: [], log: silentLogger(), stats, onCommand: () => undefined,
    });
    uplink.start();
    cleanups.push(async () => {
      await uplink.stop();
      await spool.close();
    });
    let n = 0;
    const telemetry = (count: number) =>
      Promise.all(Array.from({ length: count }, () => spool.append('telemetry', encodeTelemetryRecord(`test,gateway=${GATEWAY},source=seq`, [`n=${n++}`], { ts: clock.now(), mono: clock.mono(), synced: true, epoch: clock.epoch }))));

    // Before the outage: two batches published (the whole in-flight window) and never receipted.
    await telemetry(2 * BATCH);
    await waitFor('two telemetry batches in flight', () => township.deliveries.filter((d) => d.kind === 'telemetry').length === 2, 10_000);
    expect(spool.telemetry.acked()).toBe(0);

    await broker.stop();
    await waitFor('the uplink to notice the outage', () => !uplink.connected(), 10_000);
    // During it: eight more full batches ready, then one alarm.
    await telemetry(8 * BATCH);
    const event: AlarmEvent = {
      eventId: 'ev-outage-smoke', alarmId: 'smoke-3:fire', transition: 'raise', state: 'raised', level: 'alarm', source: 'smoke-3', point: 'smoke', rule: 'fire',
      value: 1, text: { zh: '烟感报警', en: 'Smoke alarm' }, tags: {}, ts: clock.now(), mono: clock.mono(), timeSynced: true, by: undefined,
    };
    await spool.append('alarm', encodeAlarmRecord(event, clock.epoch));
    // What the township receives from here on, as the gateway published it. A copy the broker itself
    // redelivers (DUP set: a delivery to the township from before the outage whose PUBACK the broker had
    // not stored) says nothing about the gateway's order and is left out.
    const after: { kind: string; id: string }[] = [];
    const redelivered: string[] = [];
    township.client.on('message', (topic, _payload, packet) => {
      const parsed = parseTopic(topic);
      if (!parsed) return;
      if (packet.dup) {
        if (parsed.kind === 'telemetry') redelivered.push(parsed.batchId);
        return;
      }
      if (parsed.kind === 'alarm') after.push({ kind: 'alarm', id: parsed.eventId });
      if (parsed.kind === 'telemetry') after.push({ kind: 'telemetry', id: parsed.batchId });
    });
    township.receipts = true;

    broker = await startMosquitto({ port: broker.port, dir: broker.dir });
    await waitFor('the alarm and every batch receipted', () => spool.alarm.acked() === 1 && spool.telemetry.acked() === 10 * BATCH, 20_000, () => ({
      alarm: spool.alarm.acked(), telemetry: spool.telemetry.acked(), after,
    }));
    expect(after[0], JSON.stringify(after)).toEqual({ kind: 'alarm', id: 'ev-outage-smoke' });
    // Everything else came after it: the two resent batches and the eight from the backlog.
    expect(new Set(after.slice(1).map((d) => d.kind))).toEqual(new Set(['telemetry']));
    expect(township.telemetryNumbers()).toEqual(Array.from({ length: 10 * BATCH }, (_, i) => i));
    // The two batches in flight before the outage came again: republished by the gateway, or redelivered by
    // the broker from the township's session, receipted, and that receipt queued for the gateway reached it
    // before it republished (then it rightly does not send that one again).
    const republished = stats.counter('uplink.republished', { lane: 'telemetry' });
    expect(republished + new Set(redelivered).size, JSON.stringify({ republished, redelivered })).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
