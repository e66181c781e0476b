// One spool lane (alarm or telemetry): append-only segments, batched fsync, a persisted consumer cursor.
// append() resolves only after the record is fsync'd: that is the spool's acknowledgment. Readers (the
// uplink) only ever see fsync'd records, so nothing is sent that a power cut could take back.
// A write that fails (ENOSPC, EIO) is rolled back to the last fsync'd record: the segment is truncated
// there, the batch's appends are rejected and their sequence numbers given back (appends still pending
// are renumbered), so the numbers and the positions on disk always agree and no torn record is left.
import { mkdirSync, rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import { CursorStore, type CursorFile } from './lane-cursor.js';
import { readRecords } from './lane-reader.js';
import { frameRecord } from './record.js';
import { listSegments, recoverSegment, segmentName, type Segment } from './segment-files.js';
import { errnoOf, openFile, SpoolWriteError, writeAll, type FileOpener } from './write-io.js';

export type LaneName = 'alarm' | 'telemetry';

export interface SpoolRecord {
  readonly seq: number;
  readonly payload: Buffer;
}

export interface LaneOptions {
  readonly dir: string;
  readonly name: LaneName;
  readonly segmentBytes: number;
  readonly syncEveryMs: number;
  /** Opens segment and probe files; tests inject failing or held writes and fsyncs. */
  readonly openFile?: FileOpener;
  /** Asked before each write: a reason to refuse it as ENOSPC (telemetry while the alarm reserve is spent). */
  readonly refuse?: () => string | undefined;
  /** Asked after a write failed with ENOSPC: frees some space and returns true, and the write is retried. */
  readonly makeRoom?: () => boolean;
  /** A write failed for good; every append of it was rejected with this error. */
  readonly onWriteFailure?: (error: SpoolWriteError) => void;
  /** Writes succeed again after a failure (a probe went through; after an I/O error, a later write too). */
  readonly onWritable?: () => void;
}

interface Pending {
  /** Given at append; renumbered when an earlier write failed and gave its numbers back. */
  seq: number;
  readonly frame: Buffer;
  readonly resolve: (seq: number) => void;
  readonly reject: (error: Error) => void;
}

interface Failure {
  readonly unwritten: Pending[];
  readonly errno: string;
  readonly file: string;
  readonly cause: unknown;
}

/** Each retry after makeRoom() frees something (the reserve, one telemetry segment); bounded anyway. */
const MAX_ROOM_ATTEMPTS = 64;
/**
 * A probe write this big must succeed before a lane that ran out of space counts as writable again: a
 * small record that fits in a file's last page proves nothing about room, and clearing on it would make
 * the disk fault flap raise/clear on a nearly full card.
 */
const PROBE_BYTES = 64 * 1024;

export class Lane {
  readonly dir: string;
  private segments: Segment[] = [];
  private handle: FileHandle | undefined;
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private nextSeq = 0;
  private durable = 0;
  /** The active segment must not be appended to (bad bytes in it, or a rollback could not truncate it). */
  private mustRoll = false;
  private writableNow = true;
  /** The last failure was for space (ENOSPC or a refusal): only a probe write makes the lane writable again. */
  private shortOfSpace = false;
  private cursor: CursorFile = { acked: 0, inflight: [] };
  private readPosition = { seq: -1, base: -1, offset: 0 };
  private readonly durableListeners = new Set<() => void>();
  private readonly openFile: FileOpener;
  private readonly cursorStore: CursorStore;

  constructor(
    private readonly options: LaneOptions,
    private readonly log: Logger,
    private readonly stats: Stats,
  ) {
    this.dir = join(options.dir, options.name);
    this.openFile = options.openFile ?? openFile;
    this.cursorStore = new CursorStore(this.dir, options.name, log, stats);
  }

  /** Scans the newest segment (cuts a torn tail, keeps records after bad bytes), loads the cursor. */
  open(): void {
    mkdirSync(this.dir, { recursive: true });
    this.segments = listSegments(this.dir);
    const newest = this.segments.at(-1);
    if (newest) {
      const { truncatedBytes, damaged } = recoverSegment(newest, this.log);
      if (truncatedBytes > 0) this.stats.inc('spool.torn_tail', { lane: this.options.name });
      // Sealed: appending would change how its records after the bad bytes are numbered (segment-files.ts).
      if (damaged) this.mustRoll = true;
    }
    this.nextSeq = newest ? newest.base + newest.count : 0;
    this.durable = this.nextSeq;
    this.cursor = this.cursorStore.load(this.segments[0]?.base ?? this.nextSeq, this.nextSeq);
    this.log.info({ lane: this.options.name, segments: this.segments.length, first: this.firstSeq(), next: this.nextSeq, acked: this.cursor.acked }, 'spool lane opened');
  }

  /** Appends one record; resolves with its sequence number once it is fsync'd, rejects with a SpoolWriteError. */
  append(payload: Buffer): Promise<number> {
    const frame = frameRecord(payload);
    const seq = this.nextSeq++;
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ seq, frame, resolve, reject });
      this.timer ??= setTimeout(() => void this.flush(), this.options.syncEveryMs);
    });
  }

  /** Writes and fsyncs everything pending now (also called by the timer and on close). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.writeBatch(batch).finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  /** Calls `listener` after each fsync that made new records readable; returns the unsubscribe function. */
  onDurable(listener: () => void): () => void {
    this.durableListeners.add(listener);
    return () => this.durableListeners.delete(listener);
  }

  /** False from a failed write until probe() succeeds (or, after an I/O error rather than ENOSPC, a later write). */
  writable(): boolean {
    return this.writableNow;
  }

  /** Writes and fsyncs a scratch file next to the segments; if that works, the lane is writable again. */
  async probe(): Promise<boolean> {
    const path = join(this.dir, 'probe');
    try {
      const handle = await this.openFile(path, 'w');
      try {
        await writeAll(handle, [Buffer.alloc(PROBE_BYTES, 0x5a)]);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      this.shortOfSpace = false;
      this.markWritable();
      return true;
    } catch (error) {
      this.stats.inc('spool.write_probe_failed', { lane: this.options.name, errno: errnoOf(error) });
      return false;
    } finally {
      rmSync(path, { force: true });
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const durableBefore = this.durable;
    let rest = batch;
    for (let attempt = 0; ; attempt++) {
      const failure = await this.tryWrite(rest);
      if (!failure) {
        if (!this.shortOfSpace) this.markWritable();
        break;
      }
      // What was not written starts at the durable end already, so a retry keeps its numbers.
      rest = failure.unwritten;
      if (failure.errno === 'ENOSPC' && attempt < MAX_ROOM_ATTEMPTS && this.options.makeRoom?.()) continue;
      this.giveBackNumbers();
      this.fail(rest, failure);
      break;
    }
    if (this.durable > durableBefore) for (const listener of [...this.durableListeners]) listener();
  }

  /** Writes `items` in order, fsyncing before each roll and at the end; on failure rolls back and says what is left. */
  private async tryWrite(items: Pending[]): Promise<Failure | undefined> {
    const created: Segment[] = [];
    let done = 0;
    let touched = false;
    try {
      const refusal = this.options.refuse?.();
      if (refusal) throw Object.assign(new Error(refusal), { code: 'ENOSPC' });
      touched = true;
      const active = this.segments.at(-1);
      if (!this.handle && active && !this.mustRoll) this.handle = await this.openFile(active.path, 'a');
      let frames: Buffer[] = [];
      let frameBytes = 0;
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        const segment = this.segments.at(-1);
        const used = (segment?.bytes ?? 0) + frameBytes;
        if (!segment || this.mustRoll || (used > 0 && used + item.frame.length > this.options.segmentBytes)) {
          await this.writeFrames(frames, frameBytes);
          await this.commit(items.slice(done, i));
          done = i;
          frames = [];
          frameBytes = 0;
          await this.roll(item.seq, created);
        }
        frames.push(item.frame);
        frameBytes += item.frame.length;
      }
      await this.writeFrames(frames, frameBytes);
      await this.commit(items.slice(done));
      return undefined;
    } catch (cause) {
      const file = this.segments.at(-1)?.path ?? this.dir;
      if (touched) await this.rollBack(created);
      return { unwritten: items.slice(done), errno: errnoOf(cause), file, cause };
    }
  }

  private async writeFrames(frames: Buffer[], bytes: number): Promise<void> {
    if (frames.length === 0) return;
    const segment = this.segments.at(-1)!;
    await writeAll(this.handle!, frames);
    segment.bytes += bytes;
    segment.count += frames.length;
    this.stats.inc('spool.bytes_written', { lane: this.options.name }, bytes);
  }

  /** fsyncs what was written to the active segment and acknowledges `items`, which it covers. */
  private async commit(items: Pending[]): Promise<void> {
    const segment = this.segments.at(-1);
    if (!segment) return;
    if (segment.bytes > segment.durableBytes) await this.handle!.datasync();
    segment.durableBytes = segment.bytes;
    this.durable = segment.base + segment.count;
    for (const item of items) item.resolve(item.seq);
  }

  /** Closes the active segment (already fsync'd) and starts a new one whose name is its first sequence number. */
  private async roll(base: number, created: Segment[]): Promise<void> {
    const previous = this.handle;
    this.handle = undefined;
    await previous?.close();
    const path = join(this.dir, segmentName(base));
    // 'w': a file of that name can only hold bytes a failed write left behind.
    this.handle = await this.openFile(path, 'w');
    const segment: Segment = { base, path, bytes: 0, durableBytes: 0, count: 0 };
    this.segments.push(segment);
    created.push(segment);
    // The new file's directory entry must survive a power cut too.
    const dir = await this.openFile(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    // Only now: if this roll fails, rollBack() removes the new segment and the old one stays sealed.
    this.mustRoll = false;
  }

  /**
   * Back to the last fsync'd record: segments made by the failed write go, the active one is truncated
   * to its durable size. If the truncation fails too, the segment is sealed (the next write starts a new
   * one), so a half-written record can only ever be a tail that readers never reach.
   */
  private async rollBack(created: Segment[]): Promise<void> {
    const handle = this.handle;
    this.handle = undefined; // after a failed write or fsync its state is unknown; the next write reopens
    await handle?.close().catch((error: unknown) => this.log.warn({ lane: this.options.name, err: error }, 'spool: closing a segment after a failed write failed too'));
    while (this.segments.length > 0 && created.includes(this.segments.at(-1)!) && this.segments.at(-1)!.base >= this.durable) {
      const segment = this.segments.pop()!;
      try {
        rmSync(segment.path, { force: true });
      } catch (error) {
        // A later roll to the same name truncates it ('w'); recovery would cut it as a torn tail.
        this.stats.inc('spool.rollback_failed', { lane: this.options.name });
        this.log.error({ file: segment.path, err: error }, `spool: could not remove ${segment.path} after a failed write`);
      }
    }
    const last = this.segments.at(-1);
    if (!last) return;
    last.bytes = last.durableBytes;
    last.count = this.durable - last.base;
    try {
      const file = await this.openFile(last.path, 'r+');
      try {
        await file.truncate(last.durableBytes);
        await file.datasync();
      } finally {
        await file.close();
      }
    } catch (error) {
      this.mustRoll = true;
      this.stats.inc('spool.rollback_failed', { lane: this.options.name });
      this.log.error({ file: last.path, offset: last.durableBytes, err: error }, `spool: could not truncate ${last.path} back to byte ${last.durableBytes} after a failed write; sealing it`);
    }
  }

  /** The durable end is where numbering goes on: the failed records' numbers go to the appends still pending. */
  private giveBackNumbers(): void {
    this.nextSeq = this.durable;
    for (const item of this.pending) item.seq = this.nextSeq++;
  }

  private fail(items: Pending[], failure: Failure): void {
    const { name } = this.options;
    const error = new SpoolWriteError(name, failure.errno, failure.file, items.length, failure.cause);
    this.stats.inc('spool.write_failed', { lane: name, errno: failure.errno }, items.length);
    // Logged when writes start failing; while the disk keeps refusing, the counter says how much.
    if (this.writableNow) this.log.error({ lane: name, file: failure.file, errno: failure.errno, records: items.length, err: error }, `spool ${name}: write to ${failure.file} failed (${failure.errno}); rolled back, the records were not acknowledged`);
    this.writableNow = false;
    this.shortOfSpace = failure.errno === 'ENOSPC';
    for (const item of items) item.reject(error);
    this.options.onWriteFailure?.(error);
  }

  private markWritable(): void {
    if (this.writableNow) return;
    this.writableNow = true;
    this.log.info({ lane: this.options.name }, `spool ${this.options.name}: writes succeed again`);
    this.options.onWritable?.();
  }

  /**
   * Reads up to `max` durable records from `fromSeq` (or the oldest kept record, if that was dropped).
   * Bad bytes in a segment are logged once (file and offset), their records counted as lost, and
   * reading goes on at the next valid record; how records after them are numbered: segment-files.ts.
   */
  read(fromSeq: number, max: number, maxBytes = 8 * 1024 * 1024): SpoolRecord[] {
    const from = Math.max(fromSeq, this.firstSeq());
    const result = readRecords({ segments: this.segments, durable: this.durable, position: this.readPosition, lane: this.options.name, log: this.log, stats: this.stats }, from, max, maxBytes);
    this.readPosition = result.position;
    // Bad bytes in the active segment: appending there would renumber the records after them.
    if (result.damagedActive) this.mustRoll = true;
    return result.records;
  }

  /** The consumer had everything before `end` acknowledged: advance the cursor and delete spent segments. */
  ack(end: number): void {
    if (end <= this.cursor.acked) return;
    this.cursor.acked = end;
    this.cursor.inflight = this.cursor.inflight.filter(([, last]) => last > end);
    while (this.segments.length > 1 && this.segments[1]!.base <= end) this.removeOldest();
    this.cursorStore.save(this.cursor);
  }

  /** Records which batches are published but not yet acknowledged, so a restart resends the same batches. */
  setInflight(ranges: readonly (readonly [number, number])[]): void {
    this.cursor.inflight = ranges.map(([a, b]) => [a, b]);
    this.cursorStore.save(this.cursor);
  }

  inflight(): readonly (readonly [number, number])[] {
    return this.cursor.inflight;
  }

  /** Drops the oldest closed segment; returns how many not-yet-acknowledged records went with it. */
  dropOldest(): number {
    if (this.segments.length < 2) return 0;
    const end = this.segments[1]!.base;
    const dropped = Math.max(0, end - Math.max(this.segments[0]!.base, this.cursor.acked));
    this.removeOldest();
    if (this.cursor.acked < end) {
      this.cursor.acked = end;
      this.cursor.inflight = this.cursor.inflight.filter(([, last]) => last > end);
    }
    this.cursorStore.save(this.cursor);
    return dropped;
  }

  /** The oldest closed segment (dropOldest() would remove it); undefined if only the active one is left. */
  oldestClosedSegment(): Segment | undefined {
    return this.segments.length > 1 ? this.segments[0] : undefined;
  }

  acked(): number {
    return this.cursor.acked;
  }

  /** Next sequence number that will be durable; records below it and at or above acked() are waiting. */
  durableEnd(): number {
    return this.durable;
  }

  firstSeq(): number {
    return Math.max(this.segments[0]?.base ?? this.nextSeq, this.cursor.acked);
  }

  bytes(): number {
    return this.segments.reduce((sum, s) => sum + s.bytes, 0);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle?.close();
    this.handle = undefined;
  }

  private removeOldest(): void {
    const [oldest] = this.segments.splice(0, 1);
    if (oldest) rmSync(oldest.path, { force: true });
  }
}
