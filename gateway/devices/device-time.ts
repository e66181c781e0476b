// The time a JSON device says it measured (profile `timestamp`), when it can be believed. A device's
// own time makes a QoS 1 resend after a gateway crash (fsync'd, then killed before the PUBACK went out)
// carry the same timestamp, so the database folds it (InfluxDB overwrites the identical point) instead
// of storing a second sample. Believed only while the gateway clock is synced, and only within a day
// before to 5 minutes after it: a device with a flat RTC battery must not move data to 1970 or 2100.
import type { Profile } from '../../config/profile.js';
import type { RawValue } from '../pipeline/types.js';
import { pickJson } from './decode.js';

const EARLIEST_MS = 24 * 3_600_000;
const LATEST_MS = 5 * 60_000;

export type DeviceTime = { kind: 'time'; ts: number } | { kind: 'absent' } | { kind: 'rejected'; reason: string };

/** Reads the device's time from any JSON value of the reading (every point carries the whole payload). */
export function deviceTime(spec: NonNullable<Profile['timestamp']>, values: ReadonlyMap<string, RawValue>, nowMs: number): DeviceTime {
  let payload: unknown;
  for (const raw of values.values()) {
    if (raw.kind === 'json') {
      payload = raw.value;
      break;
    }
  }
  if (payload === undefined) return { kind: 'absent' };
  const field = pickJson(payload, spec.json);
  if (field === undefined) return { kind: 'rejected', reason: `time field "${spec.json}" missing` };
  const ts = parse(spec.format, field);
  if (ts === undefined) return { kind: 'rejected', reason: `time field "${spec.json}" is not ${spec.format}: ${JSON.stringify(field).slice(0, 40)}` };
  if (ts < nowMs - EARLIEST_MS || ts > nowMs + LATEST_MS) return { kind: 'rejected', reason: `device time ${new Date(ts).toISOString()} is too far from the gateway clock` };
  return { kind: 'time', ts };
}

function parse(format: NonNullable<Profile['timestamp']>['format'], field: unknown): number | undefined {
  if (format === 'iso8601') {
    if (typeof field !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(field)) return undefined;
    const ms = Date.parse(field);
    return Number.isFinite(ms) ? ms : undefined;
  }
  const n = typeof field === 'number' ? field : typeof field === 'string' && /^\d+(\.\d+)?$/.test(field) ? Number(field) : NaN;
  if (!Number.isFinite(n)) return undefined;
  return format === 'epoch_s' ? n * 1000 : n;
}
