// One scheduler per bus: one transaction at a time (RS-485 is half duplex), the 3.5-character gap kept,
// per-source poll intervals, alarm-class sources first. A source that keeps failing is marked offline and
// backed off, so one dead slave costs at most one timeout per back-off period and never stalls the others.
import { setTimeout as sleep } from 'node:timers/promises';
import { RegisterImage } from '../../devices/register-image.js';
import type { DeviceClass } from '../../pipeline/types.js';
import { parseDuration } from '../../shared/units.js';
import type { DriverContext, ResolvedSource } from '../driver.js';
import { planReads, type ReadRequest } from './plan.js';
import { ModbusFault, type ModbusTransport } from './transport.js';

/** Classes whose alarms must never wait behind energy meters. */
const ALARM_CLASSES: ReadonlySet<DeviceClass> = new Set(['smoke', 'residual_current', 'water_level', 'temperature', 'door']);
/** Consecutive failed polls before a source is declared offline. */
export const OFFLINE_AFTER_FAILURES = 3;
/** Longest back-off between attempts at an offline source. */
export const MAX_BACKOFF_MS = 60_000;

interface PolledSource {
  readonly source: ResolvedSource;
  readonly unit: number;
  readonly requests: readonly ReadRequest[];
  readonly pollMs: number;
  readonly urgent: boolean;
  nextDue: number;
  failures: number;
  online: boolean | undefined;
}

export class BusPoller {
  private readonly polled: PolledSource[];
  private running = false;
  private loop: Promise<void> | undefined;
  private wake = new AbortController();
  /** Requests sent per completed cycle of every source, for bench:modbus and the console. */
  requestsSent = 0;

  constructor(
    private readonly context: DriverContext,
    private readonly transport: ModbusTransport,
    sources: readonly ResolvedSource[],
  ) {
    this.polled = sources.map((source) => {
      const limits = source.profile.modbus ?? { maxRegistersPerRead: 125, maxBitsPerRead: 2000, maxGap: 0 };
      return {
        source,
        unit: source.config.unit ?? source.profile.modbus?.defaultUnitId ?? 1,
        requests: planReads(source.resolved.points, limits),
        pollMs: parseDuration(source.config.poll) ?? 10_000,
        urgent: source.resolved.points.some((p) => ALARM_CLASSES.has(p.class)),
        nextDue: 0,
        failures: 0,
        online: undefined,
      };
    });
  }

  /** The read plan per source id (for bench and diagnostics). */
  plan(): ReadonlyMap<string, readonly ReadRequest[]> {
    return new Map(this.polled.map((p) => [p.source.config.id, p.requests]));
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake.abort();
    await this.loop;
    await this.transport.close();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const now = this.context.clock.mono();
      const due = this.polled.filter((p) => p.nextDue <= now);
      if (due.length === 0) {
        const next = Math.min(...this.polled.map((p) => p.nextDue));
        await this.pause(Math.min(Math.max(next - now, 1), 1000));
        continue;
      }
      // Alarm-class sources first, then the most overdue.
      due.sort((a, b) => Number(b.urgent) - Number(a.urgent) || a.nextDue - b.nextDue);
      const polled = due[0]!;
      await this.pollOnce(polled);
    }
  }

  private async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.wake.signal });
    } catch (_aborted) {
      this.wake = new AbortController();
    }
  }

  private async pollOnce(polled: PolledSource): Promise<void> {
    const { clock, stats, log, events } = this.context;
    const id = polled.source.config.id;
    const image = new RegisterImage();
    let failure: ModbusFault | undefined;
    for (const request of polled.requests) {
      if (!this.running) return;
      try {
        this.requestsSent++;
        stats.inc('modbus.requests', { source: id });
        const result = await this.transport.read(polled.unit, request);
        if (result.kind === 'words') image.setWords(request.function as 3 | 4, request.address, result.words);
        else image.setBits(request.function as 1 | 2, request.address, result.bits);
      } catch (error) {
        const fault = error instanceof ModbusFault ? error : new ModbusFault('exception', String(error));
        stats.inc(`modbus.${fault.kind}`, { source: id });
        // An exception is the device refusing one block: keep reading the others. Anything else means
        // the device (or the line) is not answering: stop this cycle rather than pay more timeouts.
        if (fault.kind === 'exception') {
          log.warn({ source: id, fn: request.function, address: request.address, count: request.count, error: fault.message }, 'device refused a read');
          failure ??= fault;
          continue;
        }
        failure = fault;
        break;
      } finally {
        if (this.transport.interFrameMs > 0) await sleep(this.transport.interFrameMs);
      }
    }
    const mono = clock.mono();
    const values = image.valuesFor(polled.source.resolved.points);
    if (values.size > 0) events.emit('reading', { source: id, mono, values });

    if (failure && values.size === 0) {
      polled.failures++;
      const backoff = polled.failures >= OFFLINE_AFTER_FAILURES ? Math.min(polled.pollMs * 2 ** (polled.failures - OFFLINE_AFTER_FAILURES + 1), MAX_BACKOFF_MS) : polled.pollMs;
      polled.nextDue = mono + backoff;
      if (polled.failures >= OFFLINE_AFTER_FAILURES && polled.online !== false) {
        polled.online = false;
        log.warn({ source: id, unit: polled.unit, bus: this.transport.describe(), kind: failure.kind, error: failure.message }, 'source offline');
        events.emit('source.status', { source: id, online: false, mono, lastError: { kind: failure.kind, message: failure.message } });
      }
      return;
    }
    polled.failures = 0;
    polled.nextDue = mono + polled.pollMs;
    if (polled.online !== true) {
      polled.online = true;
      log.info({ source: id, unit: polled.unit }, 'source online');
      events.emit('source.status', { source: id, online: true, mono });
    }
  }
}
