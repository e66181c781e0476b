// The composition root's engine: builds every stage from a validated site config, starts them
// sink-first (so nothing emitted is lost) and stops them source-first (so in-flight data drains).
import type { LoadedSite } from '../config/load-site.js';
import type { SiteConfig } from '../config/site.js';
import { resolveProfile } from './devices/resolve.js';
import type { Driver, ResolvedSource } from './drivers/driver.js';
import { defaultGpioPort } from './drivers/gpio/port-provider.js';
import { loadDriver } from './drivers/registry.js';
import { Decoder } from './pipeline/decoder.js';
import { Durability } from './pipeline/durability.js';
import { EventBus } from './pipeline/event-bus.js';
import { Services, type GpioPortFactory } from './pipeline/services.js';
import type { RuntimeContext, Stage, StageFactory } from './pipeline/stage.js';
import type { GatewayEvents } from './pipeline/events.js';
import type { Clock, Tags } from './pipeline/types.js';
import { HonestClock } from './time/honest-clock.js';
import { scope, type Logger } from '../contract/logger.js';
import { Stats } from '../contract/stats.js';
import { STAGES } from './stages.js';

/** Longest a driver or stage may take to stop before shutdown goes on without it. */
export const STOP_TIMEOUT_MS = 5000;

/** Longest a driver or stage may take to start (an external broker's first connect, a serial port open) before the start fails. */
export const START_TIMEOUT_MS = 60_000;

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
  /** How the GPIO port shared by the GPIO driver and GPIO actuators is made; default: from the site's `drivers.gpio` (onoff on a Pi). */
  readonly gpioPort?: GpioPortFactory;
  /** Per part (stage or driver); default START_TIMEOUT_MS. */
  readonly startTimeoutMs?: number;
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
    const services = new Services(options.gpioPort ?? (() => defaultGpioPort(loaded.config.drivers.gpio)));
    this.context = { site: loaded.config, sources: resolveSources(loaded), events, clock: options.clock ?? new HonestClock(), log, stats, services, durability: new Durability() };
    this.decoder = new Decoder({ events, clock: this.context.clock, log: scope(log, 'decode'), stats }, this.context.sources);
  }

  /**
   * Starts every stage (sink-first), then the drivers. Each part gets START_TIMEOUT_MS (options.startTimeoutMs);
   * if one fails or hangs, what had started is stopped again, source-first, and the error names the part.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await this.startParts();
    } catch (error) {
      this.context.stats.inc('runtime.start_failed');
      this.context.log.error({ err: error }, 'start failed; stopping what had started / 启动失败，正在停止已启动的部分');
      await this.stop();
      throw error;
    }
  }

  private async startParts(): Promise<void> {
    const { context } = this;
    for (const factory of [...STAGES, ...(this.options.extraStages ?? [])]) {
      const stage = await factory(context);
      if (!stage) continue;
      // Listed before it has started: a stage that fails half-way (a port open, a timer set) is stopped too.
      this.stages.push(stage);
      await this.startOne(`stage ${stage.name}`, () => stage.start());
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
      this.drivers.push({ name, driver });
      await this.startOne(`driver ${name}`, () => driver.start());
    }
    for (const stage of this.stages) if (stage.driversStarted) await this.startOne(`stage ${stage.name} (after drivers)`, () => stage.driversStarted!());
    context.log.info({ sources: context.sources.length, drivers: [...byDriver.keys()], stages: this.stages.map((s) => s.name) }, 'gateway started');
  }

  /** Starts one part, waiting at most the start timeout: a part that never answers fails the start instead of hanging it. */
  private async startOne(what: string, start: () => Promise<void> | void): Promise<void> {
    const timeoutMs = this.options.startTimeoutMs ?? START_TIMEOUT_MS;
    let result: 'timeout' | void;
    try {
      result = await within(timeoutMs, start);
    } catch (error) {
      throw new Error(`${what} failed to start: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (result === 'timeout') throw new Error(`${what} did not start within ${timeoutMs} ms / 启动超时`);
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
    let result: 'timeout' | void;
    try {
      result = await within(STOP_TIMEOUT_MS, stop);
    } catch (error) {
      // A part that cannot stop cleanly (or never fully started) must not keep the others from stopping.
      this.context.stats.inc('runtime.stop_error', { part: what });
      this.context.log.error({ part: what, err: error }, 'failed to stop; going on without it');
      return;
    }
    if (result === 'timeout') {
      this.context.stats.inc('runtime.stop_timeout', { part: what });
      this.context.log.error({ part: what, timeoutMs: STOP_TIMEOUT_MS }, 'did not stop in time; going on without it');
    }
  }
}

/** Runs `part`, waiting at most `timeoutMs` for it: its own outcome, or 'timeout' (the part is left running). */
async function within(timeoutMs: number, part: () => Promise<void> | void): Promise<void | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(part), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
