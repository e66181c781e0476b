// The silence/ack button through the in-memory GpioPort (no GPIO on this machine; see DESIGN.md).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { schema as gpioActuator } from '../../../gateway/actuators/gpio/options.js';
import { AlarmBoard } from '../../../gateway/alarms/board.js';
import { SilenceButton, type SilenceButtonConfig } from '../../../gateway/actuators/gpio/silence-button.js';
import { MemoryGpioPort } from '../../../gateway/drivers/gpio/memory-port.js';
import type { GatewayCommand } from '../../../gateway/pipeline/types.js';

async function build() {
  const port = new MemoryGpioPort();
  port.setInput(5, 1); // released: pulled up
  const config = gpioActuator.parse({ id: 'btn', type: 'gpio', role: 'silence_button', line: 5, debounce: '30ms', longPress: '2s', silenceFor: '10m' }) as SilenceButtonConfig;
  const board = new AlarmBoard();
  board.apply({ eventId: 'e1', alarmId: 'a.b.c', transition: 'raise', state: 'raised', level: 'fire', source: 'a', point: 'b', rule: 'c', value: undefined, text: { zh: '火警', en: 'fire' }, tags: {}, ts: 0, mono: 0, timeSynced: true, by: undefined });
  const commands: GatewayCommand[] = [];
  const button = new SilenceButton(config, board, (c) => commands.push(c));
  button.attach(await port.input(5, { edge: 'both', debounceMs: 30 }));
  return { port, commands, button };
}

describe('silence / acknowledge button', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('short press silences every alarm for silenceFor', async () => {
    const t = await build();
    t.port.setInput(5, 0);
    await vi.advanceTimersByTimeAsync(300);
    t.port.setInput(5, 1);
    await vi.advanceTimersByTimeAsync(50);
    expect(t.commands).toEqual([{ kind: 'silence', alarmId: undefined, by: 'button:btn', forMs: 600_000 }]);
    t.button.stop();
  });

  it('long press acknowledges the raised alarms while still held, and does not also silence', async () => {
    const t = await build();
    t.port.setInput(5, 0);
    await vi.advanceTimersByTimeAsync(2100);
    expect(t.commands).toEqual([{ kind: 'acknowledge', alarmId: 'a.b.c', by: 'button:btn' }]);
    t.port.setInput(5, 1);
    await vi.advanceTimersByTimeAsync(50);
    expect(t.commands).toHaveLength(1);
    t.button.stop();
  });

  it('ignores contact bounce shorter than the debounce time', async () => {
    const t = await build();
    for (let i = 0; i < 5; i++) {
      t.port.setInput(5, 0);
      await vi.advanceTimersByTimeAsync(5);
      t.port.setInput(5, 1);
      await vi.advanceTimersByTimeAsync(5);
    }
    await vi.advanceTimersByTimeAsync(100);
    expect(t.commands).toEqual([]);
    t.button.stop();
  });
});
