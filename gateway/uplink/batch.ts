// Spool records → what goes on the wire. Telemetry: one gzip'd line-protocol payload per batch, with
// an id made of the spool id and the batch's first and last sequence numbers, so a resend of the same
// records (after a crash or reconnect) carries the same id and cloud-ingest can drop it.
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { AlarmMessage } from '../../contract/wire.js';
import type { Clock } from '../pipeline/types.js';
import { decodeAlarmRecord } from '../spool/alarm-record.js';
import type { SpoolRecord } from '../spool/lane.js';
import { decodeTelemetryRecord } from '../spool/telemetry-record.js';
import { placeStamp } from '../time/placement.js';

const gzip = promisify(gzipCallback);

export function batchId(spoolId: string, first: number, end: number): string {
  return `${spoolId}-${first}-${end - 1}`;
}

export interface TelemetryBatch {
  readonly first: number;
  /** One past the last record's sequence number. */
  readonly end: number;
  readonly lines: string[];
  /** Records that could not be placed in time (a reboot before clock sync with a 1970 wall clock). */
  readonly unplaceable: number;
}

export interface TimeContext {
  readonly clock: Clock;
  /** This process's monotonic epoch (monoEpochOf). */
  readonly epoch: string;
}

/**
 * Turns spool records into line-protocol lines, stopping before the first record that must be held
 * until the clock is good. Returns undefined when the first record itself must wait.
 */
export function buildTelemetryBatch(records: readonly SpoolRecord[], time: TimeContext): TelemetryBatch | undefined {
  const lines: string[] = [];
  let unplaceable = 0;
  let end = records[0]?.seq ?? 0;
  for (const record of records) {
    const decoded = decodeTelemetryRecord(record.payload);
    if (decoded.synced) {
      lines.push(decoded.line);
    } else {
      const placed = placeStamp(decoded.stamp, time.clock, time.epoch, 'telemetry');
      if (placed.kind === 'hold') break;
      if (placed.kind === 'unplaceable') unplaceable++;
      else if (placed.kind === 'flagged') lines.push(`${decoded.key},time_quality=unsynced ${decoded.fields} ${placed.ts}`);
      else lines.push(`${decoded.key} ${decoded.fields} ${placed.ts}`);
    }
    end = record.seq + 1;
  }
  if (end === (records[0]?.seq ?? 0)) return undefined;
  return { first: records[0]!.seq, end, lines, unplaceable };
}

export function gzipLines(lines: readonly string[]): Promise<Buffer> {
  return gzip(lines.join('\n'));
}

/** An alarm record → the JSON message, or undefined while it must wait for the clock. */
export function buildAlarmMessage(record: SpoolRecord, time: TimeContext): AlarmMessage | undefined {
  const { epoch, event } = decodeAlarmRecord(record.payload);
  const placed = placeStamp({ ts: event.ts, mono: event.mono, synced: event.timeSynced, epoch }, time.clock, time.epoch, 'alarm');
  if (placed.kind === 'hold' || placed.kind === 'unplaceable') return undefined;
  return { ...event, ts: placed.ts, timeSynced: placed.kind === 'exact' && event.timeSynced };
}
