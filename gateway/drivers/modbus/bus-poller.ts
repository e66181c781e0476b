// One scheduler per bus: one transaction at a time (RS-485 is half duplex), the 3.5-character gap kept,
// per-source poll intervals, alarm-class sources first. Retry policy: an answer that came back garbled at
// once (CRC, wrong length) is retried once, since the device did answer; anything that cost a timeout
// (silence, an answer that stopped short) is never retried in the same cycle and ends that source's cycle,
// so one dead or broken slave costs at most one timeout per cycle. A source that keeps
// failing is marked offline and backed off, so it costs even less and never stalls the others.
// A poll's events (its reading, a status change) go out after the next request is on the wire, so
// decoding, rules and the spool run while the slave turns the request round; the wire itself still
// carries one transaction at a time, and events keep their order.
import { setTimeout as sleep } from 'node:timers/promises';
import { RegisterImage } from '../../devices/register-image.js';
import { type DeviceClass, sourceFault } from '../../pipeline/types.js';
import type { DriverContext, ResolvedSource } from '../driver.js';
import { DEFAULT_MODBUS_DRIVER_OPTIONS } from './options.js';
import { planReads, type ReadRequest } from './plan.js';
import { classifyModbusError, ModbusFault, type ModbusTransport, type ReadResult } from './transport.js';

/** Classes whose alarms must never wait behind energy meters. */
const ALARM_CLASSES: ReadonlySet<DeviceClass> = new Set(['smoke', 'residual_current', 'water_level', 'temperature', 'door']);
/** Consecutive failed polls before a source is declared offline. */
export const OFFLINE_AFTER_FAILURES = DEFAULT_MODBUS_DRIVER_OPTIONS.offlineAfterFailures;
/** Longest back-off between attempts at an offline source. */
export const MAX_BACKOFF_MS = DEFAULT_MODBUS_DRIVER_OPTIONS.maxBackoffMs;
/** Alarm-class sources are retried at least this often (or every poll, if slower) however long they fail. */
export const ALARM_RETRY_MS = DEFAULT_MODBUS_DRIVER_OPTIONS.alarmRetryMs;
const DEFAULT_LIMITS = { maxRegistersPerRead: 125, maxBitsPerRead: 2000, maxGap: 0 };

interface PolledSource {
  readonly id: string;
  readonly source: ResolvedSource;
  readonly unit: number;
  readonly requests: readonly ReadRequest[];
  readonly pollMs: number;
  readonly timeoutMs: number;
  readonly urgent: boolean;
  /** `{source: id}`, made once: the stats labels of every request and fault of this source. */
  readonly labels: Readonly<Record<string, string>>;
  nextDue: number;
  /** Monotonic time the last poll started (-Infinity before the first). */
  lastAttempt: number;
  failures: number;
  online: boolean | undefined;
  /** Blocks the device refused, logged once each rather than every poll. */
  readonly refused: Set<string>;
}

/**
 * Delay before the next attempt after `failures` consecutive failed polls: the poll interval, then
 * doubling. An alarm-class source never backs off beyond max(poll, 5 s): after a bus outage a water
 * level or residual current must be back within seconds, not after a meter's minute (issue 14).
 */
export function retryDelay(pollMs: number, failures: number, alarmClass = false): number {
  if (failures < OFFLINE_AFTER_FAILURES) return pollMs;
  const cap = alarmClass ? Math.max(pollMs, ALARM_RETRY_MS) : Math.max(MAX_BACKOFF_MS, pollMs);
  return Math.min(pollMs * 2 ** (failures - OFFLINE_AFTER_FAILURES + 1), cap);
}

export class BusPoller {
  private readonly polled: PolledSource[];
  private running = false;
  private loop: Promise<void> | undefined;
  private wake = new AbortController();
  /** Requests sent since start (retries included), for bench:modbus and the console. */
  requestsSent = 0;
  /** Events of finished polls not yet emitted, in order (see deliver()). */
  private readonly outbox: (() => void)[] = [];
  private deliveryScheduled = false;

