// How stages reach this runtime's GpioPort: the composition root (CLI, demo, tests) registers one port
// per runtime before start (onoff on a Pi, the in-memory port in the demo and tests). Keyed by the
// runtime's event bus, like localBrokerOf, so several runtimes in one process stay apart. RuntimeContext
// has no GPIO field yet; once it does, this registry can go.
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
