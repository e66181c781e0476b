// The spool: two lanes on the SD card, alarm events ahead of telemetry, bounded by bytes and age.
// When full, whole telemetry segments are dropped oldest first (never alarm events) and counted; the
// caller hears about it through onDrop (the spool stage turns it into a measurement and a warning alarm).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLAUSIBLE_EPOCH_MS } from '../time/honest-clock.js';
import type { Logger } from '../shared/logger.js';
import type { Stats } from '../shared/stats.js';
import { lockSpoolDir } from './dir-lock.js';
import { Lane, type LaneName } from './lane.js';

export interface SpoolOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly maxAgeMs: number;
  readonly syncEveryMs: number;
  readonly segmentBytes: number;
}

export interface DropReport {
  readonly reason: 'max_bytes' | 'max_age';
  /** Records (not yet sent) dropped now, and in total since this process started. */
  readonly dropped: number;
  readonly totalDropped: number;
}

export class Spool {
  readonly alarm: Lane;
  readonly telemetry: Lane;
  /** Random id made when the spool dir was first used: batch ids stay unique even if the SD card is wiped. */
  readonly id: string;
  private totalDropped = 0;
  private alarmsOverBound = false;
  private unlock: (() => void) | undefined;

  constructor(
    readonly options: SpoolOptions,
    private readonly log: Logger,
    private readonly stats: Stats,
    private readonly onDrop: (report: DropReport) => void = () => undefined,
  ) {
    mkdirSync(options.dir, { recursive: true });
    this.id = Spool.loadOrCreateId(options.dir);
    const lane = (name: LaneName) => new Lane({ dir: options.dir, name, segmentBytes: options.segmentBytes, syncEveryMs: options.syncEveryMs }, log, stats);
    this.alarm = lane('alarm');
    this.telemetry = lane('telemetry');
    if (options.maxBytes < 2 * options.segmentBytes) {
      log.warn({ maxBytes: options.maxBytes, segmentBytes: options.segmentBytes }, 'spool: maxBytes is under two segments; the bound can only be kept by whole segments');
    }
  }

  /** Takes the dir lock and recovers both lanes (torn tails are cut and logged). */
  open(): void {
    this.unlock = lockSpoolDir(this.options.dir);
    this.alarm.open();
    this.telemetry.open();
    this.enforceBounds(undefined);
  }

  lane(name: LaneName): Lane {
    return name === 'alarm' ? this.alarm : this.telemetry;
  }

  /** Appends and resolves after fsync; then keeps the spool inside its bounds. */
  async append(name: LaneName, payload: Buffer): Promise<number> {
    const seq = await this.lane(name).append(payload);
    if (name === 'telemetry' && this.bytes() > this.options.maxBytes) this.enforceBounds(undefined);
    return seq;
  }

  bytes(): number {
    return this.alarm.bytes() + this.telemetry.bytes();
  }

  dropped(): number {
    return this.totalDropped;
  }

  /**
   * Drops oldest telemetry segments while over maxBytes, or older than maxAge. Age is judged only when
   * the wall clock is known good (`nowMs` given): after an RTC-less boot every file would look ancient.
   */
  enforceBounds(nowMs: number | undefined): void {
    let dropped = 0;
    let reason: DropReport['reason'] = 'max_bytes';
    while (this.bytes() > this.options.maxBytes && this.telemetry.oldestClosedSegment()) dropped += this.telemetry.dropOldest();
    if (nowMs !== undefined && nowMs >= PLAUSIBLE_EPOCH_MS) {
      for (;;) {
        const oldest = this.telemetry.oldestClosedSegment();
        if (!oldest || !this.isOlderThan(oldest.path, nowMs - this.options.maxAgeMs)) break;
        if (dropped === 0) reason = 'max_age';
        dropped += this.telemetry.dropOldest();
      }
    }
    const alarmsOverBound = this.bytes() > this.options.maxBytes && this.alarm.bytes() > this.options.maxBytes / 2;
    if (alarmsOverBound !== this.alarmsOverBound) {
      this.alarmsOverBound = alarmsOverBound;
      if (alarmsOverBound) this.stats.inc('spool.alarm_lane_over_bound');
      if (alarmsOverBound) this.log.error({ alarmBytes: this.alarm.bytes(), maxBytes: this.options.maxBytes }, 'spool: alarm events alone fill the spool; they are never dropped, so the spool is over its bound');
    }
    if (dropped === 0) return;
    this.totalDropped += dropped;
    this.stats.inc('spool.dropped', { lane: 'telemetry', reason }, dropped);
    this.log.warn({ dropped, totalDropped: this.totalDropped, reason }, `spool full (${reason}): dropped ${dropped} oldest telemetry records`);
    this.onDrop({ reason, dropped, totalDropped: this.totalDropped });
  }

  async flush(): Promise<void> {
    await Promise.all([this.alarm.flush(), this.telemetry.flush()]);
  }

  async close(): Promise<void> {
    await Promise.all([this.alarm.close(), this.telemetry.close()]);
    this.unlock?.();
    this.unlock = undefined;
  }

  private isOlderThan(path: string, limitMs: number): boolean {
    // mtime is the segment's last write; a closed segment is never written again.
    return statSync(path).mtimeMs < limitMs;
  }

  private static loadOrCreateId(dir: string): string {
    const path = join(dir, 'spool-id');
    try {
      const id = readFileSync(path, 'utf8').trim();
      if (/^[a-z0-9]{8}$/.test(id)) return id;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const id = BigInt(`0x${randomBytes(6).toString('hex')}`).toString(36).padStart(8, '0').slice(-8);
    writeFileSync(path, id, { flush: true });
    return id;
  }
}
