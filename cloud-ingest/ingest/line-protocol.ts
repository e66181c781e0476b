// InfluxDB line protocol, the subset gateways send: `class,tag=v,... field=value,... <ms>`.
// Parsed strictly so one bad line is rejected on its own; re-serialised with tags we set ourselves.
import { DEVICE_CLASSES } from '../../gateway/pipeline/types.js';

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

export class LineError extends Error {}

/** Reads up to an unescaped delimiter; returns [text unescaped, index of the delimiter]. */
function readToken(line: string, start: number, stops: string): [string, number] {
  let out = '';
  let i = start;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      out += line[++i];
      continue;
    }
    if (stops.includes(c)) break;
    out += c;
  }
  return [out, i];
}

export function parseFieldValue(text: string, key: string): FieldValue {
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) return text.slice(1, -1).replace(/\\(["\\])/g, '$1');
  if (/^[tT](rue|RUE)?$/.test(text)) return true;
  if (/^[fF](alse|ALSE)?$/.test(text)) return false;
  if (/^-?\d+[iu]$/.test(text)) return Number(text.slice(0, -1));
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  throw new LineError(`field "${key}": "${text}" is not a number, boolean, integer or quoted string`);
}

/** Splits the field section on commas outside quoted strings. */
export function parseFields(text: string): [string, FieldValue][] {
  const fields: [string, FieldValue][] = [];
  let i = 0;
  while (i < text.length) {
    const [key, eq] = readToken(text, i, '=,');
    if (text[eq] !== '=' || key === '') throw new LineError(`field ${fields.length + 1}: expected key=value`);
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

export const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * The common case: no escapes and no string fields, so the line splits on plain spaces, commas and '='.
 * Five to ten times faster than the general parser; anything unusual falls back to it.
 */
function parseSimpleLine(line: string): Omit<ParsedLine, 'ts'> & { tsText: string } {
  const sp1 = line.indexOf(' ');
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp1 < 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0) throw new LineError(sp2 < 0 ? 'missing timestamp (ms precision is required)' : 'unexpected spaces (escape them with \\)');
  const head = line.slice(0, sp1).split(',');
  const measurement = head[0]!;
  if (!CLASSES.has(measurement)) throw new LineError(`measurement "${measurement}" is not a device class (${DEVICE_CLASSES.join(', ')})`);
  const tags = new Map<string, string>();
  for (let i = 1; i < head.length; i++) {
    const pair = head[i]!;
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1 || pair.indexOf('=', eq + 1) >= 0) throw new LineError(`tag ${i}: expected key=value`);
    tags.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const fieldText = line.slice(sp1 + 1, sp2);
  const fields: [string, FieldValue][] = [];
  for (const pair of fieldText.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new LineError(`field ${fields.length + 1}: expected key=value`);
    const key = pair.slice(0, eq);
    const text = pair.slice(eq + 1);
    fields.push([key, NUMBER.test(text) ? Number(text) : parseFieldValue(text, key)]);
  }
  return { measurement, tags, fields, fieldText, tsText: line.slice(sp2 + 1) };
}

/** Parses and checks one line; throws LineError saying what is wrong. */
export function parseLine(line: string, now: number = Date.now()): ParsedLine {
  if (!line.includes('\\') && !line.includes('"')) {
    const simple = parseSimpleLine(line);
    return { ...simple, ts: checkTimestamp(simple.tsText, simple.tags, now) };
  }
  const [measurement, mEnd] = readToken(line, 0, ', ');
  if (!CLASSES.has(measurement)) throw new LineError(`measurement "${measurement}" is not a device class (${DEVICE_CLASSES.join(', ')})`);
  const tags = new Map<string, string>();
  let i = mEnd;
  while (line[i] === ',') {
    const [key, eq] = readToken(line, i + 1, '=, ');
    if (line[eq] !== '=' || key === '') throw new LineError(`tag ${tags.size + 1}: expected key=value`);
    const [value, end] = readToken(line, eq + 1, ', ');
    if (value === '') throw new LineError(`tag "${key}": empty value`);
    tags.set(key, value);
    i = end;
  }
  if (line[i] !== ' ') throw new LineError('expected a space before the fields');
  const fieldsEnd = fieldSectionEnd(line, i + 1);
  if (fieldsEnd < 0) throw new LineError('missing timestamp (ms precision is required)');
  const fieldText = line.slice(i + 1, fieldsEnd);
  const fields = parseFields(fieldText);
  return { measurement, tags, fields, fieldText, ts: checkTimestamp(line.slice(fieldsEnd + 1), tags, now) };
}

export function checkTimestamp(tsText: string, tags: { has(key: string): boolean }, now: number): number {
  if (!/^\d{1,16}$/.test(tsText)) throw new LineError(`timestamp "${tsText}" is not an integer in ms`);
  const ts = Number(tsText);
  if (ts < MIN_TS || ts > now + MAX_FUTURE_MS) throw new LineError(`timestamp ${ts} is outside ${new Date(MIN_TS).toISOString()} .. now+1d (clock not synced?)`);
  if (!tags.has('source')) throw new LineError('missing tag "source"');
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
