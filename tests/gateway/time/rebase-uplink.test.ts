// Honest time end to end, with a fake clock and a real mosquitto: measurements and alarm events taken
// while the clock reads 1970 are held in the spool, go out re-based once the clock syncs, and nothing
// ever reaches the broker with a pre-2025 timestamp.
import { afterAll, describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../gateway/pipeline/types.js';
import { encodeAlarmRecord } from '../../../gateway/spool/alarm-record.js';
import { Spool } from '../../../gateway/spool/spool.js';
import { encodeTelemetryRecord } from '../../../gateway/spool/telemetry-record.js';
import { PLAUSIBLE_EPOCH_MS } from '../../../gateway/time/honest-clock.js';
import { silentLogger } from '../../../contract/logger.js';
import { Stats } from '../../../contract/stats.js';
import { HonestClock } from '../../../gateway/time/honest-clock.js';
import { Uplink } from '../../../gateway/uplink/uplink.js';
import { startMosquitto, tempDir } from '../../helpers/peers.js';
import { TestSubscriber, waitFor } from '../uplink/subscriber.js';

const GATEWAY = 'gw-time';
const SYNCED_AT = Date.UTC(2026, 10, 23, 8, 0, 0);
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('honest time through spool and uplink', () => {
  it('holds 1970-stamped data until sync, then sends it re-based from the monotonic clock', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const subscriber = await TestSubscriber.start(url, GATEWAY);
    cleanups.push(() => subscriber.stop());
    const dir = tempDir('time-spool');
    cleanups.push(() => dir.remove());

    let wall = 42_000; // RTC-less boot
    let mono = 5_000;
    const clock = new HonestClock({ wall: () => wall, mono: () => mono, epoch: 'boot-1' });
    const stats = new Stats();
    const spool = new Spool({ dir: dir.path, maxBytes: 16 * 1024 * 1024, maxAgeMs: 86_400_000, syncEveryMs: 5, segmentBytes: 64 * 1024 }, silentLogger(), stats);
    spool.open();
    const uplink = new Uplink({
      connection: { url, gateway: GATEWAY, clientId: GATEWAY, username: GATEWAY, passwordFile: undefined, ca: undefined, cert: undefined, key: undefined, keepaliveMs: 5_000, reconnectMinMs: 50, reconnectMaxMs: 200 },
      spool, time: { clock, epoch: clock.epoch }, batchMaxRecords: 100, batchMaxAgeMs: 10, maxInflight: 4, receiptTimeoutMs: 5_000, statusEveryMs: 100, sourceIds: [], log: silentLogger(), stats, onCommand: () => undefined,
    });
    uplink.start();
    cleanups.push(async () => {
      await uplink.stop();
      await spool.close();
    });

    const monoAt: number[] = [];
    for (let n = 0; n < 10; n++) {
      mono += 1_000;
      wall += 1_000;
      monoAt.push(mono);
      const stamp = { ts: clock.now(), mono: clock.mono(), synced: clock.synced(), epoch: clock.epoch };
      await spool.append('telemetry', encodeTelemetryRecord(`test,gateway=${GATEWAY},source=seq`, [`n=${n}`], stamp));
    }
    const event: AlarmEvent = {
      eventId: 'boot-smoke', alarmId: 'smoke-1', transition: 'raise', state: 'raised', level: 'fire', source: 'smoke-1', point: 'smoke', rule: 'smoke',
      value: true, text: { zh: '火警', en: 'Fire' }, tags: {}, ts: clock.now(), mono: clock.mono(), timeSynced: false, by: undefined,
    };
    await spool.append('alarm', encodeAlarmRecord(event, clock.epoch));

    await waitFor('the uplink to connect', () => uplink.connected(), 5_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(subscriber.deliveries).toEqual([]); // held: no 1970 data, not even a status

    mono += 20_000; // NTP answers 20 s after the last reading
    wall = SYNCED_AT;
    clock.markSynced('ntp');
    await waitFor('the re-based data', () => subscriber.telemetryNumbers().length === 10 && subscriber.alarmIds().length === 1, 5_000);

    const lines = subscriber.telemetryLines();
    const times = lines.map((l) => Number(l.split(' ').at(-1)));
    expect(times).toEqual(monoAt.map((m) => SYNCED_AT - (mono - m)));
    const alarm = subscriber.deliveries.find((d) => d.kind === 'alarm')!.json as AlarmEvent;
    expect(alarm.ts).toBe(SYNCED_AT - 20_000);
    expect(alarm.timeSynced).toBe(false); // re-based, and says so
    for (const d of subscriber.deliveries) {
      const ts = d.kind === 'telemetry' ? Math.min(...d.lines.map((l) => Number(l.split(' ').at(-1)))) : (d.json as { ts: number }).ts;
      expect(ts).toBeGreaterThanOrEqual(PLAUSIBLE_EPOCH_MS);
    }
  });
});
