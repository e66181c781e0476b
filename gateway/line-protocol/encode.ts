// Measurement → InfluxDB line protocol, ms precision. The measurement name is the device class, tags are
// the location/identity tags, the field is the point name. Points of one source that share a timestamp
// (one reading) go on one line: fewer bytes on the wire and one series row in InfluxDB.
import type { Measurement, MeasurementValue } from '../pipeline/types.js';
import { escapeKey, escapeMeasurement, quoteString } from './escape.js';

/** Tags that go on the wire, in this order (sorted by key, as InfluxDB prefers); others stay local. */
export const LINE_TAGS = ['building', 'compound', 'floor', 'gateway', 'room', 'source', 'township', 'unit'] as const;

/** Series key: `class,tag=value,...` (everything before the fields). */
export function seriesKey(m: Pick<Measurement, 'class' | 'source' | 'tags'>, extraTags: Readonly<Record<string, string>> = {}): string {
  const tags: Record<string, string | undefined> = { ...m.tags, source: m.source, ...extraTags };
  let key = escapeMeasurement(m.class);
  for (const name of [...LINE_TAGS, ...Object.keys(extraTags).sort()]) {
    const value = tags[name];
    if (value === undefined || value === '') continue;
    key += `,${escapeKey(name)}=${escapeKey(value)}`;
  }
  return key;
}

/** One field `point=value`: numbers as floats (so a series never changes type), booleans, strings quoted. */
export function encodeField(point: string, value: MeasurementValue): string {
  let encoded: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`line protocol: field ${point} is ${value}; InfluxDB accepts finite numbers only`);
    encoded = String(value);
  } else if (typeof value === 'boolean') {
    encoded = value ? 'true' : 'false';
  } else {
    encoded = quoteString(value);
  }
  return `${escapeKey(point)}=${encoded}`;
}

/** A full line for one or more fields of one series at one time (ms since the epoch). */
export function encodeLine(key: string, fields: readonly string[], tsMs: number): string {
  if (fields.length === 0) throw new Error(`line protocol: line for ${key} has no fields`);
  return `${key} ${fields.join(',')} ${Math.round(tsMs)}`;
}

/** One measurement alone on a line. */
export function encodeMeasurement(m: Measurement): string {
  return encodeLine(seriesKey(m), [encodeField(m.point, m.value)], m.ts);
}
