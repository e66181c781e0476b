// One spool lane (alarm or telemetry): append-only segments, batched fsync, a persisted consumer cursor.
// append() resolves only after the record is fsync'd: that is the spool's acknowledgment. Readers (the
// uplink) only ever see fsync'd records, so nothing is sent that a power cut could take back.
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../shared/logger.js';
import type { Stats } from '../shared/stats.js';
import { frameRecord, parseRecord } from './record.js';
import { listSegments, recoverSegment, segmentName, type Segment } from './segment-files.js';

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
}

interface Pending {
  readonly seq: number;
  readonly frame: Buffer;
  readonly resolve: (seq: number) => void;
  readonly reject: (error: Error) => void;
}

/** What the consumer has had acknowledged, plus the batches it has published but not yet seen acked. */
interface CursorFile {
  acked: number;
  inflight: [number, number][];
}

export class Lane {
  readonly dir: string;
  private segments: Segment[] = [];
  private handle: FileHandle | undefined;
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private nextSeq = 0;
  private durable = 0;
  private cursor: CursorFile = { acked: 0, inflight: [] };
  private readPosition = { seq: -1, base: -1, offset: 0 };
  private readonly durableListeners = new Set<() => void>();

  constructor(
    private readonly options: LaneOptions,
    private readonly log: Logger,
    private readonly stats: Stats,
  ) {
    this.dir = join(options.dir, options.name);
  }

  /** Scans segments, cuts a torn tail, loads the cursor. Synchronous: runs once before anything else. */
  open(): void {
    mkdirSync(this.dir, { recursive: true });
    this.segments = listSegments(this.dir);
    const newest = this.segments.at(-1);
    if (newest) {
      const { truncatedBytes } = recoverSegment(newest, this.log);
      if (truncatedBytes > 0) this.stats.inc('spool.torn_tail', { lane: this.options.name });
    }
    this.nextSeq = newest ? newest.base + newest.count : 0;
    this.durable = this.nextSeq;
    this.cursor = this.loadCursor();
    this.log.info({ lane: this.options.name, segments: this.segments.length, first: this.firstSeq(), next: this.nextSeq, acked: this.cursor.acked }, 'spool lane opened');
  }

  /** Appends one record; resolves with its sequence number once it is fsync'd. */
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

  private async writeBatch(batch: Pending[]): Promise<void> {
    const active = () => this.segments.at(-1);
    try {
      const reopened = active();
      if (!this.handle && reopened) this.handle = await open(reopened.path, 'a');
      let frames: Buffer[] = [];
      let frameBytes = 0;
      for (const item of batch) {
        const segment = active();
        const used = (segment?.bytes ?? 0) + frameBytes;
        if (!segment || (used > 0 && used + item.frame.length > this.options.segmentBytes)) {
          await this.writeFrames(frames, frameBytes);
          frames = [];
          frameBytes = 0;
          await this.roll(item.seq);
        }
        frames.push(item.frame);
        frameBytes += item.frame.length;
      }
      await this.writeFrames(frames, frameBytes);
      await this.handle!.datasync();
      const segment = active()!;
      segment.durableBytes = segment.bytes;
      this.durable = batch.at(-1)!.seq + 1;
      for (const item of batch) item.resolve(item.seq);
    } catch (cause) {
      this.stats.inc('spool.write_error', { lane: this.options.name });
      const error = new Error(`spool ${this.options.name}: writing ${active()?.path ?? this.dir} failed: ${String(cause)}`, { cause });
      this.log.error({ err: error }, 'spool write failed; the records were not acknowledged');
      for (const item of batch) item.reject(error);
      return;
    }
    for (const listener of [...this.durableListeners]) listener();
  }

  private async writeFrames(frames: Buffer[], bytes: number): Promise<void> {
    if (frames.length === 0) return;
    await this.handle!.writev(frames);
    const segment = this.segments.at(-1)!;
    segment.bytes += bytes;
    segment.count += frames.length;
    this.stats.inc('spool.bytes_written', { lane: this.options.name }, bytes);
  }

