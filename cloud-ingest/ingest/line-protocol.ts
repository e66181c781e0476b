// InfluxDB line protocol, the subset gateways send: `class,tag=v,... field=value,... <ms>`.
// Parsed strictly so one bad line is rejected on its own; re-serialised with tags we set ourselves.
// Everything here is untrusted input (issue 13): every scan is one left-to-right pass with no regular
// expression that can backtrack (a field of many digits ending in `x` once cost the township 71 s), and
// every value is checked once, for what the database can store without harming its neighbours.
import { DEVICE_CLASSES } from '../../contract/vocabulary.js';
import { LastmileError } from '../../contract/errors.js';

export type FieldValue = number | boolean | string;

export interface ParsedLine {
  readonly measurement: string;
  readonly tags: Map<string, string>;
  readonly fields: [string, FieldValue][];
  /** The field section as sent (already valid), reused verbatim when re-serialising. */
  readonly fieldText: string;
  readonly ts: number;
}

const CLASSES = new Set<string>(DEVICE_CLASSES);
/** Earliest plausible timestamp: a 1970 time means the gateway clock was not synced. */
const MIN_TS = Date.UTC(2020, 0, 1);
const MAX_FUTURE_MS = 24 * 3600_000;

/**
 * Longest line accepted, in bytes. A gateway's lines are a few hundred bytes; VictoriaMetrics refuses a
 * whole write over 256 KiB per line, so an oversize line is rejected here, with its line number, before
 * it can reach the database.
 */
export const MAX_LINE_BYTES = 64 * 1024;
/** Longest tag value (ids and location labels); bounds the size of one series key. */
export const MAX_TAG_VALUE_CHARS = 256;
/**
 * Largest magnitude of a numeric field. Finite is not enough: VictoriaMetrics stores a block of samples
 * with one decimal exponent, so 1e308 beside 230.1 V stored the volts as 0. 1e15 keeps three decimals
 * of every neighbour inside an int64 mantissa and is far above any sensor or counter (kWh, pulses).
 */
export const MAX_ABS_VALUE = 1e15;
/**
 * Tag keys a gateway may send: gateway/line-protocol/encode.ts LINE_TAGS, plus `point` (DESIGN.md).
 * Anything else, look-alikes of identity tags included (`Township`, `tοwnship` with a Greek ο), is
 * refused rather than stored as a label a viewer could mistake for the real one.
 */
export const LINE_TAG_KEYS: ReadonlySet<string> = new Set(['building', 'compound', 'floor', 'gateway', 'point', 'room', 'source', 'township', 'unit']);

/** A line that can never be stored as it is (LINE_INVALID): refused, counted, and named by its number. */
export class LineError extends LastmileError {
  constructor(message: string) {
    super('LINE_INVALID', message);
    this.name = 'LineError';
  }
}

const BOOLEANS = new Map<string, boolean>([
  ['t', true], ['T', true], ['true', true], ['True', true], ['TRUE', true],
  ['f', false], ['F', false], ['false', false], ['False', false], ['FALSE', false],
]);
const INT64_MAX = 9223372036854775807n;
const UINT64_MAX = 18446744073709551615n;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Index after the run of digits starting at i. */
function skipDigits(text: string, i: number): number {
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  return i;
}

/** True for `[-+]?(digits[.digits]|.digits)([eE][-+]?digits)?`, in one pass. */
function isFloatText(text: string): boolean {
  let i = text.charCodeAt(0) === 45 || text.charCodeAt(0) === 43 ? 1 : 0;
  const intEnd = skipDigits(text, i);
  let digits = intEnd - i;
  i = intEnd;
  if (text.charCodeAt(i) === 46) {
    const fracEnd = skipDigits(text, i + 1);
    digits += fracEnd - i - 1;
    i = fracEnd;
  }
  if (digits === 0) return false;
  if (text.charCodeAt(i) === 101 || text.charCodeAt(i) === 69) {
    i++;
    if (text.charCodeAt(i) === 45 || text.charCodeAt(i) === 43) i++;
    const expEnd = skipDigits(text, i);
    if (expEnd === i) return false;
    i = expEnd;
  }
  return i === text.length;
}

