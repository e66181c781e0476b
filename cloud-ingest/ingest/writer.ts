// Writes line protocol to an InfluxDB v2 write endpoint (one request at a time through line-post.ts).
// Group commit: lines from concurrent batches go out in one HTTP write; each caller's promise resolves
// only when its lines are stored, which is when the gateway gets its receipt. A refused group write is
// split: each batch is retried alone, and a refused batch is bisected down to the lines the database
// refuses, so one gateway's bad line never costs another gateway (or its own good lines) anything. Retryable failures
// (connection, 429, 5xx) are retried with back-off for as long as it takes; while the database is down,
// callers past `maxPendingLines` wait to even enqueue, so memory stays bounded and TCP pushes back.
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import { gzipWrites, type InfluxConfig } from '../config.js';
import { LastmileError } from '../../contract/errors.js';
import { HttpStatusError, LinePoster } from './line-post.js';

/** The database refuses these lines (4xx): resending them can never succeed. */
export class WriteRefusedError extends LastmileError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WRITE_REFUSED', message, options);
    this.name = 'WriteRefusedError';
  }
}

/** Where accepted lines go. */
export interface TimeSeriesSink {
  /**
   * Resolves when the lines are durably stored; rejects with WriteRefusedError for data the database
   * refuses (4xx), with another error only when the writer is closed before the write succeeded.
   */
  write(lines: readonly string[]): Promise<WriteOutcome>;
  /** Lines accepted but not yet written. */
  pending(): number;
  close(): Promise<void>;
}

/** What became of one write()'s lines: all stored except `refusedLines` (the first reason kept). */
export interface WriteOutcome {
  readonly refusedLines: number;
  readonly firstRefusal?: string;
}

/**
 * How long a write waits for other batches to join it. Adds that much to a receipt (never to a PUBACK).
 * An HTTP write costs ~1.2 ms of CPU here whatever its size (client, gzip of the body, request, response),
 * so at 200 batches/s (1,000 gateways) the linger sets the write's share of each batch: 100 ms made writes
 * of ~14 batches, 250 ms makes ~24, and the Ingest core's CPU per 60-measurement batch fell from 560-607
 * to 456-486 µs (bench/fleet/per-batch.ts, 2026-12-02, issue 19). A gateway waits 30 s for a receipt
 * before it resends; a quarter second more before one is not felt. A drain fills a group at once
 * (flushLines), so it never waits.
 */
export const GROUP_LINGER_MS = 250;

/** A batch's lines as the body of its HTTP write: joined by newlines, in the UTF-8 the request sends. */
export function batchBody(lines: readonly string[]): Buffer {
  return Buffer.from(lines.join('\n'));
}

/**
 * One write() waiting: its lines already joined and encoded. A batch's lines are concatenations of slices
 * of its decompressed text; held as such in the queue (up to GROUP_LINGER_MS, longer while the database
 * is slow) each line was a handful of heap objects that every young-generation GC copied, and at
 * 5,000-measurement batches that copying was a third of the worker's main-thread time (bench:ingest,
 * --trace-gc). One buffer per batch instead, the UTF-8 the request sends (outside the JavaScript heap, so
 * no GC copies it); it is split into lines again only when the database refuses it.
 */
interface Waiter {
  readonly body: Buffer;
  readonly count: number;
  /** Written in an HTTP request of its own (after a refused group write, to isolate the refusal). */
  readonly alone: boolean;
  resolve(outcome: WriteOutcome): void;
  reject(error: Error): void;
}

