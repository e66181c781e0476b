// A RuntimeContext for tests that build one stage or driver by hand instead of a whole GatewayRuntime:
// the site's config and resolved sources, and whatever the test wants to hold on to (events, clock,
// stats, the GPIO port); the rest as the runtime makes it.
import type { LoadedSite } from '../../config/load-site.js';
import { silentLogger, type Logger } from '../../contract/logger.js';
import { Stats } from '../../contract/stats.js';
import { Durability } from '../../gateway/pipeline/durability.js';
import { EventBus } from '../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../gateway/pipeline/events.js';
import { Services, type GpioPortFactory } from '../../gateway/pipeline/services.js';
import type { RuntimeContext } from '../../gateway/pipeline/stage.js';
import type { Clock } from '../../gateway/pipeline/types.js';
import { resolveSources } from '../../gateway/runtime.js';
import { HonestClock } from '../../gateway/time/honest-clock.js';

export interface TestContextOptions {
  /** Default: a bus on which a failing listener fails the test. */
  readonly events?: EventBus<GatewayEvents>;
  /** Default: a synced HonestClock. */
  readonly clock?: Clock;
  readonly log?: Logger;
  readonly stats?: Stats;
  readonly gpioPort?: GpioPortFactory;
  /** Default: a fresh Durability, as the runtime gives every stage. */
  readonly durability?: Durability;
}

export function throwingEventBus(): EventBus<GatewayEvents> {
  return new EventBus<GatewayEvents>((event, error) => {
    throw new Error(`listener of ${event} failed: ${String(error)}`);
  });
}

export function testContext(loaded: LoadedSite, options: TestContextOptions = {}): RuntimeContext {
  return {
    site: loaded.config,
    sources: resolveSources(loaded),
    events: options.events ?? throwingEventBus(),
    clock: options.clock ?? new HonestClock({ synced: true }),
    log: options.log ?? silentLogger(),
    stats: options.stats ?? new Stats(),
    services: new Services(options.gpioPort),
    durability: options.durability ?? new Durability(),
  };
}