/** An integer field `-?digits i` or `digits u`, checked against its 64-bit range; undefined when it is not one. */
function integerValue(text: string, key: string): number | undefined {
  const suffix = text.charCodeAt(text.length - 1);
  if (suffix !== 105 && suffix !== 117) return undefined; // i, u
  const negative = text.charCodeAt(0) === 45;
  const start = negative ? 1 : 0;
  const end = text.length - 1;
  if (end === start || skipDigits(text, start) !== end) return undefined;
  if (negative && suffix === 117) throw new LineError(`field "${key}": unsigned integer "${text}" is negative`);
  // Leading zeros aside, more than 20 digits is out of range whatever they are; BigInt only on short text.
  let first = start;
  while (first < end - 1 && text.charCodeAt(first) === 48) first++;
  const big = end - first > 20 ? undefined : BigInt(text.slice(first, end));
  const max = suffix === 117 ? UINT64_MAX : negative ? INT64_MAX + 1n : INT64_MAX;
  if (big === undefined || big > max) throw new LineError(`field "${key}": integer "${clip(text)}" is beyond the 64-bit range`);
  const value = Number(negative ? -big : big);
  checkMagnitude(value, text, key);
  return value;
}

function checkMagnitude(value: number, text: string, key: string): void {
  if (!Number.isFinite(value)) throw new LineError(`field "${key}": "${clip(text)}" is not a finite number`);
  if (Math.abs(value) > MAX_ABS_VALUE) throw new LineError(`field "${key}": ${clip(text)} is beyond ±${MAX_ABS_VALUE} (no sensor reads that; it would cost its neighbours their precision in the database)`);
}

