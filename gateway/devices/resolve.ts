// Resolves a profile for one source: profile defaults ← variant ← site decode overrides, per point.
// The result is what drivers read and the decoder decodes; nothing downstream looks at raw profile YAML.
import type { DataType, PointDef, PointRange, Profile, ReadFunction } from '../../config/profile.js';
import type { Source } from '../../config/sections/sources.js';
import type { DeviceClass, LocalText } from '../pipeline/types.js';

export interface ResolvedPoint {
  readonly id: string;
  readonly name: LocalText | undefined;
  readonly class: DeviceClass;
  readonly function: ReadFunction;
  readonly address: number;
  readonly type: DataType;
  readonly byteOrder: 'big' | 'little';
  readonly wordOrder: 'big' | 'little';
  readonly scale: number;
  readonly offset: number;
  readonly unit: string | undefined;
  readonly bit: number | undefined;
  readonly bits: { offset: number; width: number } | undefined;
  readonly decimalsFrom: string | undefined;
  readonly unitFrom: { point: string; map: Record<string, string> } | undefined;
  readonly states: Readonly<Record<string, string>> | undefined;
  /** The documented range, or undefined where the reference gives none. */
  readonly range: Exclude<PointRange, { undocumented: string }> | undefined;
  /** The profile's sentinels plus any the site's decode override adds. */
  readonly faults: PointDef['faults'];
  readonly json: string | undefined;
  readonly line: string | undefined;
  readonly activeLow: boolean;
  readonly internal: boolean;
  /** 16-bit registers (function 3/4) or bits (function 1/2) this point occupies on the wire. */
  readonly width: number;
}

export interface ResolvedProfile {
  readonly profile: Profile;
  readonly variant: string | undefined;
  readonly points: readonly ResolvedPoint[];
}

type DecodeFields = Partial<Pick<PointDef, 'address' | 'function' | 'type' | 'byteOrder' | 'wordOrder' | 'scale' | 'offset' | 'unit' | 'range'>>;

/** Registers (or bits) a data type occupies. */
export function wireWidth(type: DataType, fn: ReadFunction): number {
  if (fn === 1 || fn === 2) return 1;
  return type === 'u32' || type === 'i32' || type === 'float32' ? 2 : 1;
}

export function resolveProfile(profile: Profile, variantName?: string, decode?: Source['decode']): ResolvedProfile {
  const variant = variantName === undefined ? undefined : profile.variants[variantName];
  if (variantName !== undefined && variant === undefined) {
    throw new Error(`profile ${profile.id} has no variant "${variantName}" (it has: ${Object.keys(profile.variants).join(', ') || 'none'})`);
  }
  const points = profile.points.map((point): ResolvedPoint => {
    const layers: DecodeFields[] = [
      profile.defaults,
      variant?.defaults ?? {},
      point,
      variant?.points[point.id] ?? {},
      decode?.defaults ?? {},
      decode?.points[point.id] ?? {},
    ];
    const pick = <K extends keyof DecodeFields>(key: K): DecodeFields[K] => {
      let value: DecodeFields[K] = undefined;
      for (const layer of layers) if (layer[key] !== undefined) value = layer[key];
      return value;
    };
    // Non-Modbus points (json, GPIO lines) never go on the wire as registers; 3 only sizes them.
    const fn = pick('function') ?? 3;
    const type = pick('type') ?? 'u16';
    const variantPoint = variant?.points[point.id];
    const range = pick('range');
    return {
      id: point.id,
      name: point.name,
      class: point.class ?? profile.class,
      function: fn,
      address: pick('address') ?? 0,
      type,
      byteOrder: pick('byteOrder') ?? 'big',
      wordOrder: pick('wordOrder') ?? 'big',
      scale: pick('scale') ?? 1,
      offset: pick('offset') ?? 0,
      unit: pick('unit'),
      bit: point.bit,
      bits: variantPoint?.bits ?? point.bits,
      decimalsFrom: point.decimalsFrom,
      unitFrom: variantPoint?.unitFrom ?? point.unitFrom,
      states: variantPoint?.states ?? point.states,
      range: range === undefined || 'undocumented' in range ? undefined : range,
      faults: [...point.faults, ...(decode?.defaults?.faults ?? []), ...(decode?.points[point.id]?.faults ?? [])],
      json: point.json,
      line: point.line,
      activeLow: variantPoint?.activeLow ?? point.activeLow ?? false,
      internal: point.internal,
      width: wireWidth(type, fn),
    };
  });
  return { profile, variant: variantName, points };
}
