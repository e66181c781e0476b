// The GpioPort contract (issue 12): what the GPIO driver and the GPIO actuators rely on from any port, run
// against the in-memory port (tests/gateway/drivers/gpio/memory-port.test.ts) and the onoff adapter on a fake
// sysfs in a mount namespace (tests/gateway/drivers/gpio/fixtures/onoff-in-namespace.ts). Plain checks that
// throw, not vitest cases, so the namespace child (which runs outside vitest) can run the same ones.
// Edges are not here: epoll cannot deliver them from the fake sysfs (see gateway/drivers/gpio/README.md).
import assert from 'node:assert/strict';
import type { GpioLevel, GpioPort } from '../../gateway/drivers/gpio/port.js';

/** The outside of the port: what the pins are, as the test can see and set them. */
export interface GpioWorld {
  /** Three free BCM lines the checks may use. */
  readonly lines: readonly [number, number, number];
  /** A BCM line the chip does not have. */
  readonly missingLine: number;
  /** Drives an input line from outside (a contact closing). */
  setLevel(line: number, level: GpioLevel): void | Promise<void>;
  /** What an output line is at, seen from outside (the siren relay). */
  outputLevel(line: number): GpioLevel | undefined | Promise<GpioLevel | undefined>;
  /** Waits until a closed line is released on the outside (the kernel's unexport). */
  released(line: number): Promise<void>;
}

export interface GpioContractCheck {
  readonly name: string;
  run(port: GpioPort, world: GpioWorld): Promise<void>;
}

export const GPIO_PORT_CONTRACT: readonly GpioContractCheck[] = [
  {
    name: 'an input reads the level the outside sets',
    async run(port, world) {
      const line = world.lines[0];
      const input = await port.input(line, { edge: 'none', debounceMs: 0 });
      await world.setLevel(line, 0);
      assert.equal(await input.read(), 0);
      await world.setLevel(line, 1);
      assert.equal(await input.read(), 1);
      await input.close();
      await world.released(line);
    },
  },
  {
    name: 'an output opens at its initial level and follows writes, seen from outside',
    async run(port, world) {
      const line = world.lines[1];
      const output = await port.output(line, { initial: 1 });
      assert.equal(await world.outputLevel(line), 1);
      assert.equal(output.level(), 1);
      await output.write(0);
      assert.equal(await world.outputLevel(line), 0);
      assert.equal(output.level(), 0);
      await output.close();
      await world.released(line);
    },
  },
  {
    name: 'a closed line can be opened again, and a closed output refuses writes',
    async run(port, world) {
      const line = world.lines[2];
      const first = await port.output(line, { initial: 0 });
      await first.close();
      await world.released(line);
      await assert.rejects(first.write(1));
      const again = await port.output(line, { initial: 1 });
      assert.equal(await world.outputLevel(line), 1);
      await again.close();
      await world.released(line);
    },
  },
  {
    name: 'a line the chip does not have is refused, naming the line',
    async run(port, world) {
      await assert.rejects(port.input(world.missingLine, { edge: 'none', debounceMs: 0 }), new RegExp(`line ${world.missingLine}\\b`));
    },
  },
];
