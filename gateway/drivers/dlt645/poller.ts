// One DL/T 645 bus: its meters polled one transaction at a time through the shared bus schedule, and the
// broadcast time sync. Per meter and cycle: one 0x11 read per data item. Silence (or an answer that
// stopped short) ends that meter's cycle, so a dead meter costs at most one timeout per cycle; an error
// reply (0xD1) is a counted fault naming the meter and the DI, and the meter's other items are still read.
import type { Dlt645Bus } from '../../../config/sections/dlt645.js';
import type { DeviceClass, RawValue } from '../../pipeline/types.js';
import { BusSchedule, type PollOutcome, type ScheduledSource } from '../bus-schedule.js';
import type { DriverContext, ResolvedSource } from '../driver.js';
import { timeSyncRequest } from './frame.js';
import { Dlt645Fault, type Dlt645Transport } from './transport.js';
import { itemValues, planItems, type PlannedItem } from './plan.js';

const ALARM_CLASSES: ReadonlySet<DeviceClass> = new Set(['smoke', 'residual_current', 'water_level', 'temperature', 'door']);

interface MeterSource extends ScheduledSource {
  readonly source: ResolvedSource;
  readonly meter: string;
  readonly items: readonly PlannedItem[];
  /** DIs the meter refused, logged once each rather than every poll. */
  readonly refused: Set<string>;
}

/** Wall time as the meter wants it: local time in the bus's zone. */
export function localParts(wall: number, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(wall));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

export class Dlt645Poller {
  private readonly schedule: BusSchedule<MeterSource>;
  private readonly syncEveryMs: number | undefined;
  private nextSync = 0;
  private heldSyncLogged = false;
  /** Requests sent since start (retries and follow-ups counted as one item read), for tests and the console. */
  requestsSent = 0;

  constructor(
    private readonly context: DriverContext,
    private readonly transport: Dlt645Transport,
    private readonly bus: Dlt645Bus,
    sources: readonly ResolvedSource[],
  ) {
    const meters = sources.map(
      (source): MeterSource => ({
        id: source.config.id,
        source,
        meter: source.config.meter!,
        items: planItems(source.profile, source.resolved.points),
        pollMs: source.config.poll,
        urgent: source.resolved.points.some((p) => ALARM_CLASSES.has(p.class)),
        refused: new Set<string>(),
      }),
    );
    this.syncEveryMs = bus.timeSync === undefined ? undefined : bus.timeSync;
    this.schedule = new BusSchedule(context, meters, (meter) => this.pollMeter(meter), 'dlt645', () => this.maybeSyncTime());
  }

  start(): void {
    this.schedule.start();
  }

  async stop(): Promise<void> {
    await this.schedule.stop();
    await this.transport.close();
  }

  /** Broadcasts the time (0x08) when due, and only while the gateway clock is synced: a wrong time is worse than none. */
  private async maybeSyncTime(): Promise<void> {
    if (this.syncEveryMs === undefined) return;
    const { clock, stats, log } = this.context;
    if (clock.mono() < this.nextSync) return;
    if (!clock.synced()) {
      if (!this.heldSyncLogged) log.info({ bus: this.bus.id }, 'meter time sync held: the gateway clock is not synced yet');
      this.heldSyncLogged = true;
      stats.inc('dlt645.time_sync_held', { bus: this.bus.id });
      this.nextSync = clock.mono() + Math.min(this.syncEveryMs, 10_000);
      return;
    }
    this.heldSyncLogged = false;
    this.nextSync = clock.mono() + this.syncEveryMs;
    try {
      await this.transport.broadcast(timeSyncRequest(localParts(clock.now(), this.bus.timeZone)));
      stats.inc('dlt645.time_sync', { bus: this.bus.id });
      log.debug({ bus: this.bus.id }, 'meter time sync broadcast');
    } catch (error) {
      stats.inc('dlt645.connection', { bus: this.bus.id });
      log.warn({ bus: this.bus.id, error: (error as Error).message }, 'meter time sync could not be sent');
    }
  }

