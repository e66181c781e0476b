// The one GpioPort of the process, shared by the GPIO driver (inputs) and the GPIO actuators (sirens),
// so both see the same lines. The runtime or the demo may inject a port (setGpioPortFactory); otherwise
// the driver options choose onoff or the in-memory port.
import { MemoryGpioPort } from './memory-port.js';
import { OnoffGpioPort } from './onoff-port.js';
import { currentGpioDriverOptions } from './options.js';
import type { GpioPort } from './port.js';

export type GpioPortFactory = () => GpioPort | Promise<GpioPort>;

let factory: GpioPortFactory | undefined;
let shared: Promise<GpioPort> | undefined;

/**
 * Injects the port every GPIO user gets from gpioPort(), e.g. `setGpioPortFactory(() => demoPort)` before
 * the runtime starts. undefined goes back to the options (LASTMILE_GPIO_PORT). Takes effect for the next
 * gpioPort() call; ports already handed out stay with their users.
 */
export function setGpioPortFactory(next: GpioPortFactory | undefined): void {
  factory = next;
  shared = undefined;
}

function defaultPort(): Promise<GpioPort> {
  const options = currentGpioDriverOptions();
  if (options.port === 'memory') return Promise.resolve(new MemoryGpioPort());
  return OnoffGpioPort.create({ sysfsRoot: options.sysfsRoot, chipLabel: options.chipLabel });
}

/** The process's GpioPort, created on first use; a failed creation is not cached, so a later call retries. */
export function gpioPort(): Promise<GpioPort> {
  if (!shared) {
    const creating = factory ? Promise.resolve().then(factory) : defaultPort();
    shared = creating;
    // Callers get the rejection through `shared`; this only forgets the failed attempt.
    creating.catch(() => {
      if (shared === creating) shared = undefined;
    });
  }
  return shared;
}
