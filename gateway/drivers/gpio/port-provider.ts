// How a runtime makes its GpioPort when none is injected (RuntimeOptions.gpioPort: the demo's and the
// tests' memory port): the GPIO driver options choose onoff (real pins) or the in-memory port. The
// runtime's Services keeps the one port, shared by the GPIO driver (inputs) and GPIO actuators (sirens).
import { MemoryGpioPort } from './memory-port.js';
import { OnoffGpioPort } from './onoff-port.js';
import { currentGpioDriverOptions } from './options.js';
import type { GpioPort } from './port.js';

export function defaultGpioPort(): Promise<GpioPort> {
  const options = currentGpioDriverOptions();
  if (options.port === 'memory') return Promise.resolve(new MemoryGpioPort());
  return OnoffGpioPort.create({ sysfsRoot: options.sysfsRoot, chipLabel: options.chipLabel });
}
