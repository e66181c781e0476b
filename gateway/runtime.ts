// The composition root's engine: builds every stage from a validated site config, starts them
// sink-first (so nothing emitted is lost) and stops them source-first (so in-flight data drains).
import type { LoadedSite } from '../config/load-site.js';
import type { SiteConfig } from '../config/site.js';
import { resolveProfile } from './devices/resolve.js';
import type { Driver, ResolvedSource } from './drivers/driver.js';
import { loadDriver } from './drivers/registry.js';
import { Decoder } from './pipeline/decoder.js';
import { Durability } from './pipeline/durability.js';
import { EventBus } from './pipeline/event-bus.js';
import type { GatewayEvents } from './pipeline/events.js';
import type { Clock, Tags } from './pipeline/types.js';
import { HonestClock } from './time/honest-clock.js';
import { scope, type Logger } from '../contract/logger.js';
import { Stats } from '../contract/stats.js';
import { STAGES } from './stages.js';

/** Longest a driver or stage may take to stop before shutdown goes on without it. */
export const STOP_TIMEOUT_MS = 5000;

/** What every stage gets: the frozen config, the bus, the clock, and scoped logging/counters. */
export interface RuntimeContext {
  readonly site: SiteConfig;
  readonly sources: readonly ResolvedSource[];
  readonly events: EventBus<GatewayEvents>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly stats: Stats;
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

export function sourceTags(site: SiteConfig, source: SiteConfig['sources'][number]): Tags {
  const tags: Record<string, string> = {
    township: site.gateway.township,
    compound: site.gateway.compound,
    gateway: site.gateway.id,
    source: source.id,
  };
  for (const [key, value] of Object.entries(source.tags)) if (value !== undefined) tags[key] = value;
  return Object.freeze(tags);
}

export function resolveSources(loaded: LoadedSite): ResolvedSource[] {
  const { config, profiles } = loaded;
  const buses = new Map(config.buses.map((b) => [b.id, b]));
  return config.sources
    .filter((s) => s.enabled)
    .map((source) => {
      const profile = profiles.get(source.profile)!;
      return {
        config: source,
        profile,
        resolved: resolveProfile(profile, source.variant, source.decode),
        tags: sourceTags(config, source),
        bus: source.bus === undefined ? undefined : buses.get(source.bus),
      };
    });
}

export interface RuntimeOptions {
  readonly log: Logger;
  readonly clock?: Clock;
  readonly stats?: Stats;
  /** Extra stages (simulators, test probes) started after the built-in ones. */
  readonly extraStages?: readonly StageFactory[];
}

export class GatewayRuntime {
  readonly context: RuntimeContext;
  private readonly stages: Stage[] = [];
  private readonly drivers: { name: string; driver: Driver }[] = [];
  private readonly decoder: Decoder;
  private started = false;

  constructor(
    readonly loaded: LoadedSite,
    private readonly options: RuntimeOptions,
  ) {
    const log = options.log;
    const stats = options.stats ?? new Stats();
    const events = new EventBus<GatewayEvents>((event, error) => {
      stats.inc('bus.listener_error', { event });
      log.error({ event, err: error }, 'a pipeline listener failed; other listeners still got the event');
    });
    this.context = { site: loaded.config, sources: resolveSources(loaded), events, clock: options.clock ?? new HonestClock(), log, stats, durability: new Durability() };
    this.decoder = new Decoder({ events, clock: this.context.clock, log: scope(log, 'decode'), stats }, this.context.sources);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { context } = this;
    for (const factory of [...STAGES, ...(this.options.extraStages ?? [])]) {
      const stage = await factory(context);
      if (!stage) continue;
      await stage.start();
      this.stages.push(stage);
    }
    this.decoder.start();
    const byDriver = new Map<string, ResolvedSource[]>();
    for (const source of context.sources) {
      const list = byDriver.get(source.profile.driver) ?? [];
      list.push(source);
      byDriver.set(source.profile.driver, list);
    }
    for (const [name, sources] of byDriver) {
      const factory = await loadDriver(name);
      const driver = factory({ ...context, log: scope(context.log, 'driver', name), sources });
      driver.init();
      await driver.start();
      this.drivers.push({ name, driver });
    }
    for (const stage of this.stages) await stage.driversStarted?.();
    context.log.info({ sources: context.sources.length, drivers: [...byDriver.keys()], stages: this.stages.map((s) => s.name) }, 'gateway started');
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const stage of [...this.stages].reverse()) if (stage.driversStopping) await this.stopOne(`stage ${stage.name} (before drivers)`, () => stage.driversStopping!());
    for (const { name, driver } of this.drivers.splice(0).reverse()) await this.stopOne(`driver ${name}`, () => driver.stop());
    this.decoder.stop();
    for (const stage of this.stages.splice(0).reverse()) await this.stopOne(`stage ${stage.name}`, () => stage.stop());
    this.context.log.info('gateway stopped');
  }

  /** Stops one part, waiting at most STOP_TIMEOUT_MS so one stuck part cannot keep the gateway (and the spool's last sync) from stopping. */
  private async stopOne(what: string, stop: () => Promise<void> | void): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
    });
    const result = await Promise.race([Promise.resolve().then(stop), timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.context.stats.inc('runtime.stop_timeout', { part: what });
      this.context.log.error({ part: what, timeoutMs: STOP_TIMEOUT_MS }, 'did not stop in time; going on without it');
    }
  }
}
