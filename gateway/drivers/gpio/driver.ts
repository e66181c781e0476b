// The GPIO driver: door contacts and dry-contact outputs of smoke and flood detectors wired to gateway
// inputs. Each profile point names a line (`line: contact`); the source maps it to a BCM number
// (`gpio.lines: { contact: 17 }`). A reading `{kind: 'bits', bits: [level === 1]}` is emitted on start,
// on every debounced edge, and on every poll as a re-read (the heartbeat contract, and a safety net for
// an edge lost while the process was busy). The profile's activeLow and states give the level meaning.
import type { GpioInput, GpioLevel, GpioPort } from './port.js';
import { type RawValue, type SourceFaultKind, sourceFault } from '../../pipeline/types.js';
import type { Driver, DriverContext, DriverFactory, ResolvedSource } from '../driver.js';

interface WatchedPoint {
  readonly pointId: string;
  readonly line: number;
  input: GpioInput | undefined;
  unwatch: (() => void) | undefined;
  lastLevel: GpioLevel | undefined;
}

interface WatchedSource {
  readonly source: ResolvedSource;
  readonly points: WatchedPoint[];
  readonly pollMs: number;
  timer: NodeJS.Timeout | undefined;
  online: boolean | undefined;
}

function bitsOf(level: GpioLevel): RawValue {
  return { kind: 'bits', bits: [level === 1] };
}

export class GpioDriver implements Driver {
  private readonly watched: WatchedSource[] = [];
  private port: GpioPort | undefined;
  private running = false;

  constructor(private readonly context: DriverContext) {}

  /** Lists the lines to watch; each source's line mapping and pins were checked at load (./plugin.ts). */
  init(): void {
    for (const source of this.context.sources) {
      const lines = source.config.gpio?.lines ?? {};
      const watchedPoints = source.resolved.points
        .filter((point) => point.line !== undefined && lines[point.line] !== undefined)
        .map((point): WatchedPoint => ({ pointId: point.id, line: lines[point.line!]!, input: undefined, unwatch: undefined, lastLevel: undefined }));
      this.watched.push({ source, points: watchedPoints, pollMs: source.config.poll, timer: undefined, online: undefined });
    }
  }

  async start(): Promise<void> {
    this.running = true;
    try {
      this.port = await this.context.services.gpioPort();
    } catch (error) {
      // No GPIO on this box (or onoff missing): every source is offline and says why; nothing else stops.
      this.context.stats.inc('gpio.port_error');
      this.context.log.error({ err: error }, 'no GPIO port; GPIO sources stay offline');
      for (const watched of this.watched) this.setOnline(watched, false, 'connection', `no GPIO port: ${(error as Error).message}`);
      return;
    }
    for (const watched of this.watched) {
      await this.poll(watched);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const watched of this.watched) {
      clearTimeout(watched.timer);
      watched.timer = undefined;
      for (const point of watched.points) {
        point.unwatch?.();
        const input = point.input;
        point.input = point.unwatch = point.lastLevel = undefined;
        if (input) await input.close();
      }
      watched.online = undefined;
    }
  }

  /** Opens what is not open yet, re-reads every point, and schedules the next poll. */
  private async poll(watched: WatchedSource): Promise<void> {
    const { context } = this;
    const id = watched.source.config.id;
    const values = new Map<string, RawValue>();
    let failure: string | undefined;
    for (const point of watched.points) {
      try {
        if (!point.input) await this.open(watched, point);
        if (!this.running || !point.input) return;
        const level = await point.input.read();
        point.lastLevel = level;
        values.set(point.pointId, bitsOf(level));
      } catch (error) {
        context.stats.inc('gpio.read_error', { source: id, point: point.pointId });
        context.log.error({ source: id, point: point.pointId, line: point.line, err: error }, 'GPIO line could not be opened or read');
        failure = `line ${point.line} (${point.pointId}): ${(error as Error).message}`;
      }
    }
    if (!this.running) return;
    if (values.size > 0) context.events.emit('reading', { source: id, mono: context.clock.mono(), values });
    this.setOnline(watched, failure === undefined, 'connection', failure);
    watched.timer = setTimeout(() => void this.poll(watched), watched.pollMs);
  }

  private async open(watched: WatchedSource, point: WatchedPoint): Promise<void> {
    const { context } = this;
    const id = watched.source.config.id;
    const input = await this.port!.input(point.line, {
      edge: 'both',
      debounceMs: this.context.site.drivers.gpio.debounce,
      onError: (error) => {
        context.stats.inc('gpio.watch_error', { source: id, point: point.pointId });
        context.log.error({ source: id, point: point.pointId, line: point.line, err: error }, 'GPIO edge watch failed; the poll still re-reads the line');
      },
    });
    if (!this.running) {
      // stop() ran while the line was being opened; it has nothing to close, so close it here.
      await input.close();
      return;
    }
    point.input = input;
    try {
      point.unwatch = input.watch((level) => {
        // onoff reports the level after the debounce even when a bounce ended where it started.
        if (!this.running || level === point.lastLevel) return;
        point.lastLevel = level;
        context.stats.inc('gpio.edge', { source: id, point: point.pointId });
        context.events.emit('reading', { source: id, mono: context.clock.mono(), values: new Map([[point.pointId, bitsOf(level)]]) });
      });
    } catch (error) {
      // Degraded, not offline: the poll still re-reads the line, only edges between polls are missed.
      context.stats.inc('gpio.watch_error', { source: id, point: point.pointId });
      context.log.error({ source: id, point: point.pointId, line: point.line, err: error }, 'GPIO edges cannot be watched; the line is only re-read every poll');
    }
  }

  private setOnline(watched: WatchedSource, online: boolean, kind: SourceFaultKind, message: string | undefined): void {
    if (watched.online === online) return;
    watched.online = online;
    const status = { source: watched.source.config.id, online, mono: this.context.clock.mono() };
    this.context.events.emit('source.status', online ? status : { ...status, lastError: sourceFault(kind, message ?? 'unknown GPIO error') });
  }
}

export const createGpioDriver: DriverFactory = (context) => new GpioDriver(context);
