// The spool: two lanes on the SD card, alarm events ahead of telemetry, bounded by bytes and age.
// When full, whole telemetry segments are dropped oldest first (never alarm events) and counted; the
// caller hears about it through onDrop (the spool stage turns it into a measurement and a warning alarm).
// A disk that fills before maxBytes: failed writes are rolled back and reported (onWriteFailure,
// writable()); alarm events first use the alarm reserve, then the room of dropped telemetry segments.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLAUSIBLE_EPOCH_MS } from '../time/honest-clock.js';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import { lockSpoolDir } from './dir-lock.js';
import { AlarmReserve } from './alarm-reserve.js';
import { Lane, type LaneName } from './lane.js';
import { openFile, type FileOpener, type SpoolWriteError } from './write-io.js';

export interface SpoolOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly maxAgeMs: number;
  readonly syncEveryMs: number;
  readonly segmentBytes: number;
  /** Disk space held for alarm events (outside maxBytes); default 256 KiB, 0 for none. */
  readonly alarmReserveBytes?: number;
  /** How often a lane whose write failed tries a probe write (and the reserve is re-made); default 1 s. */
  readonly probeEveryMs?: number;
}

export const DEFAULT_ALARM_RESERVE_BYTES = 256 * 1024;
const DEFAULT_PROBE_EVERY_MS = 1000;

export interface DropReport {
  /** disk_full: telemetry segments dropped to make room for alarm events on a full disk. */
  readonly reason: 'max_bytes' | 'max_age' | 'disk_full';
  /** Records (not yet sent) dropped now, and in total since this process started. */
  readonly dropped: number;
  readonly totalDropped: number;
}

export interface WriteFailureReport {
  readonly lane: LaneName;
  /** Appends rejected by this failure (none of them was acknowledged). */
  readonly records: number;
  /** ENOSPC, EIO, ... as the file system said it. */
  readonly errno: string;
  /** The error those appends were rejected with: code SPOOL_WRITE_FAILED, errno, file. */
  readonly error: SpoolWriteError;
}

export interface SpoolHooks {
  /** A write failed: its records were rolled back and their appends rejected. */
  readonly onWriteFailure?: (report: WriteFailureReport) => void;
  /** A lane whose writes failed can write again (a probe write went through; after an I/O error, a later write too). */
  readonly onWritable?: (lane: LaneName) => void;
  /** Opens the lanes' files; tests inject failing or held writes and fsyncs. */
  readonly openFile?: FileOpener;
}

export class Spool {
  readonly alarm: Lane;
  readonly telemetry: Lane;
  /** Random id made when the spool dir was first used: batch ids stay unique even if the SD card is wiped. */
  readonly id: string;
  private totalDropped = 0;
  private alarmsOverBound = false;
  private unlock: (() => void) | undefined;
  private readonly reserve: AlarmReserve;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | undefined;
  private closing = false;

  constructor(
    readonly options: SpoolOptions,
    private readonly log: Logger,
    private readonly stats: Stats,
    private readonly onDrop: (report: DropReport) => void = () => undefined,
    private readonly hooks: SpoolHooks = {},
  ) {
    mkdirSync(options.dir, { recursive: true });
    this.id = Spool.loadOrCreateId(options.dir);
    const opener = hooks.openFile ?? openFile;
    const lane = (name: LaneName, extra: Partial<ConstructorParameters<typeof Lane>[0]>) =>
      new Lane(
        {
          dir: options.dir,
          name,
          segmentBytes: options.segmentBytes,
          syncEveryMs: options.syncEveryMs,
          openFile: opener,
          onWriteFailure: (error) => this.writeFailed(name, error),
          onWritable: () => hooks.onWritable?.(name),
          ...extra,
        },
        log,
        stats,
      );
    this.alarm = lane('alarm', { makeRoom: () => this.makeRoomForAlarms() });
    this.telemetry = lane('telemetry', { refuse: () => (this.reserve.held() ? undefined : 'the alarm reserve is in use: telemetry waits for free disk space') });
    this.reserve = new AlarmReserve(join(this.alarm.dir, 'reserve'), options.alarmReserveBytes ?? DEFAULT_ALARM_RESERVE_BYTES, opener, log, stats);
    if (options.maxBytes < 2 * options.segmentBytes) {
      log.warn({ maxBytes: options.maxBytes, segmentBytes: options.segmentBytes }, 'spool: maxBytes is under two segments; the bound can only be kept by whole segments');
    }
  }

