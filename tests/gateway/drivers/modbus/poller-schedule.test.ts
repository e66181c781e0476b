// The bus poller's schedule and verdicts, one at a time, with a manual clock and a scripted slave (issue
// 18: these survived mutation of bus-poller.ts): a source goes offline at exactly the offline-after-th
// failed poll and says so once; a refused block leaves the others read and the source online; coils and
// discrete inputs are read as bits; a slow model gets its profile's response time, never less than the
// bus's; the next poll is anchored to the due time, not to when the poll ended, unless it ended past it;
// of two sources due at once the more overdue goes first; a failing meter's retry lets failing
// alarm-class sources go first; every request sent is counted.
import { afterEach, describe, expect, it } from 'vitest';
import { BusPoller, OFFLINE_AFTER_FAILURES } from '../../../../gateway/drivers/modbus/bus-poller.js';
import type { ReadRequest } from '../../../../gateway/drivers/modbus/plan.js';
import { ModbusFault, type ReadResult } from '../../../../gateway/drivers/modbus/transport.js';
import type { Reading, SourceStatus } from '../../../../gateway/pipeline/types.js';
import { waitFor } from '../../../helpers/wait.js';
import { onesFor, pollerHarness, scriptedBus } from './poller-fixture.js';

const METER = (id: string, unit: number, poll = '1s') => `{ id: ${id}, profile: eastron/sdm120, bus: b1, unit: ${unit}, poll: ${poll}, tags: { building: "1" } }`;

let poller: BusPoller | undefined;
afterEach(async () => {
  await poller?.stop();
  poller = undefined;
});

/** A poller over `read`, started, with a step that advances the clock and waits for the bus to go idle. */
async function started(sources: readonly string[], read: (unit: number, request: ReadRequest, timeoutMs: number) => Promise<ReadResult>, busTimeoutMs = 500) {
  const harness = pollerHarness(sources);
  const statuses: SourceStatus[] = [];
  const readings: Reading[] = [];
  harness.events.on('source.status', (s) => statuses.push(s));
  harness.events.on('reading', (r) => readings.push(r));
  const transport = scriptedBus(read as (unit: number, request: ReadRequest) => Promise<ReadResult>, busTimeoutMs);
  poller = harness.poller(transport);
  const idle = () => waitFor('poller idle', () => [...poller!.nextAttempts().values()].every((due) => due > harness.clock.mono()), 10_000);
  poller.start();
  await idle();
  const step = async (ms: number) => {
    harness.clock.advance(ms);
    await idle();
  };
  return { ...harness, statuses, readings, step, poller: poller! };
}

