// The spool stage on a healthy disk (issue 18, mutation survivors of gateway/spool/spool-stage.ts): what
// goes into each lane and decodes back, the spool_full warning and the spool_dropped measurement when the
// spool drops telemetry, their clearing by the periodic bound check (fake setInterval only; the lanes'
// fsync timers stay real), the durability barrier, and an unencodable measurement counted, not spooled.
import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseSiteConfig } from '../../../config/load-site.js';
import { Durability } from '../../../gateway/pipeline/durability.js';
import type { AlarmEvent, Measurement } from '../../../gateway/pipeline/types.js';
import { Stats } from '../../../contract/stats.js';
import { decodeAlarmRecord } from '../../../gateway/spool/alarm-record.js';
import { SpoolStage } from '../../../gateway/spool/spool-stage.js';
import { decodeTelemetryRecord } from '../../../gateway/spool/telemetry-record.js';
import { HonestClock } from '../../../gateway/time/honest-clock.js';
import { tempDir } from '../../helpers/peers.js';
import { testContext, throwingEventBus } from '../../helpers/runtime-context.js';
import { waitFor } from '../../helpers/wait.js';

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const step of cleanup.splice(0).reverse()) await step();
});

function setup(spool: string, clock = new HonestClock({ synced: true })) {
  const dir = tempDir('spool-stage');
  cleanup.push(() => dir.remove());
  const yaml = `version: 1
gateway: { township: t1, compound: c1, id: gw-st }
sources:
  - { id: meter-1, profile: eastron/sdm120, bus: meters, unit: 1, tags: { building: "1" } }
buses: [{ id: meters, type: tcp, host: 127.0.0.1, port: 1502 }]
spool: { dir: ${dir.path}, ${spool} }
`;
  const loaded = parseSiteConfig('site.yaml', yaml);
  const events = throwingEventBus();
  const stats = new Stats();
  const durability = new Durability();
  const context = testContext(loaded, { events, clock, stats, durability });
  const alarms: AlarmEvent[] = [];
  const measurements: Measurement[] = [];
  events.on('alarm', (a) => alarms.push(a));
  events.on('measurement', (m) => measurements.push(m));
  const stage = new SpoolStage(context);
  let n = 0;
  const measurement = (value: number): Measurement => ({
    source: 'meter-1',
    point: 'voltage',
    class: 'power',
    value,
    unit: 'V',
    ts: clock.now() + n++, // one line each
    mono: clock.mono(),
    timeSynced: true,
    quality: 'good',
    tags: { township: 't1', compound: 'c1', gateway: 'gw-st', source: 'meter-1' },
  });
  return { dir: dir.path, context, events, stats, durability, alarms, measurements, stage, measurement, clock };
}

/** Spools `rounds` rounds of 30 one-line measurements, each round on disk before the next. */
async function spoolRounds(s: ReturnType<typeof setup>, rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < 30; i++) s.events.emit('measurement', s.measurement(200 + i));
    await s.durability.barrier();
  }
}

/** A started stage on an 8 KB spool, interval timers faked, spooled past its bound so telemetry was dropped. */
async function startOverfilled() {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  const s = setup('maxBytes: 8KB, syncEvery: 5ms, segmentBytes: 2KB');
  s.stage.start();
  cleanup.push(() => s.stage.stop());
  const spool = s.context.services.get('spool')!;
  await spoolRounds(s, 10);
  return { s, spool };
}

