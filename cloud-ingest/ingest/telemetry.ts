// One telemetry batch: gunzip, split, check line by line, enforce identity tags. Pure apart from zlib.
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { LastmileError } from '../../contract/errors.js';
import type { GatewayIdentity } from '../registry/registry.js';
import { checkLine, identitySuffix, type CheckedLine, type KnownHeads } from './checked-line.js';
import type { HeadCache } from './head-cache.js';
import { LineError, lineTooLong, MAX_LINE_BYTES } from './line-protocol.js';
import type { SeriesBudget } from './series-budget.js';

const gunzipAsync = promisify(gunzip);

/** Tags a gateway may not set: they come from its provisioned identity. */
export const IDENTITY_TAGS = ['township', 'compound', 'gateway'] as const;

export interface RejectedLine {
  /** 1-based line number within the batch. */
  readonly line: number;
  readonly reason: string;
}

export interface CheckedBatch {
  /** Lines ready to write, identity tags enforced. */
  readonly lines: string[];
  readonly checked: CheckedLine[];
  /** The first MAX_REJECTION_DETAILS rejected lines, with line number and reason. */
  readonly rejected: RejectedLine[];
  /** Every rejected line, counted (a batch of a million bad lines keeps a hundred reasons, not a million). */
  readonly rejectedCount: number;
  /** Of rejectedCount, lines of a new series past the gateway's or township's series budget. */
  readonly seriesRefused: number;
  /** Number of field values (one measurement each) in the accepted lines. */
  readonly measurements: number;
}

/** Rejected lines described per batch; the rest are only counted. */
export const MAX_REJECTION_DETAILS = 100;

/**
 * Largest batch accepted after decompression; a gzip bomb is rejected as a whole. A gateway's largest
 * batch (uplink.batchMaxMeasurements 100,000, a few hundred bytes a line) stays well under it; 16 MiB
 * keeps the one synchronous step, making the text, near 50 ms.
 */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024;
/** Most lines (empty ones included) looked at in one batch: a gateway sends at most 100,000. */
export const MAX_BATCH_LINES = 200_000;

/** The decompressed bytes (checkBatch makes the text, a chunk at a time). */
export function decompressBatch(payload: Buffer): Promise<Buffer> {
  return gunzipAsync(payload, { maxOutputLength: MAX_BATCH_BYTES });
}

/** Lines checked between looks at the clock; a look costs little, a line a microsecond or so. */
const LINES_PER_CLOCK_LOOK = 256;
/** Longest stretch of checking before the event loop gets a turn (other gateways, the board, receipts). */
export const CHECK_SLICE_MS = 8;

/** Bytes of a decompressed batch turned into text at a time. */
const TEXT_CHUNK_BYTES = 1024 * 1024;
/**
 * zlib's output piece when a batch is inflated as a stream. Each piece is checked and let go before the
 * next: holding a whole batch's pieces (16 MiB of a bomb, several at once) left the process 90 MB larger
 * after a corpus run, in malloc'd memory the allocator never gave back (issue 13: RSS after the floods).
 */
const INFLATE_CHUNK_BYTES = 64 * 1024;

/** A batch that is not gzip, or inflates past MAX_BATCH_BYTES (BATCH_UNREADABLE): refused as a whole. */
export class BatchDecodeError extends LastmileError {
  constructor(message: string) {
    super('BATCH_UNREADABLE', message);
    this.name = 'BatchDecodeError';
  }
}

/**
 * Checks a batch line by line. Text arrives in pieces (a megabyte of a decompressed buffer, or what zlib
 * gives while inflating), lines are found with indexOf (no array of every line: a batch of newlines
 * must not become millions of strings), a line is never built past MAX_LINE_BYTES, and the work yields
 * to the event loop every CHECK_SLICE_MS, so one gateway's huge batch delays nobody else's by more than
 * a slice. The series budget is asked only once the whole batch is known good (finish): a batch refused
 * as a whole, a bomb found out half way, uses none of it.
 */
