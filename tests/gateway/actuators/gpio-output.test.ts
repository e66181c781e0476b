// GPIO sirens and strobes through the in-memory GpioPort (this machine has no GPIO; see DESIGN.md).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { schema as gpioActuator } from '../../../gateway/actuators/gpio/options.js';
import { AlarmBoard } from '../../../gateway/alarms/board.js';
import { GpioAlarmOutput, type GpioOutputConfig } from '../../../gateway/actuators/gpio/gpio-output.js';
import { MemoryGpioPort } from '../../../gateway/drivers/gpio/memory-port.js';
import type { AlarmEvent, AlarmLevel, AlarmTransition, AlarmState } from '../../../gateway/pipeline/types.js';

let n = 0;
function event(alarmId: string, level: AlarmLevel, transition: AlarmTransition, state: AlarmState): AlarmEvent {
  return { eventId: `e${n++}`, alarmId, transition, state, level, source: 's', point: undefined, rule: 'r', value: undefined, text: { zh: '报警', en: 'alarm' }, tags: {}, ts: 0, mono: 0, timeSynced: true, by: undefined };
}

async function build(config: Record<string, unknown>) {
  const port = new MemoryGpioPort();
  const parsed = gpioActuator.parse({ id: 'out', type: 'gpio', line: 17, ...config }) as GpioOutputConfig;
  const output = new GpioAlarmOutput(parsed, await port.output(17, { initial: 0 }), (error) => {
    throw error;
  });
  const board = new AlarmBoard();
  const send = (e: AlarmEvent) => {
    board.apply(e);
    output.update(board.list());
  };
  return { port, output, send, level: () => port.outputLevel(17) };
}

describe('GPIO siren and strobe', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sounds a fire alarm continuously, at once, and stops on silence', async () => {
    const t = await build({ role: 'siren' });
    t.send(event('a', 'fire', 'raise', 'raised'));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.level()).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.level()).toBe(1);
    t.send(event('a', 'fire', 'silence', 'raised'));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.level()).toBe(0);
    t.send(event('a', 'fire', 'unsilence', 'raised'));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.level()).toBe(1);
  });

  it('pulses an alarm-level alarm (1 s on, 1 s off) and ignores levels it is not for', async () => {
    const t = await build({ role: 'siren' });
    t.send(event('w', 'warning', 'raise', 'raised'));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.level()).toBe(0);
    t.send(event('a', 'alarm', 'raise', 'raised'));
    const levels: number[] = [];
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(i === 0 ? 0 : 1000);
      levels.push(t.level()!);
    }
    expect(levels).toEqual([1, 0, 1, 0]);
  });

  it('plays the most urgent alarm: fire over alarm, back to the pulse when fire is reset', async () => {
    const t = await build({ role: 'siren' });
    t.send(event('a', 'alarm', 'raise', 'raised'));
    t.send(event('f', 'fire', 'raise', 'raised'));
    await vi.advanceTimersByTimeAsync(5000);
    expect(t.level()).toBe(1);
    t.send(event('f', 'fire', 'reset', 'cleared'));
    await vi.advanceTimersByTimeAsync(0);
    const levels = [t.level()];
    await vi.advanceTimersByTimeAsync(1000);
    levels.push(t.level());
    expect(levels).toEqual([1, 0]);
  });

  it('chirps for faults with a configured pattern, and an acknowledged alarm stops the siren', async () => {
    const t = await build({ role: 'siren', levels: ['fault'], patterns: { fault: { on: '200ms', off: '5s' } } });
    t.send(event('x', 'fault', 'raise', 'raised'));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.level()).toBe(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(t.level()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(t.level()).toBe(1);
    t.send(event('x', 'fault', 'acknowledge', 'acknowledged'));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.level()).toBe(0);
  });

  it('keeps the strobe flashing while an alarm is silenced or acknowledged, dark once cleared', async () => {
    const t = await build({ role: 'strobe' });
    t.send(event('f', 'fire', 'raise', 'raised'));
    t.send(event('f', 'fire', 'silence', 'raised'));
    t.send(event('f', 'fire', 'acknowledge', 'acknowledged'));
    const levels: number[] = [];
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(i === 0 ? 0 : 100);
      levels.push(t.level()!);
    }
    expect(levels).toEqual([1, 0, 1]);
    t.send(event('f', 'fire', 'reset', 'cleared'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.level()).toBe(0);
  });

  it('inverts for active-low relays', async () => {
    const t = await build({ role: 'siren', activeLow: true });
    t.send(event('f', 'fire', 'raise', 'raised'));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.level()).toBe(0);
    t.send(event('f', 'fire', 'clear', 'cleared'));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.level()).toBe(1);
  });
});
