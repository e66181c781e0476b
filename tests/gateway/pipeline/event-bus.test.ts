import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../../gateway/pipeline/events.js';

describe('EventBus', () => {
  it('delivers in subscription order and stops after unsubscribe', () => {
    const bus = new EventBus<{ tick: number }>(() => undefined);
    const got: string[] = [];
    const offA = bus.on('tick', (n) => got.push(`a${n}`));
    bus.on('tick', (n) => got.push(`b${n}`));
    bus.emit('tick', 1);
    offA();
    bus.emit('tick', 2);
    expect(got).toEqual(['a1', 'b1', 'b2']);
    expect(bus.listenerCount('tick')).toBe(1);
  });

  it('a listener that throws is reported and does not starve the others', () => {
    const errors: string[] = [];
    const bus = new EventBus<{ tick: number }>((event, error) => errors.push(`${event}: ${(error as Error).message}`));
    const got: number[] = [];
    bus.on('tick', () => {
      throw new Error('broken stage');
    });
    bus.on('tick', (n) => got.push(n));
    bus.emit('tick', 7);
    expect(got).toEqual([7]);
    expect(errors).toEqual(['tick: broken stage']);
  });

  it('the gateway event map names every event: a misspelt event or a wrong payload does not compile', () => {
    const bus = new EventBus<GatewayEvents>(() => undefined);
    const seen: string[] = [];
    bus.on('source.status', (status) => seen.push(status.source));
    // Checked by `npm run typecheck` (tsc covers tests/): with an index signature in GatewayEvents these
    // lines would compile, and each @ts-expect-error would then fail the type check.
    // @ts-expect-error 'measurment' is not an event
    bus.on('measurment', () => undefined);
    // @ts-expect-error a status is not a measurement
    bus.emit('measurement', { source: 'x', online: true, mono: 0 });
    bus.emit('source.status', { source: 'meter-1', online: false, mono: 0 });
    expect(seen).toEqual(['meter-1']);
  });
});