describe('bus poller schedule and verdicts', () => {
  it(`declares a silent source offline at failed poll number ${OFFLINE_AFTER_FAILURES} (the option's default), once`, async () => {
    let polls = 0;
    const { statuses, step } = await started([METER('meter-1', 1)], () => {
      polls++;
      return Promise.reject(new ModbusFault('timeout', 'no answer'));
    });
    // The first poll ran at start; the next ones each after their interval (1 s, then backing off).
    for (let n = 1; n < OFFLINE_AFTER_FAILURES; n++) {
      expect(statuses, `after ${n} failed polls`).toEqual([]);
      await step(1000);
    }
    expect(polls).toBe(OFFLINE_AFTER_FAILURES);
    expect(statuses.map((s) => [s.source, s.online])).toEqual([['meter-1', false]]);
    for (let n = 0; n < 4; n++) await step(60_000);
    expect(polls).toBeGreaterThan(OFFLINE_AFTER_FAILURES + 2);
    expect(statuses).toHaveLength(1);
  });

  it('reads the other blocks past a refused one, delivers what they hold and keeps the source online', async () => {
    const blocks: number[] = [];
    const { statuses, readings, step, poller: p } = await started([METER('meter-1', 1)], (_unit, request) => {
      blocks.push(request.address);
      if (request.address === 0) return Promise.reject(new ModbusFault('exception', 'illegal data address', 2));
      return Promise.resolve(onesFor(request));
    });
    const plan = p.plan().get('meter-1')!;
    expect(plan.length).toBeGreaterThan(1);
    for (let n = 0; n < OFFLINE_AFTER_FAILURES + 1; n++) await step(1000);
    // Every block of every poll was asked for, the refused one included.
    expect(blocks).toEqual(Array.from({ length: OFFLINE_AFTER_FAILURES + 2 }, () => plan.map((r) => r.address)).flat());
    expect(statuses.map((s) => s.online)).toEqual([true]);
    expect(readings).toHaveLength(OFFLINE_AFTER_FAILURES + 2);
    expect(readings[0]!.values.size).toBeGreaterThan(0);
    expect(readings[0]!.values.has('voltage')).toBe(false);
  });

  it('reads discrete inputs as bits', async () => {
    const { readings } = await started(['{ id: smoke-1, profile: calectro/uniguard-ug3-mb, bus: b1, unit: 4, poll: 1s, tags: { building: "1" } }'], (_unit, request) =>
      Promise.resolve({ kind: 'bits', bits: Array.from({ length: request.count }, (_, i) => i === 2) }),
    );
    expect(readings).toHaveLength(1);
    expect(readings[0]!.values.get('smoke_alarm')).toEqual({ kind: 'bits', bits: [true] });
    expect(readings[0]!.values.get('detector_mounted')).toEqual({ kind: 'bits', bits: [false] });
  });

  it("waits its profile's response time for a slow model, and never less than the bus's", async () => {
    const seen: number[] = [];
    const read = (_unit: number, request: ReadRequest, timeoutMs: number) => (seen.push(timeoutMs), Promise.resolve(onesFor(request)));
    // eastron/sdm120 says 500 ms.
    await started([METER('meter-1', 1)], read, 200);
    expect(new Set(seen)).toEqual(new Set([500]));
    await poller!.stop();
    seen.length = 0;
    await started([METER('meter-1', 1)], read, 900);
    expect(new Set(seen)).toEqual(new Set([900]));
  });

  it('anchors the next poll to the due time, and to the end of a poll that overran it', async () => {
    // The slave's answer takes `by` ms of the manual clock (set once the clock is known).
    const slow: { by: number; clock?: { advance(ms: number): void } } = { by: 30 };
    const { clock, step, poller: p } = await started([METER('meter-1', 1)], (_unit, request) => {
      slow.clock?.advance(slow.by);
      return Promise.resolve(onesFor(request));
    });
    slow.clock = clock;
    const due0 = p.nextAttempts().get('meter-1')!;
    await step(due0 - clock.mono());
    // A poll of several blocks, each 30 ms: the next is still one interval after the due time.
    expect(p.nextAttempts().get('meter-1')).toBe(due0 + 1000);
    slow.by = 700;
    await step(p.nextAttempts().get('meter-1')! - clock.mono());
    const ended = clock.mono();
    // Three blocks at 700 ms overran the interval: the next is an interval after the poll ended.
    expect(ended - (due0 + 1000)).toBeGreaterThan(1000);
    expect(p.nextAttempts().get('meter-1')).toBe(ended + 1000);
  });

  it("lets a failing alarm-class source go first when a failing meter's retry falls due", async () => {
    const calls: number[] = [];
    // The bus is down: every read times out at once. The level sensor (water_level) polls every 10 s, the meter every 1 s.
    const { step, poller: p, clock } = await started(
      [METER('meter-1', 1), '{ id: level-1, profile: generic/qdy30a, bus: b1, unit: 2, poll: 10s, tags: { building: "1" } }'],
      (unit) => (calls.push(unit), Promise.reject(new ModbusFault('timeout', 'no answer'))),
    );
    expect(calls.sort()).toEqual([1, 2]);
    expect(p.nextAttempts().get('level-1')! - clock.mono()).toBeGreaterThan(5000);
    calls.length = 0;
    // The meter's retry is due in 1 s: a sign the bus may be back, so the level sensor is tried first, at once.
    await step(p.nextAttempts().get('meter-1')! - clock.mono());
    expect(calls).toEqual([2, 1]);
  });

  it('of two meters due at once reads the more overdue first, and counts every request', async () => {
    const units: number[] = [];
    // meter-b is listed first. Both were due at 0, so both are due again at +1 s of the clock's start
    // (anchored to the due time, past it); read then in list order, meter-a falls due again 1 s later and
    // meter-b 2 s later.
    const { step, poller: p, stats, clock } = await started([METER('meter-b', 2, '2s'), METER('meter-a', 1, '1s')], (unit, request) => (units.push(unit), Promise.resolve(onesFor(request))));
    await step(p.nextAttempts().get('meter-a')! - clock.mono());
    const due = p.nextAttempts();
    expect(due.get('meter-a')! < due.get('meter-b')!).toBe(true);
    units.length = 0;
    await step(due.get('meter-b')! - clock.mono() + 500);
    // Both are due: meter-a, due longer, goes first, then meter-b.
    const blocks = p.plan().get('meter-a')!.length;
    expect(units).toEqual([...Array<number>(blocks).fill(1), ...Array<number>(blocks).fill(2)]);
    const sent = stats.counter('modbus.requests', { source: 'meter-a' }) + stats.counter('modbus.requests', { source: 'meter-b' });
    expect(sent).toBe(6 * blocks);
    expect(p.requestsSent).toBe(sent);
  });
});