  constructor(
    private readonly context: DriverContext,
    private readonly transport: ModbusTransport,
    sources: readonly ResolvedSource[],
  ) {
    this.polled = sources.map((source) => {
      const modbus = source.profile.modbus;
      return {
        id: source.config.id,
        source,
        unit: source.config.unit ?? modbus?.defaultUnitId ?? 1,
        requests: planReads(source.resolved.points, modbus ?? DEFAULT_LIMITS),
        pollMs: source.config.poll,
        // A model known to answer slowly gets its own time, never less than the bus's.
        timeoutMs: Math.max(transport.timeoutMs, modbus?.responseTimeout ?? 0),
        urgent: source.resolved.points.some((p) => ALARM_CLASSES.has(p.class)),
        labels: Object.freeze({ source: source.config.id }),
        nextDue: 0,
        lastAttempt: Number.NEGATIVE_INFINITY,
        failures: 0,
        online: undefined,
        refused: new Set<string>(),
      };
    });
  }

  /** The read plan per source id (for bench and diagnostics). */
  plan(): ReadonlyMap<string, readonly ReadRequest[]> {
    return new Map(this.polled.map((p) => [p.id, p.requests]));
  }

  /** Monotonic time of each source's next attempt (for diagnostics and tests with a manual clock). */
  nextAttempts(): ReadonlyMap<string, number> {
    return new Map(this.polled.map((p) => [p.id, p.nextDue]));
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
        // Nothing goes on the wire now: nothing to overlap, so nothing waits.
        this.flush();
        const next = Math.min(...this.polled.map((p) => p.nextDue));
        await this.pause(Math.min(Math.max(next - now, 1), 1000));
        continue;
      }
      // Alarm-class sources first, then the most overdue. Re-decided after every source, so an alarm
      // source that falls due while a meter is read goes next.
      due.sort((a, b) => Number(b.urgent) - Number(a.urgent) || a.nextDue - b.nextDue);
      const polled = due[0]!;
      // A meter's retry is a sign the bus may be back: the failing alarm-class sources go first, so they
      // never recover after the meters.
      if (!polled.urgent && polled.failures > 0) {
        const waiting = this.polled.filter((p) => p.urgent && p.failures > 0 && p.nextDue > now && p.lastAttempt < polled.nextDue);
        if (waiting.length > 0) {
          for (const p of waiting) p.nextDue = now;
          continue;
        }
      }
      try {
        await this.pollOnce(polled);
      } catch (error) {
        // A bug here must not end polling of the whole bus: count it, name the source, try again next interval.
        this.context.stats.inc('modbus.poller_error', { source: polled.id });
        this.context.log.error({ source: polled.id, err: error }, 'polling a source failed unexpectedly');
        polled.nextDue = this.context.clock.mono() + polled.pollMs;
      }
    }
    this.flush();
  }

  /**
   * Queues an event of a finished poll. The loop goes on to the next request at once (its write is
   * issued within the same turn of the event loop, through promise jobs only), and setImmediate runs
   * after those jobs, so the listeners' work overlaps the slave's turnaround instead of delaying the
   * request. The loop flushes before it idles and when it ends, so nothing waits longer than that.
   */
  private deliver(emit: () => void): void {
    this.outbox.push(emit);
    if (this.deliveryScheduled) return;
    this.deliveryScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.deliveryScheduled = false;
    // Emits queued by a listener during the flush go out in this same flush, after the ones before them.
    for (let i = 0; i < this.outbox.length; i++) this.outbox[i]!();
    this.outbox.length = 0;
  }

  private async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.wake.signal });
    } catch (_aborted) {
      this.wake = new AbortController();
    }
  }

  /**
   * One transaction, then the bus's inter-frame silence. Modbus TCP keeps no silence and has no stale
   * input to count, so its answer is the transport's promise itself: no async frame per request.
   */
  private transact(polled: PolledSource, request: ReadRequest): Promise<ReadResult> {
    this.requestsSent++;
    this.context.stats.inc('modbus.requests', polled.labels);
    const answer = this.transport.read(polled.unit, request, polled.timeoutMs);
    return this.transport.bus.type === 'rtu' ? this.afterRtuFrame(answer) : answer;
  }

  private async afterRtuFrame(answer: Promise<ReadResult>): Promise<ReadResult> {
    try {
      return await answer;
    } finally {
      if (this.transport.interFrameMs > 0) await sleep(this.transport.interFrameMs);
      if (this.transport.discardedBytes > 0) {
        this.context.stats.inc('modbus.discarded_bytes', { bus: this.transport.bus.id }, this.transport.discardedBytes);
        this.transport.discardedBytes = 0;
      }
    }
  }

  /** The one retry of a block whose answer came back garbled at once; any other fault is thrown on. */
  private async retryGarbled(polled: PolledSource, request: ReadRequest, error: unknown): Promise<ReadResult> {
    const fault = classifyModbusError(error);
    if (!fault.worthRetry) throw fault;
    this.countFault(polled, request, fault);
    this.context.stats.inc('modbus.retries', polled.labels);
    return await this.transact(polled, request);
  }

  private countFault(polled: PolledSource, request: ReadRequest, fault: ModbusFault): void {
    const { stats, log } = this.context;
    stats.inc(`modbus.${fault.kind}`, polled.labels);
    const where = { source: polled.id, unit: polled.unit, bus: this.transport.bus.id, fn: request.function, address: request.address, count: request.count };
    if (fault.kind === 'exception') {
      const block = `${request.function}:${request.address}:${request.count}`;
      if (!polled.refused.has(block)) log.warn({ ...where, error: fault.message }, 'device refused a read (logged once per block)');
      polled.refused.add(block);
    } else if (fault.kind === 'timeout') {
      log.debug({ ...where, timeoutMs: polled.timeoutMs }, 'no answer');
    } else {
      log.warn({ ...where, kind: fault.kind, error: fault.message }, 'bad answer on the bus');
    }
  }

  private async pollOnce(polled: PolledSource): Promise<void> {
    polled.lastAttempt = this.context.clock.mono();
    const image = new RegisterImage();
    let failure: ModbusFault | undefined;
    for (const request of polled.requests) {
      if (!this.running) return;
      try {
        let result: ReadResult;
        try {
          result = await this.transact(polled, request);
        } catch (error) {
          // Only an answer that came back garbled at once is read again; retryGarbled throws anything else on.
          result = await this.retryGarbled(polled, request, error);
        }
        if (result.kind === 'words') image.setWords(request.function as 3 | 4, request.address, result.words);
        else image.setBits(request.function as 1 | 2, request.address, result.bits);
      } catch (error) {
        failure = classifyModbusError(error);
        this.countFault(polled, request, failure);
        // A refused block leaves the others readable; a silent device would only cost more timeouts.
        if (failure.deviceSilent) break;
      }
    }
    const mono = this.context.clock.mono();
    const values = image.valuesFor(polled.source.resolved.points);
    if (values.size > 0) this.deliver(() => this.context.events.emit('reading', { source: polled.id, mono, values }));
    if (failure !== undefined && values.size === 0) this.failed(polled, failure, mono);
    else this.answered(polled, mono);
  }

  private failed(polled: PolledSource, failure: ModbusFault, mono: number): void {
    polled.failures++;
    polled.nextDue = mono + retryDelay(polled.pollMs, polled.failures, polled.urgent);
    if (polled.failures < OFFLINE_AFTER_FAILURES || polled.online === false) return;
    polled.online = false;
    const lastError = sourceFault(failure.kind, failure.message);
    this.context.log.warn({ source: polled.id, unit: polled.unit, bus: this.transport.describe(), ...lastError }, 'source offline');
    this.deliver(() => this.context.events.emit('source.status', { source: polled.id, online: false, mono, lastError }));
  }

  private answered(polled: PolledSource, mono: number): void {
    polled.failures = 0;
    // Anchored to the due time so intervals do not drift by the poll's own duration.
    const next = polled.nextDue + polled.pollMs;
    polled.nextDue = next > mono ? next : mono + polled.pollMs;
    if (polled.online === true) return;
    polled.online = true;
    this.context.log.info({ source: polled.id, unit: polled.unit }, 'source online');
    this.deliver(() => this.context.events.emit('source.status', { source: polled.id, online: true, mono }));
  }
}