  /** Takes the dir lock and recovers both lanes (torn tails are cut and logged). */
  open(): void {
    this.unlock = lockSpoolDir(this.options.dir);
    this.closing = false;
    this.alarm.open();
    this.telemetry.open();
    this.reserve.openSync();
    if (!this.reserve.held()) this.startProbing();
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

  /**
   * Whether writes go through: false for a lane from a failed write until a probe write succeeds (after
   * an I/O error rather than ENOSPC, a later write too), and for telemetry while the alarm reserve is
   * spent; no lane given: both lanes.
   */
  writable(lane?: LaneName): boolean {
    const telemetry = this.telemetry.writable() && this.reserve.held();
    if (lane) return lane === 'alarm' ? this.alarm.writable() : telemetry;
    return this.alarm.writable() && telemetry;
  }

  /** Records in the spool's segments, not counting the alarm reserve. */
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
    this.countDropped(dropped, reason);
  }

  async flush(): Promise<void> {
    await Promise.all([this.alarm.flush(), this.telemetry.flush()]);
  }

  async close(): Promise<void> {
    this.closing = true; // a write failing in the last flush must not start probing again
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    await this.probing;
    await Promise.all([this.alarm.close(), this.telemetry.close()]);
    this.unlock?.();
    this.unlock = undefined;
  }

  private countDropped(dropped: number, reason: DropReport['reason']): void {
    if (dropped === 0) return;
    this.totalDropped += dropped;
    this.stats.inc('spool.dropped', { lane: 'telemetry', reason }, dropped);
    this.log.warn({ dropped, totalDropped: this.totalDropped, reason }, `spool full (${reason}): dropped ${dropped} oldest telemetry records`);
    this.onDrop({ reason, dropped, totalDropped: this.totalDropped });
  }

  private writeFailed(lane: LaneName, error: SpoolWriteError): void {
    this.startProbing();
    this.hooks.onWriteFailure?.({ lane, records: error.records, errno: error.errno, error });
  }

  /** An alarm write hit ENOSPC: spend the reserve, then the oldest telemetry segments; true if room was made. */
  private makeRoomForAlarms(): boolean {
    if (this.reserve.release()) {
      this.startProbing();
      return true;
    }
    if (!this.telemetry.oldestClosedSegment()) return false;
    this.countDropped(this.telemetry.dropOldest(), 'disk_full');
    return true;
  }

  /** While a lane cannot write or the reserve is spent: re-make the reserve when there is room, probe the lanes. */
  private startProbing(): void {
    if (this.probeTimer || !this.unlock || this.closing) return;
    this.probeTimer = setInterval(() => {
      this.probing ??= this.probe().finally(() => (this.probing = undefined));
    }, this.options.probeEveryMs ?? DEFAULT_PROBE_EVERY_MS);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    // The reserve first: freed space goes to alarm events before telemetry takes it again.
    const wasHeld = this.reserve.held();
    const reserved = await this.reserve.restore().catch((error: unknown) => {
      this.log.warn({ err: error }, 'spool: checking free space for the alarm reserve failed');
      return false;
    });
    if (!this.alarm.writable()) await this.alarm.probe();
    if (reserved && !this.telemetry.writable()) await this.telemetry.probe();
    // A telemetry lane that never failed was still refused while the reserve was gone: that ends now.
    else if (reserved && !wasHeld) this.hooks.onWritable?.('telemetry');
    if (reserved && this.writable() && this.probeTimer) {
      clearInterval(this.probeTimer);
      this.probeTimer = undefined;
    }
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