export class InfluxWriter implements TimeSeriesSink {
  private readonly poster: LinePoster;
  private queue: Waiter[] = [];
  private queuedLines = 0;
  private inFlight = 0;
  private pumpScheduled = false;
  private pumpTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly roomWaiters: (() => void)[] = [];
  private backoffMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Writes under way, awaited by close() before the connections go. */
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly config: InfluxConfig,
    token: string | undefined,
    private readonly log: Logger,
    private readonly stats: Stats,
  ) {
    this.poster = new LinePoster({ url: config.url, org: config.org, bucket: config.bucket, token, timeoutMs: config.timeoutMs, gzip: gzipWrites(config) });
  }

  pending(): number {
    return this.queuedLines;
  }

  async write(lines: readonly string[]): Promise<WriteOutcome> {
    if (lines.length === 0) return { refusedLines: 0 };
    while (this.queuedLines > 0 && this.queuedLines + lines.length > this.config.maxPendingLines) {
      this.stats.inc('ingest.backpressure_wait');
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      if (this.closed) throw new Error('writer closed');
    }
    const body = batchBody(lines);
    const done = new Promise<WriteOutcome>((resolve, reject) => this.queue.push({ body, count: lines.length, alone: false, resolve, reject }));
    this.queuedLines += lines.length;
    this.stats.set('ingest.pending_lines', {}, this.queuedLines);
    // A fleet's batches arrive one per tick (200/s from 1,000 gateways, 60 lines each), so the write waits
    // GROUP_LINGER_MS for others to join it: one HTTP request for many gateways instead of one each. A full
    // group goes at once (next tick).
    if (this.queuedLines >= this.config.flushLines) {
      if (this.pumpTimer) clearTimeout(this.pumpTimer);
      this.pumpTimer = undefined;
      if (!this.pumpScheduled) {
        this.pumpScheduled = true;
        setImmediate(() => {
          this.pumpScheduled = false;
          this.pump();
        });
      }
    } else if (!this.pumpTimer && !this.pumpScheduled) {
      this.pumpTimer = setTimeout(() => {
        this.pumpTimer = undefined;
        this.pump();
      }, GROUP_LINGER_MS);
    }
    return done;
  }

  /** Starts writes while there is queued data, a free write slot and no back-off pending. */
  private pump(): void {
    while (!this.closed && !this.retryTimer && this.inFlight < this.config.writeConcurrency && this.queue.length > 0) {
      const group = this.takeGroup();
      this.inFlight++;
      const sent = this.send(group).finally(() => {
        this.sending.delete(sent);
        this.inFlight--;
        this.pump();
      });
      this.sending.add(sent);
    }
  }

  /** Removes queued writers up to flushLines (at least one, however large; an `alone` one by itself). */
  private takeGroup(): Waiter[] {
    if (this.queue[0]?.alone) return this.queue.splice(0, 1);
    let n = 0;
    let count = 0;
    while (count < this.queue.length && !this.queue[count]!.alone && (count === 0 || n + this.queue[count]!.count <= this.config.flushLines)) n += this.queue[count++]!.count;
    return this.queue.splice(0, count);
  }

  private settle(lines: number): void {
    this.queuedLines -= lines;
    this.stats.set('ingest.pending_lines', {}, this.queuedLines);
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  private async send(group: Waiter[]): Promise<void> {
    let lines = 0;
    for (const w of group) lines += w.count;
    try {
      await this.poster.post(group.map((w) => w.body));
      if (this.backoffMs > 0) this.log.info({ lines, pendingLines: this.queuedLines }, 'database writes succeed again; draining the backlog');
      this.backoffMs = 0;
      this.stats.inc('ingest.lines_written', {}, lines);
      this.stats.inc('ingest.write_requests');
      this.settle(lines);
      for (const w of group) w.resolve({ refusedLines: 0 });
    } catch (error) {
      const status = error instanceof HttpStatusError ? error.statusCode : undefined;
      if (status !== undefined && status < 500 && status !== 429 && status !== 408) {
        this.isolate(group, status, (error as Error).message);
        return;
      }
      if (this.closed) {
        for (const w of group) w.reject(new Error('writer closed before the write succeeded'));
        return;
      }
      // Back to the front of the queue: still counted as pending, so backpressure holds while it is down.
      this.queue.unshift(...group);
      this.stats.inc('ingest.write_retry');
      if (this.retryTimer || this.closed) return;
      this.backoffMs = Math.min(Math.max(this.backoffMs * 2, 200), 10_000);
      this.log.warn({ code: 'WRITE_FAILED', status, err: (error as Error).message, retryInMs: this.backoffMs, pendingLines: this.queuedLines }, 'database write failed; gateways stay un-acknowledged until it succeeds');
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.pump();
      }, this.backoffMs);
    }
  }

  /**
   * The database refused a write. Several batches: each is retried alone. One batch of several lines:
   * split in halves, each retried alone, so only the lines the database refuses are dropped. One line:
   * dropped, counted, and its reason reported to the caller (and so to the gateway in its receipt).
   */
  private isolate(group: Waiter[], status: number, message: string): void {
    this.stats.inc('ingest.write_refused');
    if (group.length > 1) {
      this.queue.unshift(...group.map((w) => ({ ...w, alone: true })));
      return; // send()'s caller pumps again
    }
    const waiter = group[0]!;
    if (waiter.count === 1) {
      this.stats.inc('ingest.lines_refused');
      this.log.error({ code: 'WRITE_REFUSED', status, err: message, line: waiter.body.subarray(0, 200).toString('utf8') }, 'database refused a line; that line is dropped');
      this.settle(1);
      waiter.reject(new WriteRefusedError(`database refused the line (HTTP ${status}): ${message}`));
      return;
    }
    // Lines never hold a newline (they were split on them), so the body splits back into the same lines.
    const all = waiter.body.toString('utf8').split('\n');
    const middle = Math.ceil(all.length / 2);
    const halves = [all.slice(0, middle), all.slice(middle)];
    const refused: number[] = [];
    const reasons: string[] = [];
    let failure: Error | undefined;
    const settleHalf = (lines: number, reason: string | undefined, error?: Error) => {
      refused.push(lines);
      if (reason) reasons.push(reason);
      if (error) failure = error;
      if (refused.length < halves.length) return;
      if (failure) return waiter.reject(failure);
      const total = refused.reduce((a, b) => a + b, 0);
      if (total === waiter.count) return waiter.reject(new WriteRefusedError(reasons[0] ?? `database refused every line (HTTP ${status})`));
      waiter.resolve(total === 0 ? { refusedLines: 0 } : { refusedLines: total, ...(reasons[0] ? { firstRefusal: reasons[0] } : {}) });
    };
    this.queue.unshift(
      ...halves.map((lines): Waiter => ({
        body: batchBody(lines),
        count: lines.length,
        alone: true,
        resolve: (outcome) => settleHalf(outcome.refusedLines, outcome.firstRefusal),
        reject: (error) => (error instanceof WriteRefusedError ? settleHalf(lines.length, error.message) : settleHalf(0, undefined, error)),
      })),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    for (const w of this.queue.splice(0)) w.reject(new Error('writer closed before the write succeeded'));
    for (const wake of this.roomWaiters.splice(0)) wake();
    await Promise.all(this.sending);
    this.poster.close();
  }
}
