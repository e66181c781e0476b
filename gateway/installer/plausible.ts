// What a sane reading looks like, so probe can point at the right decoding and doctor can fail a wrong one.
// One judgement for both tools: the unit's plausible range from the units registry, narrowed by the
// point's documented range. Deliberately wide: the point is to tell 230.1 V from 1.2e-38 or -4.17e-8
// (a wrong word order), not to judge the grid.
import type { PointResult } from '../devices/decode.js';
import type { ResolvedPoint } from '../devices/resolve.js';
import { convert, plausibleRange } from '../shared/measure-units.js';

/** The range a value with this unit can sensibly have, when the registry knows the unit. */
export function unitRange(unit: string | undefined): readonly [number, number] | undefined {
  return unit === undefined ? undefined : plausibleRange(unit);
}

/**
 * True when the value could be a real reading: finite, and inside the unit's range when the unit is
 * known; for floats without a unit, of ordinary magnitude (garbage word orders give 1e-38 or 1e+20).
 * A float that is not 0 but smaller than 1e-3 of its unit is garbage too (-4.17e-8 V).
 */
export function isPlausible(value: number, options: { unit?: string | undefined; float: boolean; expect?: number | undefined }): boolean {
  if (!Number.isFinite(value)) return false;
  if (options.expect !== undefined) {
    const tolerance = Math.max(Math.abs(options.expect) * 0.1, 0.5);
    return Math.abs(value - options.expect) <= tolerance;
  }
  const tiny = options.float && value !== 0 && Math.abs(value) < 1e-3;
  const range = unitRange(options.unit);
  if (range) return value >= range[0] && value <= range[1] && !tiny;
  if (!options.float) return false;
  return value === 0 || (!tiny && Math.abs(value) <= 1e7);
}

/** Inside the point's documented range (converted to the range's unit), or true when it has none. */
function insideDocumentedRange(point: ResolvedPoint, value: number, unit: string | undefined): boolean {
  const range = point.range;
  if (range === undefined) return true;
  const inUnit = range.unit === undefined || unit === undefined ? value : convert(value, unit, range.unit);
  if (inUnit === undefined) return false;
  return (range.min === undefined || inUnit >= range.min) && (range.max === undefined || inUnit <= range.max);
}

export interface Judgement {
  readonly ok: boolean;
  /** What the installer reads, zh-CN and en. */
  readonly zh: string;
  readonly en: string;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && (Math.abs(value) >= 1e9 || Math.abs(value) < 1e-4)) return value.toExponential(3);
  return String(value);
}

/**
 * Probe's and doctor's verdict on one decoded point: a number must be plausible for its unit and inside
 * the documented range; a fault (sentinel, out_of_range, unknown unit) and a decode error are never ok.
 */
export function judgePoint(point: ResolvedPoint, result: PointResult, expect?: number): Judgement {
  switch (result.kind) {
    case 'error':
      return { ok: false, zh: `无法解码：${result.message}`, en: `cannot decode: ${result.message}` };
    case 'fault':
      return { ok: false, zh: `故障 ${result.code}：${result.text.zh}`, en: `fault ${result.code}: ${result.text.en}` };
    case 'value': {
      if (typeof result.value !== 'number') return { ok: true, zh: String(result.value), en: String(result.value) };
      const shown = `${formatNumber(result.value)}${result.unit ? ` ${result.unit}` : ''}`;
      const plausible = isPlausible(result.value, { unit: result.unit, float: point.type === 'float32', expect })
        && insideDocumentedRange(point, result.value, result.unit);
      // A point with neither unit nor range (a count, a code) cannot be judged; it is shown, not failed.
      const judged = result.unit !== undefined || point.range !== undefined || point.type === 'float32' || expect !== undefined;
      if (!judged || plausible) return { ok: true, zh: `${shown}${judged ? ' ★ 合理' : ''}`, en: `${shown}${judged ? ' ★ plausible' : ''}` };
      return { ok: false, zh: `${shown} ✗ 不合理（字序/字节序、地址或变体不对？）`, en: `${shown} ✗ implausible (word/byte order, address or variant wrong?)` };
    }
  }
}
