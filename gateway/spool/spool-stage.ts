// The spool stage: measurements and alarm events from the bus go into the spool's lanes. Runs whether or
// not an uplink is configured: a gateway installed before its township is ready keeps its history and
// alarms (bounded as always) and sends them once an uplink is added. The uplink stage finds the spool
// as the `spool` service.
import { randomBytes } from 'node:crypto';
import type { RuntimeContext, Stage, StageFactory } from '../pipeline/stage.js';
import type { AlarmEvent } from '../pipeline/types.js';
import { scope, type Logger } from '../../contract/logger.js';
import { monoEpochOf } from '../time/honest-clock.js';
import { encodeAlarmRecord } from './alarm-record.js';
import { LineGrouper } from './line-grouper.js';
import { Spool, type DropReport } from './spool.js';
import { encodeTelemetryRecord } from './telemetry-record.js';

const BOUNDS_CHECK_MS = 60_000;

export class SpoolStage implements Stage {
  readonly name = 'spool';
  private spool: Spool | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private fullAlarmId: string | undefined;
  private writeAlarmRaised = false;
  private readonly log: Logger;
  /** Appends not yet fsync'd: the durability barrier waits for these. */
  private readonly pendingAppends = new Set<Promise<number>>();
  private grouper: LineGrouper | undefined;
  /** Withdraws the `spool` service on stop. */
  private withdraw: (() => void) | undefined;

  constructor(private readonly context: RuntimeContext) {
    this.log = scope(context.log, 'spool');
  }

  start(): void {
    const { site, events, clock, stats } = this.context;
    const spool = new Spool(
      {
        dir: site.spool.dir,
        maxBytes: site.spool.maxBytes,
        maxAgeMs: site.spool.maxAge,
        syncEveryMs: site.spool.syncEvery,
        segmentBytes: site.spool.segmentBytes,
      },
      this.log,
      stats,
      (report) => this.reportDrop(report),
      {
        // The disk refuses writes (full before maxBytes, I/O error): a fault alarm at once, cleared when
        // both lanes write again. Meanwhile devices get no PUBACK and polled readings count as dropped.
        onWriteFailure: (failure) => {
          if (!this.writeAlarmRaised) this.emitWriteAlarm('raise', failure.errno);
        },
        onWritable: () => {
          if (this.writeAlarmRaised && this.spool?.writable()) this.emitWriteAlarm('clear');
        },
      },
    );
    spool.open();
    this.spool = spool;
    this.withdraw = this.context.services.provide('spool', spool);
    const epoch = monoEpochOf(clock);
    const grouper = new LineGrouper(epoch, (line) => {
      stats.inc('spool.measurements', {}, line.measurements);
      this.append('telemetry', encodeTelemetryRecord(line.key, line.fields, line.stamp), line.measurements);
    });
    this.grouper = grouper;
    this.unsubscribe.push(
      events.on('measurement', (m) => {
        try {
          grouper.add(m);
        } catch (error) {
          stats.inc('spool.unencodable', { source: m.source });
          this.log.warn({ source: m.source, point: m.point, err: error }, 'measurement cannot be written as line protocol; not spooled');
        }
      }),
      events.on('alarm', (event) => {
        this.append('alarm', encodeAlarmRecord(event, epoch), 1);
      }),
      this.context.durability?.provide(() => this.barrier()) ?? (() => undefined),
    );
    this.timer = setInterval(() => this.checkBounds(), BOUNDS_CHECK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.timer) clearInterval(this.timer);
    await this.spool?.close();
    this.withdraw?.();
    this.withdraw = undefined;
  }

  private append(lane: 'alarm' | 'telemetry', payload: Buffer, measurements: number): void {
    const appended = this.spool!.append(lane, payload);
    this.pendingAppends.add(appended);
    appended.then(
      () => this.pendingAppends.delete(appended),
      (error: unknown) => {
        this.pendingAppends.delete(appended);
        this.appendFailed(lane, measurements, error);
      },
    );
  }

  /**
   * Resolves once everything emitted before the call is fsync'd (the lines still being grouped this tick
   * are written out first); rejects when any of it could not be written.
   */
  private barrier(): Promise<void> {
    this.grouper?.flush();
    return Promise.all([...this.pendingAppends]).then(() => undefined);
  }

