// What stages offer each other, wired by the composition root (gateway/runtime.ts) instead of module-level
// maps: a stage that owns something provides it when it starts and withdraws it when it stops; a stage
// that needs it asks its context. Stages start in gateway/stages.ts order, so a provider is there before
// anything listed after it asks. Typed by key: asking for `spool` gives a Spool, never a guess.
import type { AlarmEngine } from '../alarms/engine.js';
import type { UplinkStatus } from '../console/providers.js';
import type { GpioPort } from '../drivers/gpio/port.js';
import type { LocalBroker } from '../local-broker/local-broker.js';
import type { Spool } from '../spool/spool.js';

export interface ServiceTypes {
  /** The spool stage's open spool (the uplink drains it; the console shows its backlog). */
  readonly spool: Spool;
  /** The local MQTT broker (embedded or external): drivers and actuators get clients from it. */
  readonly localBroker: LocalBroker;
  /** The alarm engine, for whoever must query the current alarm set (console, tests). */
  readonly alarmEngine: AlarmEngine;
  /** The uplink connection's state, for the console. */
  readonly uplinkStatus: () => UplinkStatus | undefined;
}

/** Creates the runtime's one GpioPort on first use, shared by the GPIO driver (inputs) and GPIO actuators. */
export type GpioPortFactory = () => GpioPort | Promise<GpioPort>;

export class Services {
  private readonly entries = new Map<keyof ServiceTypes, unknown>();
  private port: Promise<GpioPort> | undefined;

  /** @param gpioPortFactory how this runtime's GPIO port is made (onoff on a Pi, a memory port in the demo and tests). */
  constructor(private readonly gpioPortFactory?: GpioPortFactory) {}

  /** Offers `value` under `key`; returns the function that withdraws it (only if it is still the one offered). */
  provide<K extends keyof ServiceTypes>(key: K, value: ServiceTypes[K]): () => void {
    this.entries.set(key, value);
    return () => {
      if (this.entries.get(key) === value) this.entries.delete(key);
    };
  }

  /** What is offered under `key`, or undefined when no running stage offers it (not configured). */
  get<K extends keyof ServiceTypes>(key: K): ServiceTypes[K] | undefined {
    return this.entries.get(key) as ServiceTypes[K] | undefined;
  }

  /** The runtime's GPIO port, made on first use; a failed creation is not kept, so a later call retries. */
  gpioPort(): Promise<GpioPort> {
    if (!this.port) {
      const factory = this.gpioPortFactory;
      if (!factory) return Promise.reject(new Error('this runtime has no GPIO port (the runtime was built without one)'));
      const creating = Promise.resolve().then(factory);
      this.port = creating;
      creating.catch(() => {
        if (this.port === creating) this.port = undefined;
      });
    }
    return this.port;
  }
}