  /** Closes the active segment (fsync'd) and starts a new one whose name is its first sequence number. */
  private async roll(base: number): Promise<void> {
    if (this.handle) {
      await this.handle.datasync();
      const previous = this.segments.at(-1)!;
      previous.durableBytes = previous.bytes;
      await this.handle.close();
    }
    const path = join(this.dir, segmentName(base));
    this.handle = await open(path, 'a');
    this.segments.push({ base, path, bytes: 0, durableBytes: 0, count: 0 });
    // The new file's directory entry must survive a power cut too.
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /**
   * Reads up to `max` durable records from `fromSeq` (or the oldest kept record, if that was dropped).
   * A corrupt record in an older segment costs the rest of that segment: logged, counted, skipped.
   */
  read(fromSeq: number, max: number, maxBytes = 8 * 1024 * 1024): SpoolRecord[] {
    const records: SpoolRecord[] = [];
    let seq = Math.max(fromSeq, this.firstSeq());
    let bytes = 0;
    while (records.length < max && bytes < maxBytes && seq < this.durable) {
      const index = this.segmentIndexOf(seq);
      if (index < 0) break;
      const segment = this.segments[index]!;
      const end = index + 1 < this.segments.length ? this.segments[index + 1]!.base : this.durable;
      const position = this.readPosition.seq === seq && this.readPosition.base === segment.base ? this.readPosition.offset : 0;
      let skip = position === 0 ? seq - segment.base : 0;
      const fd = openSync(segment.path, 'r');
      try {
        const length = segment.durableBytes - position;
        const buffer = Buffer.allocUnsafe(Math.min(length, maxBytes - bytes + 1024 * 1024));
        const read = readSync(fd, buffer, 0, buffer.length, position);
        let at = 0;
        let progressed = false;
        while (records.length < max && bytes < maxBytes && seq < end) {
          const parsed = parseRecord(buffer.subarray(0, read), at);
          if (parsed.kind === 'incomplete') break;
          if (parsed.kind === 'corrupt') {
            this.stats.inc('spool.corrupt_lost', { lane: this.options.name }, end - seq);
            this.log.error({ file: segment.path, offset: position + at, reason: parsed.reason, lost: end - seq }, `spool: corrupt record in ${segment.path} at byte ${position + at}; skipping the rest of that segment`);
            seq = end;
            progressed = true;
            break;
          }
          at = parsed.next;
          progressed = true;
          if (skip > 0) {
            skip--;
            continue;
          }
          records.push({ seq, payload: Buffer.from(parsed.payload) });
          bytes += parsed.payload.length;
          seq++;
        }
        this.readPosition = { seq, base: segment.base, offset: position + at };
        if (!progressed) break;
      } finally {
        closeSync(fd);
      }
    }
    return records;
  }

  /** The consumer had everything before `end` acknowledged: advance the cursor and delete spent segments. */
  ack(end: number): void {
    if (end <= this.cursor.acked) return;
    this.cursor.acked = end;
    this.cursor.inflight = this.cursor.inflight.filter(([, last]) => last > end);
    while (this.segments.length > 1 && this.segments[1]!.base <= end) this.removeOldest();
    this.saveCursor();
  }

  /** Records which batches are published but not yet acknowledged, so a restart resends the same batches. */
  setInflight(ranges: readonly (readonly [number, number])[]): void {
    this.cursor.inflight = ranges.map(([a, b]) => [a, b]);
    this.saveCursor();
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
    this.saveCursor();
    return dropped;
  }

  /** Age in ms of the oldest closed segment's last write, judged by its mtime; undefined if none. */
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

  private segmentIndexOf(seq: number): number {
    for (let i = this.segments.length - 1; i >= 0; i--) if (this.segments[i]!.base <= seq) return i;
    return -1;
  }

  private removeOldest(): void {
    const [oldest] = this.segments.splice(0, 1);
    if (oldest) rmSync(oldest.path, { force: true });
  }

  private loadCursor(): CursorFile {
    const path = join(this.dir, 'cursor.json');
    const fallback: CursorFile = { acked: this.segments[0]?.base ?? this.nextSeq, inflight: [] };
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as CursorFile;
      if (!Number.isInteger(parsed.acked) || !Array.isArray(parsed.inflight)) throw new Error('missing acked/inflight');
      return { acked: Math.min(parsed.acked, this.nextSeq), inflight: parsed.inflight.filter(([a, b]) => a >= parsed.acked && b <= this.nextSeq) };
    } catch (error) {
      // Resending from the oldest record is safe (cloud-ingest dedups); losing data is not.
      this.stats.inc('spool.cursor_unreadable', { lane: this.options.name });
      this.log.warn({ file: path, err: error }, 'spool: cursor file unreadable; resending from the oldest kept record');
      return fallback;
    }
  }

  private saveCursor(): void {
    const path = join(this.dir, 'cursor.json');
    // Not fsync'd: a cursor lost to a power cut only means a resend, which cloud-ingest dedups.
    writeFileSync(`${path}.tmp`, JSON.stringify(this.cursor));
    renameSync(`${path}.tmp`, path);
  }
}
