// InfluxDB line-protocol escaping (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/).
// Newlines cannot be escaped in line protocol at all, so they (and tabs) become spaces: one record is one line.

const NEWLINES = /[\r\n\t]/g;
// One test first: nearly every name needs no escaping, and these run for every field the gateway encodes.
const MEASUREMENT_SPECIAL = /[\r\n\t, ]/;
const KEY_SPECIAL = /[\r\n\t,= ]/;

/** Measurement names: commas and spaces are escaped. */
export function escapeMeasurement(name: string): string {
  if (!MEASUREMENT_SPECIAL.test(name)) return name;
  return name.replace(NEWLINES, ' ').replace(/[, ]/g, (c) => `\\${c}`);
}

/** Tag keys, tag values and field keys: commas, equals signs and spaces are escaped. */
export function escapeKey(text: string): string {
  if (!KEY_SPECIAL.test(text)) return text;
  return text.replace(NEWLINES, ' ').replace(/[,= ]/g, (c) => `\\${c}`);
}

/** String field values: double quotes and backslashes are escaped, then the value is quoted. */
export function quoteString(text: string): string {
  return `"${text.replace(NEWLINES, ' ').replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