/** Long values are shortened in error messages (they are logged and sent back in receipts). */
function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…(${text.length} chars)` : text;
}

/**
 * Characters no label or string value may carry: C0/C1 controls, zero-width and bidirectional marks
 * (invisible, and they make one label look like another). One character class: linear.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const NOT_PLAIN_ASCII = /[^\x20-\x7e]/;

/** True when every character is printable ASCII (then no label in it needs checkText). One pass. */
export function isPlainAscii(text: string): boolean {
  return !NOT_PLAIN_ASCII.test(text);
}

/** A tag value, field key or string value: no forbidden characters; returned in Unicode NFC. */
export function checkText(text: string, what: string): string {
  if (!NOT_PLAIN_ASCII.test(text)) return text;
  const bad = FORBIDDEN_CHARS.exec(text);
  if (bad) throw new LineError(`${what}: control or invisible character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()} at offset ${bad.index}`);
  return text.normalize('NFC');
}

/**
 * A tag key from the contract; its value checked (length, characters) and returned in NFC. `plain`: the
 * caller found the whole line printable ASCII, so the characters need no look.
 */
export function checkTag(key: string, value: string, plain = false): string {
  if (!LINE_TAG_KEYS.has(key)) throw new LineError(`tag key "${clip(key)}" is not one of ${[...LINE_TAG_KEYS].join(', ')}`);
  if (value === '') throw new LineError(`tag "${key}": empty value`);
  if (value.length > MAX_TAG_VALUE_CHARS) throw new LineError(`tag "${key}": value of ${value.length} chars is over ${MAX_TAG_VALUE_CHARS}`);
  return plain ? value : checkText(value, `tag "${key}"`);
}

/**
 * The value of one field, classified in one pass: quoted string, boolean, 64-bit integer or finite float
 * within ±MAX_ABS_VALUE. Throws LineError naming the field.
 */
export function parseFieldValue(text: string, key: string): FieldValue {
  if (text.length >= 2 && text.charCodeAt(0) === 34 && text.charCodeAt(text.length - 1) === 34) {
    const inner = text.slice(1, -1);
    return checkText(inner.includes('\\') ? unescapeString(inner) : inner, `field "${key}"`);
  }
  const first = text.charCodeAt(0);
  // t, T, f, F start booleans; anything else is looked at as a number only.
  if (first === 116 || first === 84 || first === 102 || first === 70) {
    const bool = BOOLEANS.get(text);
    if (bool !== undefined) return bool;
  } else if (text.length > 0) {
    const integer = integerValue(text, key);
    if (integer !== undefined) return integer;
    if (isFloatText(text)) {
      const value = Number(text);
      checkMagnitude(value, text, key);
      return value;
    }
  }
  throw new LineError(`field "${key}": "${clip(text)}" is not a number, boolean, integer or quoted string`);
}

/** `\"` → `"` and `\\` → `\` (other backslashes stay, as InfluxDB keeps them). */
function unescapeString(inner: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < inner.length; i++) {
    if (inner.charCodeAt(i) !== 92) continue;
    const next = inner[i + 1];
    if (next === '"' || next === '\\') {
      out += inner.slice(from, i);
      from = i + 1;
      i++;
    }
  }
  return out + inner.slice(from);
}

/** Longest integer part a plain decimal may have to be within MAX_ABS_VALUE without being parsed. */
const PLAIN_INT_DIGITS = 15;
/** Start and end of each key of the field section being looked at (fields past this many take the full check). */
const PLAIN_KEYS = new Int32Array(2 * 64);

/**
 * The field count of a field section of plain ASCII (the caller knows) with no quote or backslash, when
 * every field is `key=decimal` with a key not given twice and a decimal of at most PLAIN_INT_DIGITS digits
 * before its point and no exponent (so finite and within MAX_ABS_VALUE without being parsed); -1 for
 * anything else, which the caller then checks in full (parseFieldValue and checkFieldKey: the same
 * verdict and the error to give). One pass over the text and no string made: this is most of every
 * telemetry line (issue 13: the checks' share of bench:ingest).
 */
export function plainDecimalFieldCount(text: string): number {
  let fields = 0;
  let i = 0;
  const end = text.length;
  for (;;) {
    const keyStart = i;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === 61 || c === 44) break; // = ,
      i++;
    }
    if (i === keyStart || i === end || text.charCodeAt(i) !== 61 || fields === PLAIN_KEYS.length / 2) return -1;
    const keyEnd = i;
    for (let k = 0; k < fields; k++) if (sameText(text, PLAIN_KEYS[2 * k]!, PLAIN_KEYS[2 * k + 1]!, keyStart, keyEnd)) return -1;
    PLAIN_KEYS[2 * fields] = keyStart;
    PLAIN_KEYS[2 * fields + 1] = keyEnd;
    fields++;
    i++; // the =
    if (text.charCodeAt(i) === 45 || text.charCodeAt(i) === 43) i++;
    const intEnd = skipDigits(text, i);
    let digits = intEnd - i;
    if (digits > PLAIN_INT_DIGITS) return -1;
    i = intEnd;
    if (text.charCodeAt(i) === 46) {
      const fracEnd = skipDigits(text, i + 1);
      digits += fracEnd - i - 1;
      i = fracEnd;
    }
    if (digits === 0) return -1;
    if (i === end) return fields;
    if (text.charCodeAt(i) !== 44) return -1;
    i++; // the ,
  }
}

function sameText(text: string, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let k = 0; k < aEnd - aStart; k++) if (text.charCodeAt(aStart + k) !== text.charCodeAt(bStart + k)) return false;
  return true;
}

/** A field key: not empty, not given twice (`seen`: the keys before it), no forbidden characters unless `plain`. */
export function checkFieldKey(key: string, seen: string[], index: number, plain = false): void {
  if (key === '') throw new LineError(`field ${index}: expected key=value`);
  if (!plain) checkText(key, `field ${index} key`);
  // A handful of fields per line: a scan of the keys before is cheaper than a Set per line.
  if (seen.includes(key)) throw new LineError(`field "${clip(key)}" given twice`);
  seen.push(key);
}

/** Reads up to an unescaped delimiter; returns [text unescaped, index of the delimiter]. */
function readToken(line: string, start: number, stops: string): [string, number] {
  let out = '';
  let from = start;
  let i = start;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      out += line.slice(from, i);
      from = i + 1;
      i++;
      continue;
    }
    if (stops.includes(c)) break;
  }
  return [out + line.slice(from, i), i];
}

/** Splits the field section on commas outside quoted strings. */
export function parseFields(text: string): [string, FieldValue][] {
  const fields: [string, FieldValue][] = [];
  const seen: string[] = [];
  let i = 0;
  while (i < text.length) {
    const [key, eq] = readToken(text, i, '=,');
    if (text[eq] !== '=' || key === '') throw new LineError(`field ${fields.length + 1}: expected key=value`);
    checkFieldKey(key, seen, fields.length + 1);
    let j = eq + 1;
    if (text[j] === '"') {
      j++;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw new LineError(`field "${key}": unterminated string`);
      j++;
    } else {
      while (j < text.length && text[j] !== ',') j++;
    }
    fields.push([key, parseFieldValue(text.slice(eq + 1, j), key)]);
    if (j < text.length && text[j] !== ',') throw new LineError(`field "${key}": unexpected text after the value`);
    i = j + 1;
    if (j === text.length - 1) throw new LineError('trailing comma after the last field');
  }
  if (fields.length === 0) throw new LineError('no fields');
  return fields;
}

/** Index of the space that ends the field section (spaces inside quoted strings do not count). */
function fieldSectionEnd(line: string, start: number): number {
  let inString = false;
  for (let i = start; i < line.length; i++) {
    const c = line[i];
    if (c === '\\') i++;
    else if (c === '"') inString = !inString;
    else if (c === ' ' && !inString) return i;
  }
  return -1;
}

/** Bytes of a line when it may be over MAX_LINE_BYTES (a char is at most 3 UTF-8 bytes), else its length. */
export function checkLineSize(line: string): void {
  if (line.length * 3 <= MAX_LINE_BYTES) return;
  const bytes = line.length > MAX_LINE_BYTES ? line.length : Buffer.byteLength(line, 'utf8');
  if (bytes > MAX_LINE_BYTES) throw line.length > MAX_LINE_BYTES ? lineTooLong(bytes) : new LineError(`line of ${bytes} bytes is over the ${MAX_LINE_BYTES}-byte limit`);
}

/** A line of at least this many bytes (chars), over MAX_LINE_BYTES; its exact size is not worth counting. */
export function lineTooLong(atLeast: number): LineError {
  return new LineError(`line of over ${atLeast} bytes is over the ${MAX_LINE_BYTES}-byte limit`);
}

export function checkMeasurement(measurement: string): void {
  if (!CLASSES.has(measurement)) throw new LineError(`measurement "${clip(measurement)}" is not a device class (${DEVICE_CLASSES.join(', ')})`);
}

/** Parses and checks one line (any escapes and quoted strings); throws LineError saying what is wrong. */
export function parseLine(line: string, now: number = Date.now()): ParsedLine {
  checkLineSize(line);
  const [measurement, mEnd] = readToken(line, 0, ', ');
  checkMeasurement(measurement);
  const tags = new Map<string, string>();
  let i = mEnd;
  while (line[i] === ',') {
    const [key, eq] = readToken(line, i + 1, '=, ');
    if (line[eq] !== '=' || key === '') throw new LineError(`tag ${tags.size + 1}: expected key=value`);
    const [value, end] = readToken(line, eq + 1, ', ');
    if (tags.has(key)) throw new LineError(`tag "${clip(key)}" given twice`);
    tags.set(key, checkTag(key, value));
    i = end;
  }
  if (line[i] !== ' ') throw new LineError('expected a space before the fields');
  const fieldsEnd = fieldSectionEnd(line, i + 1);
  if (fieldsEnd < 0) throw new LineError('missing timestamp (ms precision is required)');
  const fieldText = line.slice(i + 1, fieldsEnd);
  const fields = parseFields(fieldText);
  return { measurement, tags, fields, fieldText, ts: checkTimestamp(line.slice(fieldsEnd + 1), tags.has('source'), now) };
}

/**
 * The timestamp that ends `line` from `start`, when it is 13 digits or fewer with no leading zero (then
 * its text is the number's own, and the line's end can be written as it came): checked as checkTimestamp
 * checks it, without a string made. -1 for any other text, which the caller gives to checkTimestamp.
 */
export function plainTimestampAt(line: string, start: number, hasSource: boolean, now: number): number {
  const length = line.length - start;
  if (length < 1 || length > 13 || line.charCodeAt(start) === 48) return -1;
  let ts = 0;
  for (let i = start; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (!isDigit(c)) return -1;
    ts = ts * 10 + (c - 48);
  }
  if (ts < MIN_TS || ts > now + MAX_FUTURE_MS || !hasSource) return -1;
  return ts;
}

/** The timestamp in ms, plausible (not 1970, not past tomorrow); and the line must have named its source. */
export function checkTimestamp(tsText: string, hasSource: boolean, now: number): number {
  if (tsText.length === 0 || tsText.length > 16 || skipDigits(tsText, 0) !== tsText.length) throw new LineError(`timestamp "${clip(tsText)}" is not an integer in ms`);
  const ts = Number(tsText);
  if (ts < MIN_TS || ts > now + MAX_FUTURE_MS) throw new LineError(`timestamp ${ts} is outside ${new Date(MIN_TS).toISOString()} .. now+1d (clock not synced?)`);
  if (!hasSource) throw new LineError('missing tag "source"');
  return ts;
}

const NEEDS_ESCAPE = /[,= \\]/;

function escapeKey(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(/([,= \\])/g, '\\$1') : text;
}

/** Serialises with the tags in map order (InfluxDB sorts them itself; sorting here costs a third of ingest). */
export function formatLine(parsed: ParsedLine, tags: ReadonlyMap<string, string>): string {
  let out = NEEDS_ESCAPE.test(parsed.measurement) ? parsed.measurement.replace(/([, \\])/g, '\\$1') : parsed.measurement;
  for (const [key, value] of tags) out += `,${escapeKey(key)}=${escapeKey(value)}`;
  return `${out} ${parsed.fieldText} ${parsed.ts}`;
}
