// The in-memory GpioPort behaves like onoff: trailing debounce, edge filters, one user per line.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryGpioPort } from '../../../../gateway/drivers/gpio/memory-port.js';
import type { GpioLevel } from '../../../../gateway/drivers/gpio/port.js';
import { GPIO_PORT_CONTRACT } from '../../../contract-suites/gpio-port.js';

describe('MemoryGpioPort', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports a level only after it held for the debounce time, once per bounce train', async () => {
    const port = new MemoryGpioPort();
    const input = await port.input(17, { edge: 'both', debounceMs: 50 });
    const seen: GpioLevel[] = [];
    input.watch((level) => seen.push(level));
    port.setInput(17, 1);
    await vi.advanceTimersByTimeAsync(10);
    port.setInput(17, 0);
    await vi.advanceTimersByTimeAsync(10);
    port.setInput(17, 1);
    await vi.advanceTimersByTimeAsync(49);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual([1]);
    expect(await input.read()).toBe(1);
  });

  it('filters by edge and stops calling back after unwatch and close', async () => {
    const port = new MemoryGpioPort();
    const rising = await port.input(5, { edge: 'rising', debounceMs: 0 });
    const seen: GpioLevel[] = [];
    const unwatch = rising.watch((level) => seen.push(level));
    port.setInput(5, 1);
    port.setInput(5, 0);
    expect(seen).toEqual([1]);
    unwatch();
    port.setInput(5, 1);
    expect(seen).toEqual([1]);
    await rising.close();
    expect(port.openLines().inputs).toEqual([]);
  });

  it('drives outputs from their initial level and refuses a line that is in use', async () => {
    const port = new MemoryGpioPort();
    const siren = await port.output(23, { initial: 0 });
    expect(port.outputLevel(23)).toBe(0);
    await siren.write(1);
    expect(port.outputLevel(23)).toBe(1);
    expect(siren.level()).toBe(1);
    await expect(port.input(23, { edge: 'both', debounceMs: 0 })).rejects.toThrow(/line 23 is already in use/);
    await siren.close();
    await expect(siren.write(0)).rejects.toThrow(/closed/);
    expect(port.openLines()).toEqual({ inputs: [], outputs: [] });
  });
});

describe('MemoryGpioPort against the GpioPort contract', () => {
  for (const check of GPIO_PORT_CONTRACT) {
    it(check.name, async () => {
      const port = new MemoryGpioPort();
      await check.run(port, {
        lines: [17, 27, 22],
        missingLine: -1,
        setLevel: (line, level) => port.setInput(line, level),
        outputLevel: (line) => port.outputLevel(line),
        released: async () => undefined,
      });
      expect(port.openLines()).toEqual({ inputs: [], outputs: [] });
    });
  }
});