  private appendFailed(lane: string, measurements: number, error: unknown): void {
    // The lane already logged the write error with its file; here we count what was lost. Nobody was
    // told it was safe: a device got no PUBACK for it, and a polled reading is counted as dropped here.
    this.context.stats.inc('spool.append_failed', { lane });
    this.context.stats.inc('spool.dropped', { lane, reason: 'write_failed' }, measurements);
    this.log.debug({ lane, err: error }, 'spool append failed');
  }

  private checkBounds(): void {
    const { clock } = this.context;
    this.spool?.enforceBounds(clock.synced() ? clock.now() : undefined);
    if (this.fullAlarmId && this.spool && this.spool.bytes() < this.spool.options.maxBytes / 2) this.emitFullAlarm('clear');
  }

  private reportDrop(report: DropReport): void {
    const { site, events, clock } = this.context;
    const tags = { township: site.gateway.township, compound: site.gateway.compound, gateway: site.gateway.id };
    events.emit('measurement', {
      source: site.gateway.id,
      point: 'spool_dropped',
      class: 'gateway',
      value: report.totalDropped,
      unit: undefined,
      ts: clock.now(),
      mono: clock.mono(),
      timeSynced: clock.synced(),
      quality: 'good',
      tags,
    });
    if (!this.fullAlarmId) this.emitFullAlarm('raise', report);
  }

  private emitFullAlarm(transition: 'raise' | 'clear', report?: DropReport): void {
    this.fullAlarmId = transition === 'raise' ? `${this.context.site.gateway.id}-spool_full` : undefined;
    const dropped = report?.dropped ?? 0;
    const raise =
      report?.reason === 'disk_full'
        ? { zh: `网关存储空间已满，为告警事件腾出空间，已丢弃最早的 ${dropped} 条遥测数据`, en: `Gateway disk full: dropped the oldest ${dropped} telemetry records to make room for alarm events` }
        : { zh: `网关缓存已满，已丢弃最早的 ${dropped} 条遥测数据（告警事件不丢弃）`, en: `Gateway spool full: dropped the oldest ${dropped} telemetry records (alarm events are never dropped)` };
    this.emitGatewayAlarm('spool_full', 'warning', 'spool_dropped', transition, report?.totalDropped, transition === 'raise' ? raise : { zh: '网关缓存已恢复正常', en: 'Gateway spool back under its bound' });
  }

  private emitWriteAlarm(transition: 'raise' | 'clear', errno?: string): void {
    this.writeAlarmRaised = transition === 'raise';
    this.emitGatewayAlarm(
      'spool_write',
      'fault',
      undefined,
      transition,
      undefined,
      transition === 'raise'
        ? { zh: `网关存储写入失败（${errno ?? '?'}）：新数据未被确认，设备将重发；告警事件使用预留空间`, en: `Gateway storage refuses writes (${errno ?? '?'}): new data is not acknowledged and devices will resend; alarm events use reserved space` }
        : { zh: '网关存储已恢复写入', en: 'Gateway storage writes again' },
    );
  }

  /** An alarm about the gateway itself (its spool), on the bus like any other: actuators, spool, uplink. */
  private emitGatewayAlarm(rule: string, level: AlarmEvent['level'], point: string | undefined, transition: 'raise' | 'clear', value: number | undefined, text: AlarmEvent['text']): void {
    const { site, events, clock } = this.context;
    const event: AlarmEvent = {
      eventId: `${rule}-${randomBytes(8).toString('hex')}`,
      alarmId: `${site.gateway.id}-${rule}`,
      transition,
      state: transition === 'raise' ? 'raised' : 'cleared',
      level,
      source: site.gateway.id,
      point,
      rule,
      value,
      text,
      tags: { township: site.gateway.township, compound: site.gateway.compound, gateway: site.gateway.id },
      ts: clock.now(),
      mono: clock.mono(),
      timeSynced: clock.synced(),
      by: undefined,
    };
    events.emit('alarm', event);
  }
}

export const spoolStage: StageFactory = (context) => new SpoolStage(context);
