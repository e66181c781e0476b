// Broker outage mid-run (real mosquitto, stopped and restarted on the same port and data dir): every
// numbered measurement and alarm event arrives, in order per lane, with repeats only as identical
// resends of the same batch/event id.
import { chmodSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
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

const GATEWAY = 'gw-outage';
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function alarm(n: number, clock: HonestClock): AlarmEvent {
  return {
    eventId: `ev-${n}`, alarmId: `a-${n}`, transition: 'raise', state: 'raised', level: 'alarm', source: 'seq', point: 'n', rule: 'outage_test',
    value: n, text: { zh: '测试', en: 'test' }, tags: {}, ts: clock.now(), mono: clock.mono(), timeSynced: true, by: undefined,
  };
}

describe('uplink through a broker outage', () => {
  it('delivers every measurement and alarm exactly once per id, in order, after the broker comes back', async () => {
    // mosquitto started as root drops to its own user; it must be able to save its database, or the
    // township subscriber's session (and what was queued for it) would not survive the restart.
    const brokerDir = tempDir('outage-broker');
    chmodSync(brokerDir.path, 0o777);
    cleanups.push(() => brokerDir.remove());
    let broker = await startMosquitto({ dir: brokerDir.path });
    cleanups.push(() => broker.stop());
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const subscriber = await TestSubscriber.start(url, GATEWAY);
    cleanups.push(() => subscriber.stop());
    const dir = tempDir('outage-spool');
    cleanups.push(() => dir.remove());
    const stats = new Stats();
    const clock = new HonestClock({ synced: true });
    const spool = new Spool({ dir: dir.path, maxBytes: 64 * 1024 * 1024, maxAgeMs: 86_400_000, syncEveryMs: 10, segmentBytes: 16 * 1024 }, silentLogger(), stats);
    spool.open();
    const uplink = new Uplink({
      connection: { url, gateway: GATEWAY, clientId: GATEWAY, username: GATEWAY, passwordFile: undefined, ca: undefined, cert: undefined, key: undefined, keepaliveMs: 5_000, reconnectMinMs: 50, reconnectMaxMs: 400 },
      spool, time: { clock, epoch: clock.epoch }, batchMaxRecords: 50, batchMaxAgeMs: 20, maxInflight: 4, receiptTimeoutMs: 5_000, statusEveryMs: 60_000, sourceIds: [], log: silentLogger(), stats, onCommand: () => undefined,
    });
    uplink.start();
    cleanups.push(async () => {
      await uplink.stop();
      await spool.close();
    });

    const total = 3000;
    let produced = 0;
    const appends: Promise<number>[] = [];
    const producer = setInterval(() => {
      for (let i = 0; i < 15 && produced < total; i++, produced++) {
        const n = produced;
        const stamp = { ts: clock.now(), mono: clock.mono(), synced: true, epoch: clock.epoch };
        appends.push(spool.append('telemetry', encodeTelemetryRecord(`test,gateway=${GATEWAY},source=seq`, [`n=${n}`], stamp)));
        if (n % 20 === 0) appends.push(spool.append('alarm', encodeAlarmRecord(alarm(n, clock), clock.epoch)));
      }
    }, 5);
    cleanups.push(() => clearInterval(producer));

    await waitFor('first deliveries', () => subscriber.telemetryNumbers().length > 300, 10_000);
    await broker.stop(); // outage: the gateway keeps spooling
    const delivered = subscriber.telemetryNumbers().length;
    // Let data really pile up in the spool during the outage before the broker comes back.
    await waitFor('a backlog during the outage', () => produced >= Math.min(total, delivered + 600), 10_000);
    expect(subscriber.telemetryNumbers().length).toBe(delivered);
    broker = await startMosquitto({ port: broker.port, dir: broker.dir });
    await waitFor('the producer', () => produced === total, 10_000);
    await Promise.all(appends);
    await waitFor('every number after reconnect', () => subscriber.telemetryNumbers().length >= total && subscriber.alarmIds().length >= total / 20, 15_000, () => ({
      got: subscriber.telemetryNumbers().length, alarms: subscriber.alarmIds().length, acked: spool.telemetry.acked(), durable: spool.telemetry.durableEnd(),
      alarmAcked: spool.alarm.acked(), connected: uplink.connected(), stats: stats.snapshot(), deliveries: subscriber.deliveries.length,
    }));

    expect(subscriber.telemetryNumbers()).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(subscriber.alarmIds()).toEqual(Array.from({ length: total / 20 }, (_, i) => `ev-${i * 20}`));
    expect(stats.counter('uplink.connect')).toBeGreaterThanOrEqual(2);
    await waitFor('the cursor to reach the end', () => spool.telemetry.acked() === total, 5_000);
  });
});