  private async readItem(meter: MeterSource, di: string): Promise<Buffer> {
    const attempt = async () => {
      this.requestsSent++;
      this.context.stats.inc('dlt645.requests', { source: meter.id });
      return this.transport.readItem(meter.meter, di);
    };
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof Dlt645Fault) || !error.worthRetry) throw error;
      this.countFault(meter, di, error);
      this.context.stats.inc('dlt645.retries', { source: meter.id });
      return await attempt();
    } finally {
      this.drainLineCounts();
    }
  }

  private drainLineCounts(): void {
    const { counts } = this.transport;
    const bus = { bus: this.bus.id };
    if (counts.garbageBytes > 0) this.context.stats.inc('dlt645.discarded_bytes', bus, counts.garbageBytes);
    if (counts.badFrames > 0) this.context.stats.inc('dlt645.bad_frames', bus, counts.badFrames);
    if (counts.strayFrames > 0) this.context.stats.inc('dlt645.stray_frames', bus, counts.strayFrames);
    counts.garbageBytes = counts.badFrames = counts.strayFrames = 0;
  }

  private countFault(meter: MeterSource, di: string, fault: Dlt645Fault): void {
    const { stats, log } = this.context;
    const where = { source: meter.id, meter: meter.meter, bus: this.bus.id, di };
    if (fault.kind === 'exception') {
      stats.inc('dlt645.error_reply', { source: meter.id });
      if (!meter.refused.has(di)) log.warn({ ...where, errorCode: fault.errorCode, error: fault.message }, 'meter refused a data item (logged once per DI)');
      meter.refused.add(di);
      return;
    }
    stats.inc(`dlt645.${fault.kind}`, { source: meter.id });
    if (fault.kind === 'timeout') log.debug({ ...where, timeoutMs: this.transport.timeoutMs }, 'no answer');
    else log.warn({ ...where, kind: fault.kind, error: fault.message }, 'bad answer on the bus');
  }

  /** The refusal is also a fault event on each point of the DI, so the console and township see it. */
  private emitRefusal(meter: MeterSource, item: PlannedItem, fault: Dlt645Fault): void {
    const { clock, events } = this.context;
    for (const { point } of item.points) {
      events.emit('fault', {
        source: meter.id,
        point: point.id,
        class: point.class,
        code: 'meter_error_reply',
        raw: fault.errorCode ?? 0,
        text: { zh: `电表 ${meter.meter} 拒绝读取数据项 ${item.di}`, en: `meter ${meter.meter} refused data item ${item.di}` },
        mono: clock.mono(),
        ts: clock.now(),
        tags: meter.source.tags,
      });
    }
  }

  private async pollMeter(meter: MeterSource): Promise<PollOutcome> {
    const values = new Map<string, RawValue>();
    let failure: Dlt645Fault | undefined;
    let answers = 0;
    for (const item of meter.items) {
      if (!this.schedule.isRunning) break;
      let bytes: Buffer;
      try {
        bytes = await this.readItem(meter, item.di);
      } catch (error) {
        if (!(error instanceof Dlt645Fault)) throw error;
        failure = error;
        this.countFault(meter, item.di, error);
        if (error.kind === 'exception') {
          answers++; // the meter is there; it only refused this item
          this.emitRefusal(meter, item, error);
          continue;
        }
        // Silence or a broken answer: more items would only cost more timeouts.
        if (error.meterSilent) break;
        continue;
      }
      answers++;
      const decoded = itemValues(item, bytes);
      for (const [id, raw] of decoded.values) values.set(id, raw);
      for (const error of decoded.errors) {
        this.context.stats.inc('dlt645.decode', { source: meter.id });
        this.context.log.warn({ source: meter.id, meter: meter.meter, di: item.di, point: error.point, error: error.message }, 'data item does not decode');
      }
    }
    if (values.size > 0) this.context.events.emit('reading', { source: meter.id, mono: this.context.clock.mono(), values });
    if (answers > 0 || failure === undefined) return { answered: true };
    return { answered: false, kind: failure.kind, message: failure.message };
  }
}
