import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../gateway/pipeline/event-bus.js';

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
});
