// What the composition root (gateway/runtime.ts) hands every stage and driver, and what a stage is.
import type { SiteConfig } from '../../config/site.js';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import type { ResolvedSource } from '../drivers/driver.js';
import type { Durability } from './durability.js';
import type { EventBus } from './event-bus.js';
import type { GatewayEvents } from './events.js';
import type { Services } from './services.js';
import type { Clock } from './types.js';

/** What every stage gets: the frozen config, the bus, the clock, scoped logging/counters and the services stages offer each other. */
export interface RuntimeContext {
  readonly site: SiteConfig;
  readonly sources: readonly ResolvedSource[];
  readonly events: EventBus<GatewayEvents>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly stats: Stats;
  /** What stages offer each other (spool, local broker, alarm engine, uplink state, the GPIO port). */
  readonly services: Services;
  /** When what was emitted is on disk (the spool stage provides it; devices are acknowledged on it). Always set by the runtime; optional for hand-built test contexts. */
  readonly durability?: Durability;
}

/** A stage beyond the drivers: rules, alarms, actuators, spool, uplink, local broker, console. */
export interface Stage {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
  /** Called once every driver has started: e.g. the local broker opens its device listener only now, so no device message is accepted before the driver that maps it is ready. */
  driversStarted?(): Promise<void> | void;
  /** Called before the drivers stop: e.g. the local broker closes its device listener first. */
  driversStopping?(): Promise<void> | void;
}

/** Builds a stage when the site config asks for it; returns undefined when it is not configured. */
export type StageFactory = (context: RuntimeContext) => Stage | undefined | Promise<Stage | undefined>;
