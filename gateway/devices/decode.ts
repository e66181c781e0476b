// Decoding: raw values from a driver + a resolved profile → measurement values or fault events. Pure.
// A fault sentinel (e.g. 0xE5E5 = sensor short), a value outside the documented range and a unit code the
// profile does not know are faults, never readings (DESIGN: "a value outside the range, a sentinel or an
// unknown unit is a fault").
import type { LocalText, MeasurementValue, RawValue } from '../pipeline/types.js';
import { convert } from '../shared/measure-units.js';
import type { ResolvedPoint } from './resolve.js';

export type PointResult =
  | { kind: 'value'; value: MeasurementValue; unit: string | undefined }
  | { kind: 'fault'; code: string; raw: number | string; text: LocalText }
  | { kind: 'error'; message: string };

/** Values of other points in the same reading (decimals, unit codes), by point id. */
export type Siblings = (pointId: string) => number | undefined;

const scratch = Buffer.alloc(4);

/** One register with its bytes in order. */
function inWordOrder(word: number, little: boolean): number {
  return little ? ((word & 0xff) << 8) | (word >> 8) : word & 0xffff;
}

/** Applies byte order inside each word, then word order, then the data type. Returns the raw number. */
export function registersToNumber(point: ResolvedPoint, words: readonly number[]): number {
  // Byte order per word without an array per point: this runs for every register point of every poll.
  const little = point.byteOrder === 'little';
  if (point.width === 1) {
    const word = inWordOrder(words[0]!, little);
    switch (point.type) {
      case 'i16':
        return word >= 0x8000 ? word - 0x10000 : word;
      case 'bit':
        return (word >> (point.bit ?? 0)) & 1;
      case 'bitfield': {
        const bits = point.bits ?? { offset: 0, width: 16 };
        return (word >>> bits.offset) & ((1 << bits.width) - 1);
      }
      default:
        return word;
    }
  }
  const first = inWordOrder(words[0]!, little);
  const second = inWordOrder(words[1]!, little);
  const big = point.wordOrder === 'big';
  scratch.writeUInt16BE(big ? first : second, 0);
  scratch.writeUInt16BE(big ? second : first, 2);
  switch (point.type) {
    case 'i32':
      return scratch.readInt32BE(0);
    case 'float32':
      return scratch.readFloatBE(0);
    default:
      return scratch.readUInt32BE(0);
  }
}

/** float32 carries ~7 significant digits; scaled integers carry the scale's decimals. Strip binary noise. */
function tidy(value: number, point: ResolvedPoint): number {
  if (!Number.isFinite(value)) return value;
  if (point.type === 'float32') return Number(value.toPrecision(7));
  return Number(value.toPrecision(12));
}

