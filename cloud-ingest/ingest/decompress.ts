// Decompressing a telemetry batch at a fleet's rate. A compound's batch is a few hundred bytes of gzip
// (60 measurements), and Node's asynchronous gunzip costs ~60 µs of CPU for it in stream and thread-pool
// overhead, against ~11 µs for the synchronous call. So a small payload is inflated synchronously with a
// small output cap (bounded work on the event loop, ~0.3 ms at most), and anything larger, a gzip bomb
// included, is inflated off the event loop as a stream and checked piece by piece (checkGzipBatch), with
// the full MAX_BATCH_BYTES limit.
import { gunzipSync } from 'node:zlib';
import type { GatewayIdentity } from '../registry/registry.js';
import type { HeadCache } from './head-cache.js';
import type { SeriesBudget } from './series-budget.js';
import { BatchDecodeError, checkBatch, checkGzipBatch, decompressBatch, type CheckedBatch } from './telemetry.js';

/** Payloads up to this size are tried synchronously. */
export const SYNC_INPUT_BYTES = 64 * 1024;
/** Largest output inflated synchronously; a batch that inflates past it is decompressed off the event loop. */
export const SYNC_OUTPUT_BYTES = 256 * 1024;

/** The decompressed bytes; rejects (as decompressBatch does) for data that is not gzip or too large. */
export function decompressTelemetry(payload: Buffer): Promise<Buffer> {
  if (payload.length > SYNC_INPUT_BYTES) return decompressBatch(payload);
  try {
    return Promise.resolve(gunzipSync(payload, { maxOutputLength: SYNC_OUTPUT_BYTES }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return decompressBatch(payload);
    return Promise.reject(error as Error);
  }
}

/** A gzip'd telemetry batch checked (telemetry.ts); throws BatchDecodeError for data that is not gzip or too large. */
export function checkTelemetry(identity: GatewayIdentity, payload: Buffer, now: number, series?: SeriesBudget, heads?: HeadCache): Promise<CheckedBatch> {
  if (payload.length > SYNC_INPUT_BYTES) return checkGzipBatch(identity, payload, now, series, heads);
  let text: Buffer;
  try {
    text = gunzipSync(payload, { maxOutputLength: SYNC_OUTPUT_BYTES });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return checkGzipBatch(identity, payload, now, series, heads);
    return Promise.reject(new BatchDecodeError((error as Error).message));
  }
  return checkBatch(identity, text, now, series, heads);
}
