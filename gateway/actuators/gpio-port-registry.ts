// A GpioPort for one runtime (tests and benches running several gateways in one process): registered
// before start, keyed by the runtime's event bus like localBrokerOf. Without one, the actuators use the
// process's shared port (gateway/drivers/gpio/port-provider.ts: onoff, or the memory port in the demo).
import type { GpioPort } from '../drivers/gpio/port.js';

const registry = new WeakMap<object, GpioPort>();

export function registerGpioPort(context: { readonly events: object }, port: GpioPort): () => void {
  registry.set(context.events, port);
  return () => {
    if (registry.get(context.events) === port) registry.delete(context.events);
  };
}

export function gpioPortOf(context: { readonly events: object }): GpioPort | undefined {
  return registry.get(context.events);
}
