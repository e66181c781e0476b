// How a runtime makes its GpioPort when none is injected (RuntimeOptions.gpioPort: the demo's and the
// tests' memory port): the site's `drivers.gpio` block chooses onoff (real pins) or the in-memory port.
// The runtime's Services keeps the one port, shared by the GPIO driver (inputs) and GPIO actuators (sirens).
import { MemoryGpioPort } from './memory-port.js';
import { OnoffGpioPort } from './onoff-port.js';
import type { GpioDriverOptions } from './options.js';
import type { GpioPort } from './port.js';

export function defaultGpioPort(options: GpioDriverOptions): Promise<GpioPort> {
  if (options.port === 'memory') return Promise.resolve(new MemoryGpioPort());
  return OnoffGpioPort.create({ sysfsRoot: options.sysfsRoot, chipLabel: options.chipLabel });
}