class BatchChecker {
  private readonly lines: string[] = [];
  private readonly checked: CheckedLine[] = [];
  private readonly lineNumbers: number[] = [];
  private readonly rejected: RejectedLine[] = [];
  private rejectedCount = 0;
  /** Lines seen so far (empty ones included). */
  private n = 0;
  /** The start of a line whose end has not arrived yet. */
  private partial = '';
  /** Characters of the current line dropped because it is already over MAX_LINE_BYTES. */
  private overlong = 0;
  private ignoring = false;
  private sliceStart = performance.now();
  /** The identity tags every accepted line ends its series key with, made once for the batch. */
  private readonly suffix: string;
  /** The gateway's heads already checked, when the caller keeps them (head-cache.ts). */
  private readonly known: KnownHeads | undefined;

  constructor(
    private readonly identity: GatewayIdentity,
    private readonly now: number,
    heads: HeadCache | undefined,
  ) {
    this.suffix = identitySuffix(identity);
    this.known = heads?.forGateway(identity.gateway, this.suffix);
  }

  /**
   * Checks every line the text completes; the unfinished end waits for the next piece. Lines are checked
   * synchronously and the clock is looked at every LINES_PER_CLOCK_LOOK lines: an await per line (a
   * promise and a microtask each) cost a fleet's 12-line batches a third of their checking (issue 19).
   */
  async push(text: string): Promise<void> {
    for (let start = 0; start < text.length && !this.ignoring; ) {
      const newline = text.indexOf('\n', start);
      if (newline < 0) {
        this.keepPartial(text.slice(start));
        return;
      }
      const head = this.partial;
      this.partial = '';
      if (this.overlong > 0 || head.length + newline - start > MAX_LINE_BYTES) {
        const chars = this.overlong + head.length + newline - start;
        this.overlong = 0;
        this.reject(lineTooLong(chars));
      } else this.line(head === '' ? text.slice(start, newline) : head + text.slice(start, newline));
      start = newline + 1;
      if (this.n % LINES_PER_CLOCK_LOOK === 0) await this.maybeYield();
    }
  }

  /** The last line (no newline after it), then the series budget: the batch as it will be written. */
  async finish(series: SeriesBudget | undefined): Promise<CheckedBatch> {
    if (!this.ignoring && (this.partial !== '' || this.overlong > 0)) {
      if (this.overlong > 0) this.reject(lineTooLong(this.overlong + this.partial.length));
      else this.line(this.partial);
    }
    this.partial = '';
    if (!series) return { lines: this.lines, checked: this.checked, rejected: this.rejected, rejectedCount: this.rejectedCount, seriesRefused: 0, measurements: count(this.checked) };
    // Copies of the lists are made only from the first refused line on: almost every batch has none.
    let lines: string[] = this.lines;
    let checked: CheckedLine[] = this.checked;
    const refused: RejectedLine[] = [];
    let seriesRefused = 0;
    const { township, gateway } = this.identity;
    for (let i = 0; i < this.checked.length; i++) {
      if (i % LINES_PER_CLOCK_LOOK === LINES_PER_CLOCK_LOOK - 1) await this.maybeYield();
      const c = this.checked[i]!;
      const refusal = series.admitHash(township, gateway, c.seriesHash);
      if (refusal === undefined) {
        if (seriesRefused > 0) {
          lines.push(this.lines[i]!);
          checked.push(c);
        }
        continue;
      }
      if (seriesRefused === 0) {
        lines = this.lines.slice(0, i);
        checked = this.checked.slice(0, i);
      }
      if (seriesRefused++ < MAX_REJECTION_DETAILS) refused.push({ line: this.lineNumbers[i]!, reason: refusal });
    }
    if (seriesRefused === 0 && this.rejected.length === 0) return { lines, checked, rejected: this.rejected, rejectedCount: this.rejectedCount, seriesRefused: 0, measurements: count(checked) };
    // The first MAX_REJECTION_DETAILS of both lists hold the first MAX_REJECTION_DETAILS of their union.
    const rejected = [...this.rejected, ...refused].sort((a, b) => a.line - b.line).slice(0, MAX_REJECTION_DETAILS);
    return { lines, checked, rejected, rejectedCount: this.rejectedCount + seriesRefused, seriesRefused, measurements: count(checked) };
  }

