// One telemetry batch: gunzip, split, check line by line, enforce identity tags. Pure apart from zlib.
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { GatewayIdentity } from '../registry/registry.js';
import { checkLine, type CheckedLine } from './checked-line.js';
import { LineError } from './line-protocol.js';

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
  readonly rejected: RejectedLine[];
  /** Number of field values (one measurement each) in the accepted lines. */
  readonly measurements: number;
}

/** Largest batch accepted after decompression; a gzip bomb is rejected as a whole. */
export const MAX_BATCH_BYTES = 32 * 1024 * 1024;

export async function decompressBatch(payload: Buffer): Promise<string> {
  const text = await gunzipAsync(payload, { maxOutputLength: MAX_BATCH_BYTES });
  return text.toString('utf8');
}

export function checkBatch(identity: GatewayIdentity, text: string, now: number = Date.now()): CheckedBatch {
  const lines: string[] = [];
  const checked: CheckedLine[] = [];
  const rejected: RejectedLine[] = [];
  let measurements = 0;
  const raw = text.split('\n');
  for (let n = 0; n < raw.length; n++) {
    const line = raw[n]!.endsWith('\r') ? raw[n]!.slice(0, -1) : raw[n]!;
    if (line === '' || line.startsWith('#')) continue;
    try {
      const c = checkLine(line, identity, now);
      lines.push(c.out);
      checked.push(c);
      measurements += c.fieldCount;
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      rejected.push({ line: n + 1, reason: error.message });
    }
  }
  return { lines, checked, rejected, measurements };
}
