// The driver contract. A driver owns the connections of one protocol and turns devices' answers into
// readings on the event bus. Lifecycle (STYLE.md habit 2): the constructor stores its context only;
// init() validates and does no I/O; start() opens connections (retrying on its own); stop() closes them
// and removes every listener it added.
import type { Services } from '../pipeline/services.js';
import type { Durability } from '../pipeline/durability.js';
import type { Bus } from '../../config/sections/buses.js';
import type { Source } from '../../config/sections/sources.js';
import type { Profile } from '../../config/profile.js';
import type { ResolvedProfile } from '../devices/resolve.js';
import type { EventBus } from '../pipeline/event-bus.js';
import type { GatewayEvents } from '../pipeline/events.js';
import type { Clock, Tags } from '../pipeline/types.js';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import type { SiteConfig } from '../../config/site.js';

/** A configured source with everything a driver needs already resolved. */
export interface ResolvedSource {
  readonly config: Source;
  readonly profile: Profile;
  readonly resolved: ResolvedProfile;
  readonly tags: Tags;
  /** The bus it sits on, for Modbus and serial-node sources. */
  readonly bus: Bus | undefined;
}

export interface DriverContext {
  readonly log: Logger;
  readonly stats: Stats;
  readonly clock: Clock;
  readonly events: EventBus<GatewayEvents>;
  readonly site: SiteConfig;
  /** The sources this driver serves (all of its protocol). */
  readonly sources: readonly ResolvedSource[];
  /** Resolves once what the driver emitted is durable: a driver that acknowledges a device waits on it. */
  readonly durability?: Durability;
  /** What stages offer (the local broker for the MQTT driver, the GPIO port for the GPIO driver). */
  readonly services: Services;
}

export interface Driver {
  /** Checks the sources it was given make sense for this driver; throws with the source named. No I/O. */
  init(): void;
  /** Opens connections and begins polling or subscribing; resolves once started (not once every device answered). */
  start(): Promise<void>;
  /** Stops polling, closes connections, removes listeners; resolves when nothing of it is left running. */
  stop(): Promise<void>;
}

export type DriverFactory = (context: DriverContext) => Driver;