/** The value at a dotted path ("event.smoke", "data.0") in a JSON payload, or undefined. */
export function pickJson(value: unknown, path: string): unknown {
  let node = value;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** The raw value of a point as a number, boolean or string, before sentinels, states and scaling. */
export function rawOf(point: ResolvedPoint, raw: RawValue): number | boolean | string | { error: string } {
  switch (raw.kind) {
    case 'registers':
      if (raw.words.length !== point.width) {
        return { error: `expected ${point.width} register(s) at 0x${point.address.toString(16).padStart(4, '0')}, got ${raw.words.length}` };
      }
      return registersToNumber(point, raw.words);
    case 'bits': {
      const bit = raw.bits[0];
      if (bit === undefined) return { error: 'no bit in the answer' };
      return bit !== point.activeLow;
    }
    case 'json': {
      const picked = point.json === undefined ? raw.value : pickJson(raw.value, point.json);
      if (typeof picked === 'number' || typeof picked === 'boolean' || typeof picked === 'string') return picked;
      return { error: picked === undefined ? `field "${point.json}" missing` : `field "${point.json}" is not a number, boolean or string` };
    }
  }
}

/** The fault sentinel the raw value matches; a loop that makes a string only for a string value (it runs per point). */
function sentinelOf(point: ResolvedPoint, value: number | boolean | string, asInteger: number | undefined): ResolvedPoint['faults'][number] | undefined {
  for (const fault of point.faults) {
    if (fault.raw === asInteger || (typeof value === 'string' && String(fault.raw) === value)) return fault;
  }
  return undefined;
}

export function decodePoint(point: ResolvedPoint, raw: RawValue, siblings: Siblings): PointResult {
  const value = rawOf(point, raw);
  if (typeof value === 'object') return { kind: 'error', message: value.error };

  const asInteger = typeof value === 'boolean' ? Number(value) : typeof value === 'number' && Number.isInteger(value) ? value : undefined;
  const sentinel = sentinelOf(point, value, asInteger);
  if (sentinel) return { kind: 'fault', code: sentinel.code, raw: typeof value === 'boolean' ? Number(value) : value, text: sentinel.text };

  if (point.states) {
    const key = typeof value === 'boolean' ? String(Number(value)) : String(value);
    // Unknown codes keep a string form so the field never changes type in the database.
    return { kind: 'value', value: point.states[key] ?? `code_${key}`, unit: undefined };
  }
  if (typeof value !== 'number') return { kind: 'value', value, unit: point.unit };

  let scaled = value * point.scale + point.offset;
  if (point.decimalsFrom !== undefined) {
    const decimals = siblings(point.decimalsFrom);
    if (decimals === undefined || decimals < 0 || decimals > 6) {
      return { kind: 'error', message: `decimals point "${point.decimalsFrom}" is missing or out of range (${String(decimals)})` };
    }
    scaled = scaled / 10 ** decimals;
  }
  let unit = point.unit;
  if (point.unitFrom !== undefined) {
    const code = siblings(point.unitFrom.point);
    if (code === undefined) return { kind: 'error', message: `unit point "${point.unitFrom.point}" is missing` };
    unit = point.unitFrom.map[String(code)];
    // A number in an unknown unit cannot be compared with any threshold: 1.37 "code 7" is not 1.37 cm.
    if (unit === undefined) return { kind: 'fault', code: 'unknown_unit', raw: code, text: { zh: `未知单位代码 ${code}`, en: `unknown unit code ${code}` } };
  }
  if (!Number.isFinite(scaled)) return { kind: 'error', message: `not a finite number (${scaled})` };
  const result = tidy(scaled, point);
  const outside = rangeFault(point, result, unit);
  return outside ?? { kind: 'value', value: result, unit };
}

/** The out_of_range fault when the value lies outside the point's documented range. */
function rangeFault(point: ResolvedPoint, value: number, unit: string | undefined): PointResult | undefined {
  const range = point.range;
  if (range === undefined) return undefined;
  const rangeUnit = range.unit ?? unit;
  const inRangeUnit = unit === undefined || rangeUnit === undefined || unit === rangeUnit ? value : convert(value, unit, rangeUnit);
  if (inRangeUnit === undefined) return { kind: 'error', message: `range of "${point.id}" is in ${rangeUnit}, which ${unit} does not convert to` };
  if ((range.min === undefined || inRangeUnit >= range.min) && (range.max === undefined || inRangeUnit <= range.max)) return undefined;
  const limits = `${range.min ?? '−∞'}…${range.max ?? '∞'}${rangeUnit ? ` ${rangeUnit}` : ''}`;
  const shown = `${value}${unit ? ` ${unit}` : ''}`;
  return {
    kind: 'fault',
    code: 'out_of_range',
    raw: value,
    text: { zh: `读数 ${shown} 超出量程 ${limits}`, en: `reading ${shown} outside the range ${limits}` },
  };
}

/** Decodes every point a reading carries; points that others depend on (decimals, unit codes) go first. */
interface DecodePlan {
  readonly ordered: readonly ResolvedPoint[];
  /** Ids of the points whose values others read (decimals, unit codes); empty for most profiles. */
  readonly dependedOn: ReadonlySet<string>;
}

const decodePlans = new WeakMap<readonly ResolvedPoint[], DecodePlan>();

/** The points another point depends on (decimals, unit) first; worked out once per point list. */
function decodePlan(points: readonly ResolvedPoint[]): DecodePlan {
  let plan = decodePlans.get(points);
  if (!plan) {
    const dependedOn = new Set(points.flatMap((p) => [p.decimalsFrom, p.unitFrom?.point].filter((x): x is string => x !== undefined)));
    plan = { ordered: [...points.filter((p) => dependedOn.has(p.id)), ...points.filter((p) => !dependedOn.has(p.id))], dependedOn };
    decodePlans.set(points, plan);
  }
  return plan;
}

const NO_SIBLINGS: Siblings = () => undefined;

export function decodeAll(points: readonly ResolvedPoint[], values: ReadonlyMap<string, RawValue>): Map<string, PointResult> {
  const { ordered, dependedOn } = decodePlan(points);
  const results = new Map<string, PointResult>();
  // Sibling values are kept only where some point reads them: no second map per reading for most profiles.
  const numbers = dependedOn.size > 0 ? new Map<string, number>() : undefined;
  const siblings: Siblings = numbers === undefined ? NO_SIBLINGS : (pointId) => numbers.get(pointId);
  for (const point of ordered) {
    const raw = values.get(point.id);
    if (raw === undefined) continue;
    const result = decodePoint(point, raw, siblings);
    results.set(point.id, result);
    if (numbers !== undefined && result.kind === 'value' && typeof result.value === 'number' && dependedOn.has(point.id)) numbers.set(point.id, result.value);
  }
  return results;
}
