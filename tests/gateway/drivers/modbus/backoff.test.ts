// Back-off after a bus outage, with a manual clock and a scripted transport (no sleeps, no real bus):
// alarm-class sources keep retrying at least every max(poll, 5 s) and come back before the meters.
import { afterEach, describe, expect, it } from 'vitest';
import { BusPoller, MAX_BACKOFF_MS, retryDelay } from '../../../../gateway/drivers/modbus/bus-poller.js';
import type { ReadRequest } from '../../../../gateway/drivers/modbus/plan.js';
import { ModbusFault, type ReadResult } from '../../../../gateway/drivers/modbus/transport.js';
import type { SourceStatus } from '../../../../gateway/pipeline/types.js';
import { waitFor } from '../../../helpers/wait.js';
import { onesFor, pollerHarness, scriptedBus } from './poller-fixture.js';

const SOURCES = [
  '{ id: meter-1, profile: eastron/sdm120, bus: b1, unit: 1, poll: 1s, tags: { building: "1" } }',
  '{ id: level-1, profile: generic/qdy30a, bus: b1, unit: 2, poll: 1s, tags: { building: "1" } }',
  '{ id: rcd-1, profile: acrel/aim-r100, bus: b1, unit: 3, poll: 2s, tags: { building: "1" } }',
];

/** A bus that times out at once while `down` (the timeout's wait is the clock's business here). */
function scriptedTransport() {
  const calls: { unit: number; mono: number }[] = [];
  const state = { down: false, mono: () => 0 };
  const transport = scriptedBus((unit: number, request: ReadRequest): Promise<ReadResult> => {
    calls.push({ unit, mono: state.mono() });
    if (state.down) return Promise.reject(new ModbusFault('timeout', `unit ${unit}: no answer`));
    return Promise.resolve(onesFor(request));
  });
  return { transport, calls, state };
}

describe('Modbus back-off', () => {
  let poller: BusPoller | undefined;
  afterEach(async () => poller?.stop());

  it('caps an alarm-class source at max(poll, 5 s); meters double up to 60 s', () => {
    expect(retryDelay(1000, 40, true)).toBe(5000);
    expect(retryDelay(10_000, 40, true)).toBe(10_000);
    expect(retryDelay(1000, 3, true)).toBe(2000);
    expect(retryDelay(1000, 40, false)).toBe(MAX_BACKOFF_MS);
  });

  it('after a 20 s outage the alarm-class sources retry every ≤ 5 s and are back online before the meter', async () => {
    const { clock, events, poller: pollerOver } = pollerHarness(SOURCES);
    const statuses: SourceStatus[] = [];
    events.on('source.status', (s) => statuses.push(s));
    const { transport, calls, state } = scriptedTransport();
    state.mono = () => clock.mono();
    poller = pollerOver(transport);
    const settled = () => waitFor('poller idle', () => [...poller!.nextAttempts().values()].every((due) => due > clock.mono()), 10_000);
    const step = async (ms: number) => {
      clock.advance(ms);
      await settled();
    };
    poller.start();
    await settled();
    await step(2000);
    expect(statuses.filter((s) => s.online)).toHaveLength(3);

    state.down = true;
    const outageStart = clock.mono();
    for (let t = 0; t < 20_000; t += 250) await step(250);
    expect(statuses.filter((s) => !s.online).map((s) => s.source).sort()).toEqual(['level-1', 'meter-1', 'rcd-1']);
    // During the outage the alarm-class units (2, 3) were never left longer than 5 s without a retry.
    for (const unit of [2, 3]) {
      const tries = calls.filter((c) => c.unit === unit && c.mono >= outageStart + 10_000).map((c) => c.mono);
      for (let i = 1; i < tries.length; i++) expect(tries[i]! - tries[i - 1]!).toBeLessThanOrEqual(5000);
    }

    state.down = false;
    const back = clock.mono();
    const onlineAgain = () => statuses.filter((s) => s.online && s.mono >= back).map((s) => s.source);
    for (let t = 0; t < 70_000 && onlineAgain().length < 3; t += 250) await step(250);
    const order = onlineAgain();
    expect(order).toHaveLength(3);
    expect(order.indexOf('meter-1')).toBe(2);
    const recovered = (id: string) => statuses.find((s) => s.source === id && s.online && s.mono >= back)!.mono - back;
    expect(recovered('level-1')).toBeLessThanOrEqual(5000);
    expect(recovered('rcd-1')).toBeLessThanOrEqual(5000);
  }, 60_000);
});
