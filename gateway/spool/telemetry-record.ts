// What one telemetry record in the spool holds: one line-protocol line (one source's points at one time).
//   S<line with ms timestamp>                          stamped with a synced clock (the fast path)
//   U<epoch> <mono> <ts>\t<series key>\t<fields>       stamped before sync; placed in time when sent
import type { TimeStamp } from '../time/placement.js';

export type TelemetryRecord =
  | { readonly synced: true; readonly line: string }
  | { readonly synced: false; readonly stamp: TimeStamp; readonly key: string; readonly fields: string };

export function encodeTelemetryRecord(key: string, fields: readonly string[], stamp: TimeStamp): Buffer {
  if (stamp.synced) return Buffer.from(`S${key} ${fields.join(',')} ${Math.round(stamp.ts)}`);
  return Buffer.from(`U${stamp.epoch} ${stamp.mono} ${stamp.ts}\t${key}\t${fields.join(',')}`);
}

export function decodeTelemetryRecord(payload: Buffer): TelemetryRecord {
  const text = payload.toString('utf8');
  if (text[0] === 'S') return { synced: true, line: text.slice(1) };
  if (text[0] !== 'U') throw new Error(`telemetry record starts with ${JSON.stringify(text[0])}, expected S or U`);
  const [head, key, fields] = text.slice(1).split('\t');
  const [epoch, mono, ts] = (head ?? '').split(' ');
  if (!epoch || key === undefined || fields === undefined || !Number.isFinite(Number(mono)) || !Number.isFinite(Number(ts))) {
    throw new Error(`unsynced telemetry record is malformed: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return { synced: false, stamp: { epoch, mono: Number(mono), ts: Number(ts), synced: false }, key, fields };
}
