// A silent device costs the bus at most one timeout per cycle, checked from above and below with a manual
// clock and a scripted transport: the dead meter's plan has several blocks, yet each of its polls sends
// exactly one request (the first timeout ends its cycle), so the bus time it takes per poll is one timeout,
// while the healthy thermometer on the same bus is read in full every cycle.
import { afterEach, describe, expect, it } from 'vitest';
import { BusPoller, OFFLINE_AFTER_FAILURES } from '../../../../gateway/drivers/modbus/bus-poller.js';
import type { ReadRequest } from '../../../../gateway/drivers/modbus/plan.js';
import { ModbusFault, type ReadResult } from '../../../../gateway/drivers/modbus/transport.js';
import type { SourceStatus } from '../../../../gateway/pipeline/types.js';
import { waitFor } from '../../../helpers/wait.js';
import { onesFor, pollerHarness, scriptedBus } from './poller-fixture.js';

const SOURCES = [
  '{ id: thermo-1, profile: generic/xy-md02, bus: b1, unit: 1, poll: 250ms, tags: { building: "1" } }',
  '{ id: dead-meter, profile: eastron/sdm120, bus: b1, unit: 9, poll: 250ms, tags: { building: "1" } }',
];
const DEAD_UNIT = 9;
const TIMEOUT_MS = 500;

describe('a silent Modbus device', () => {
  let poller: BusPoller | undefined;
  afterEach(async () => poller?.stop());

  it('costs at most one timeout per cycle, and the healthy source is read in full every cycle', async () => {
    const { clock, events, stats, poller: pollerOver } = pollerHarness(SOURCES);
    const statuses: SourceStatus[] = [];
    const readings: { source: string; mono: number }[] = [];
    events.on('source.status', (s) => statuses.push(s));
    events.on('reading', (r) => readings.push({ source: r.source, mono: r.mono }));
    // Each call records the clock; the dead unit never answers (the timeout's wait is the clock's business).
    const calls: { unit: number; mono: number }[] = [];
    const transport = scriptedBus((unit: number, request: ReadRequest): Promise<ReadResult> => {
      calls.push({ unit, mono: clock.mono() });
      if (unit === DEAD_UNIT) return Promise.reject(new ModbusFault('timeout', `unit ${unit}: no answer within ${TIMEOUT_MS} ms`));
      return Promise.resolve(onesFor(request));
    }, TIMEOUT_MS);
    poller = pollerOver(transport);
    const deadBlocks = poller.plan().get('dead-meter')!.length;
    const thermoBlocks = poller.plan().get('thermo-1')!.length;
    // The bound means something only if a full poll of the dead meter would cost several timeouts.
    expect(deadBlocks).toBeGreaterThanOrEqual(2);

    const settled = () => waitFor('poller idle', () => [...poller!.nextAttempts().values()].every((due) => due > clock.mono()), 10_000);
    // 15 s in 250 ms steps (the first at start); no time passes inside a step, so each source is polled at
    // most once per step.
    const perStep: { dead: number; thermo: number }[] = [];
    for (let t = 0; t <= 15_000; t += 250) {
      const before = calls.length;
      if (t === 0) poller.start();
      else clock.advance(250);
      await settled();
      const stepCalls = calls.slice(before);
      perStep.push({ dead: stepCalls.filter((c) => c.unit === DEAD_UNIT).length, thermo: stepCalls.filter((c) => c.unit === 1).length });
    }

    // From above: a poll of the dead meter is one request, one timeout, never its whole plan.
    for (const step of perStep) expect(step.dead).toBeLessThanOrEqual(1);
    const deadPolls = perStep.filter((s) => s.dead === 1).length;
    const requests = stats.counter('modbus.requests', { source: 'dead-meter' });
    expect(requests).toBe(deadPolls);
    expect(stats.counter('modbus.timeout', { source: 'dead-meter' })).toBe(requests);
    expect(stats.counter('modbus.retries', { source: 'dead-meter' })).toBe(0);
    // From below: it is still tried (offline after 3 failures, then backed off), so it is noticed when it returns.
    expect(deadPolls).toBeGreaterThanOrEqual(OFFLINE_AFTER_FAILURES + 2);
    expect(statuses.filter((s) => s.source === 'dead-meter')).toMatchObject([{ online: false, lastError: { kind: 'timeout' } }]);

    // The thermometer: its whole plan in every step (it is due every 250 ms), whatever the dead meter does.
    for (const step of perStep) expect(step.thermo).toBe(thermoBlocks);
    expect(readings.filter((r) => r.source === 'thermo-1')).toHaveLength(perStep.length);
    expect(readings.filter((r) => r.source === 'dead-meter')).toEqual([]);
  }, 60_000);
});