  private keepPartial(text: string): void {
    if (this.overlong > 0 || this.partial.length + text.length > MAX_LINE_BYTES) {
      this.overlong += this.partial.length + text.length;
      this.partial = '';
    } else this.partial += text;
  }

  private line(raw: string): void {
    const number = ++this.n;
    if (number > MAX_BATCH_LINES) {
      // 31 MiB of newlines cost seconds of checking; the rest of such a batch is not looked at.
      this.ignoring = true;
      this.reject(new LineError(`batch has more than ${MAX_BATCH_LINES} lines; the rest is ignored`), number);
      return;
    }
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (line === '' || line.charCodeAt(0) === 35) return;
    try {
      const c = checkLine(line, this.identity, this.now, this.suffix, this.known);
      this.lines.push(c.out);
      this.checked.push(c);
      this.lineNumbers.push(number);
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      this.reject(error, number);
    }
  }

  private reject(error: LineError, line = ++this.n): void {
    if (this.rejectedCount++ < MAX_REJECTION_DETAILS) this.rejected.push({ line, reason: error.message });
  }

  private async maybeYield(): Promise<void> {
    if (performance.now() - this.sliceStart <= CHECK_SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }
}

function count(checked: readonly CheckedLine[]): number {
  let measurements = 0;
  for (const c of checked) measurements += c.fieldCount;
  return measurements;
}

/** Checks a batch already in memory (a small one inflated at once, or text). `heads`: checked line heads kept across batches. */
export async function checkBatch(identity: GatewayIdentity, input: string | Buffer, now: number = Date.now(), series?: SeriesBudget, heads?: HeadCache): Promise<CheckedBatch> {
  const checker = new BatchChecker(identity, now, heads);
  if (typeof input === 'string') await checker.push(input);
  else if (input.length <= TEXT_CHUNK_BYTES) await checker.push(input.toString('utf8'));
  else {
    const decoder = new StringDecoder('utf8');
    for (let pos = 0; pos < input.length; pos += TEXT_CHUNK_BYTES) await checker.push(decoder.write(input.subarray(pos, pos + TEXT_CHUNK_BYTES)));
    await checker.push(decoder.end());
  }
  return checker.finish(series);
}

/**
 * Inflates a gzip'd batch as a stream and checks it as it comes, so no more than one piece of it is
 * ever held as bytes. Throws BatchDecodeError for data that is not gzip or inflates past MAX_BATCH_BYTES
 * (the batch is refused whole; the series budget is untouched).
 */
export async function checkGzipBatch(identity: GatewayIdentity, payload: Buffer, now: number = Date.now(), series?: SeriesBudget, heads?: HeadCache): Promise<CheckedBatch> {
  const checker = new BatchChecker(identity, now, heads);
  const decoder = new StringDecoder('utf8');
  const inflate = createGunzip({ chunkSize: INFLATE_CHUNK_BYTES });
  inflate.end(payload);
  let bytes = 0;
  try {
    for await (const piece of inflate as AsyncIterable<Buffer>) {
      bytes += piece.length;
      if (bytes > MAX_BATCH_BYTES) throw new BatchDecodeError(`inflates to more than ${MAX_BATCH_BYTES} bytes (larger than the batch limit)`);
      await checker.push(decoder.write(piece));
    }
  } catch (error) {
    if (error instanceof BatchDecodeError) throw error;
    if (error instanceof LineError || !(error as NodeJS.ErrnoException).code?.startsWith('Z_')) throw error;
    throw new BatchDecodeError((error as Error).message);
  } finally {
    inflate.destroy();
  }
  await checker.push(decoder.end());
  return checker.finish(series);
}
