// One telemetry batch: gunzip, split, check line by line, enforce identity tags. Pure apart from zlib.
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { GatewayIdentity } from '../registry/registry.js';
import { checkLine, type CheckedLine } from './checked-line.js';
import { LineError } from './line-protocol.js';
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

/** Bytes of a decompressed batch turned into text at a time (cut after a newline: never inside a character). */
const TEXT_CHUNK_BYTES = 1024 * 1024;

/**
 * Checks a batch line by line. The decompressed bytes become text a megabyte at a time, lines are found
 * with indexOf (no array of every line: a batch of newlines must not become millions of strings), and
 * the work yields to the event loop every CHECK_SLICE_MS, so one gateway's huge batch delays nobody
 * else's by more than a slice.
 */
export async function checkBatch(identity: GatewayIdentity, input: string | Buffer, now: number = Date.now(), series?: SeriesBudget): Promise<CheckedBatch> {
  const lines: string[] = [];
  const checked: CheckedLine[] = [];
  const rejected: RejectedLine[] = [];
  let rejectedCount = 0;
  let seriesRefused = 0;
  let measurements = 0;
  let sliceStart = performance.now();
  let n = 0;
  const total = input.length;
  for (let pos = 0; pos < total && n <= MAX_BATCH_LINES; ) {
    let cut = total;
    if (typeof input !== 'string' && total - pos > TEXT_CHUNK_BYTES) {
      const newline = input.indexOf(10, pos + TEXT_CHUNK_BYTES);
      cut = newline < 0 ? total : newline + 1;
    }
    const text = typeof input === 'string' ? input : input.toString('utf8', pos, cut);
    pos = cut;
    for (let start = 0; start < text.length; n++) {
      if (n === MAX_BATCH_LINES) {
        // 31 MiB of newlines cost seconds of checking; the rest of such a batch is not looked at.
        rejectedCount++;
        rejected.push({ line: n + 1, reason: `batch has more than ${MAX_BATCH_LINES} lines; the rest is ignored` });
        n++;
        break;
      }
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const next = end + 1;
      if (end > start && text.charCodeAt(end - 1) === 13) end--;
      if (n % LINES_PER_CLOCK_LOOK === LINES_PER_CLOCK_LOOK - 1 && performance.now() - sliceStart > CHECK_SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
      if (end > start && text.charCodeAt(start) !== 35) {
        try {
          const c = checkLine(text.slice(start, end), identity, now);
          const refusal = series?.admit(identity.township, identity.gateway, c.series);
          if (refusal !== undefined) {
            seriesRefused++;
            throw new LineError(refusal);
          }
          lines.push(c.out);
          checked.push(c);
          measurements += c.fieldCount;
        } catch (error) {
          if (!(error instanceof LineError)) throw error;
          if (rejectedCount++ < MAX_REJECTION_DETAILS) rejected.push({ line: n + 1, reason: error.message });
        }
      }
      start = next;
    }
  }
  return { lines, checked, rejected, rejectedCount, seriesRefused, measurements };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