describe('spool stage', () => {
  it('writes measurements and alarm events to their lanes, durable at the barrier, and counts an unencodable measurement instead', async () => {
    const s = setup('maxBytes: 64MB, syncEvery: 10ms, segmentBytes: 256KB');
    s.stage.start();
    cleanup.push(() => s.stage.stop());
    const spool = s.context.services.get('spool')!;
    expect(spool).toBeDefined();
    s.events.emit('measurement', s.measurement(230.5));
    s.events.emit('measurement', s.measurement(Number.NaN));
    const alarm: AlarmEvent = { eventId: 'ev-1', alarmId: 'meter-1-hi', transition: 'raise', state: 'raised', level: 'warning', source: 'meter-1', point: 'voltage', rule: 'hi', value: 260, text: { zh: '电压过高', en: 'Voltage high' }, tags: {}, ts: 1, mono: 1, timeSynced: true, by: undefined };
    s.events.emit('alarm', alarm);
    await s.durability.barrier();
    const lines = spool.telemetry.read(0, 10).map((r) => decodeTelemetryRecord(r.payload));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ synced: true, line: expect.stringMatching(/ voltage=230\.5 \d+$/) });
    expect(s.stats.counter('spool.measurements')).toBe(1);
    expect(s.stats.counter('spool.unencodable', { source: 'meter-1' })).toBe(1);
    const [record] = spool.alarm.read(0, 10);
    expect(decodeAlarmRecord(record!.payload).event).toEqual(alarm);
    await s.stage.stop();
    expect(s.context.services.get('spool')).toBeUndefined();
  });

  it('raises spool_full once with the drop measurement when telemetry is dropped, and clears it when the bound check finds the spool under half', async () => {
    const { s, spool } = await startOverfilled();
    expect(spool.dropped()).toBeGreaterThan(0);
    const full = s.alarms.filter((a) => a.rule === 'spool_full');
    expect(full).toHaveLength(1); // raised once, not per drop
    expect(full[0]).toMatchObject({ transition: 'raise', state: 'raised', level: 'warning', alarmId: 'gw-st-spool_full', point: 'spool_dropped', source: 'gw-st' });
    expect(full[0]!.text.en).toMatch(/spool full: dropped the oldest \d+ telemetry records/);
    const drops = s.measurements.filter((m) => m.point === 'spool_dropped');
    expect(drops.length).toBeGreaterThan(0);
    expect(drops.at(-1)).toMatchObject({ source: 'gw-st', class: 'gateway', value: spool.dropped(), tags: { township: 't1', compound: 'c1', gateway: 'gw-st' } });
    expect(full[0]!.value).toBe(drops[0]!.value);

    vi.advanceTimersByTime(60_000); // still over half: no clear
    expect(s.alarms.filter((a) => a.rule === 'spool_full')).toHaveLength(1);
    spool.telemetry.ack(spool.telemetry.durableEnd()); // the uplink delivered everything
    expect(spool.bytes()).toBeLessThan(4096);
    vi.advanceTimersByTime(59_999);
    expect(s.alarms.filter((a) => a.rule === 'spool_full')).toHaveLength(1);
    vi.advanceTimersByTime(1);
    const after = s.alarms.filter((a) => a.rule === 'spool_full');
    expect(after).toHaveLength(2);
    expect(after[1]).toMatchObject({ transition: 'clear', state: 'cleared', alarmId: 'gw-st-spool_full' });
    vi.advanceTimersByTime(60_000); // cleared once
    expect(s.alarms.filter((a) => a.rule === 'spool_full')).toHaveLength(2);
  });

  it('the gateway alarms and the drop measurement carry the gateway, the clock\'s time and a fresh event id', async () => {
    const { s, spool } = await startOverfilled();
    spool.telemetry.ack(spool.telemetry.durableEnd());
    const before = s.clock.now();
    vi.advanceTimersByTime(60_000);
    const after = s.clock.now();
    const [raise, clear] = s.alarms.filter((a) => a.rule === 'spool_full');
    const tags = { township: 't1', compound: 'c1', gateway: 'gw-st' };
    for (const event of [raise!, clear!]) {
      expect(event).toMatchObject({ source: 'gw-st', alarmId: 'gw-st-spool_full', level: 'warning', point: 'spool_dropped', tags, timeSynced: true, by: undefined });
      expect(event.eventId).toMatch(/^spool_full-[0-9a-f]{16}$/);
      expect(event.ts).toBeLessThanOrEqual(after);
      expect(event.mono).toBeGreaterThan(0);
    }
    expect(raise!.eventId).not.toBe(clear!.eventId);
    expect(clear!.ts).toBeGreaterThanOrEqual(before);
    // The warning says how many records went (the drop report's count), in both languages.
    const firstDrop = s.measurements.find((m) => m.point === 'spool_dropped')!;
    expect(raise!.text.zh).toContain(String(firstDrop.value));
    expect(raise!.text.en).toContain(String(firstDrop.value));
    expect(clear!.text).toEqual({ zh: expect.stringMatching(/./), en: expect.stringMatching(/./) });
    expect(clear!.text.zh).not.toBe(raise!.text.zh);
    expect(clear!.text.en).not.toBe(raise!.text.en);
    expect(firstDrop).toMatchObject({ point: 'spool_dropped', quality: 'good', unit: undefined, timeSynced: true });
    expect(firstDrop.ts).toBeLessThanOrEqual(after);
    expect(firstDrop.mono).toBeGreaterThan(0);
  });

  it('the periodic bound check drops telemetry older than maxAge only once the wall clock is synced', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = new HonestClock({ synced: false });
    const s = setup('maxBytes: 64MB, maxAge: 1h, syncEvery: 5ms, segmentBytes: 2KB', clock);
    s.stage.start();
    cleanup.push(() => s.stage.stop());
    const spool = s.context.services.get('spool')!;
    await spoolRounds(s, 4);
    const laneDir = join(s.dir, 'telemetry');
    const segments = readdirSync(laneDir).filter((f) => f.endsWith('.seg')).sort();
    expect(segments.length).toBeGreaterThan(2);
    const old = (Date.now() - 2 * 3_600_000) / 1000;
    for (const f of segments) utimesSync(join(laneDir, f), old, old);
    vi.advanceTimersByTime(60_000); // the clock is not known good: every file would look old
    expect(spool.dropped()).toBe(0);
    expect(s.alarms.filter((a) => a.rule === 'spool_full')).toEqual([]);
    clock.markSynced('test');
    vi.advanceTimersByTime(60_000);
    // Every closed segment is dropped, the active one stays.
    const kept = readdirSync(laneDir).filter((f) => f.endsWith('.seg'));
    expect(kept).toEqual([segments.at(-1)]);
    expect(spool.dropped()).toBe(Number(segments.at(-1)!.replace('.seg', '')));
    expect(s.stats.counter('spool.dropped', { lane: 'telemetry', reason: 'max_age' })).toBe(spool.dropped());
    // Under half of maxBytes after the drop: the same check clears the warning.
    expect(s.alarms.filter((a) => a.rule === 'spool_full').map((a) => a.transition)).toEqual(['raise', 'clear']);
  });

  it('after stop() the bound check no longer runs and nothing more is spooled', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const s = setup('maxBytes: 8KB, syncEvery: 5ms, segmentBytes: 2KB');
    s.stage.start();
    const spool = s.context.services.get('spool')!;
    await spoolRounds(s, 10);
    await s.stage.stop();
    const end = spool.telemetry.durableEnd();
    const alarmEnd = spool.alarm.durableEnd(); // the spool_full warning itself
    spool.telemetry.ack(end);
    vi.advanceTimersByTime(120_000);
    expect(s.alarms.filter((a) => a.rule === 'spool_full').map((a) => a.transition)).toEqual(['raise']);
    s.events.emit('measurement', s.measurement(1));
    s.events.emit('alarm', { eventId: 'ev-late', alarmId: 'x', transition: 'raise', state: 'raised', level: 'warning', source: 'meter-1', point: 'voltage', rule: 'hi', value: 1, text: { zh: '高', en: 'high' }, tags: {}, ts: 1, mono: 1, timeSynced: true, by: undefined });
    await s.durability.barrier(); // withdrawn with the stage: resolves at once
    await Promise.resolve();
    expect(spool.telemetry.durableEnd()).toBe(end);
    expect(spool.alarm.durableEnd()).toBe(alarmEnd);
  });

  it('in a runtime without a durability service it still spools, and stops cleanly', async () => {
    const s = setup('maxBytes: 64MB, syncEvery: 5ms, segmentBytes: 256KB');
    const stage = new SpoolStage({ ...s.context, durability: undefined });
    stage.start();
    cleanup.push(() => stage.stop());
    const spool = s.context.services.get('spool')!;
    s.events.emit('measurement', s.measurement(230.5));
    await waitFor('the measurement durable in the spool', () => spool.telemetry.durableEnd() === 1);
    expect(decodeTelemetryRecord(spool.telemetry.read(0, 10)[0]!.payload)).toMatchObject({ synced: true, line: expect.stringMatching(/ voltage=230\.5 \d+$/) });
    await stage.stop();
    expect(s.context.services.get('spool')).toBeUndefined();
  });

  it('a stage whose start failed (the spool dir held by a live process) still stops', async () => {
    const s = setup('maxBytes: 64MB, syncEvery: 5ms, segmentBytes: 256KB');
    writeFileSync(join(s.dir, 'lock'), '1'); // pid 1 is alive
    expect(() => s.stage.start()).toThrow(/in use by process 1/);
    await expect(s.stage.stop()).resolves.toBeUndefined();
    expect(s.context.services.get('spool')).toBeUndefined();
  });
});
