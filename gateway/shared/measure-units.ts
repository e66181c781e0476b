// Units of measure: the one registry every profile point, range and rule threshold takes its units from.
// A unit has a dimension and a factor to that dimension's base unit, so values convert before they are
// compared (1.37 mH₂O = 137 cm). Durations and sizes in config files are a different thing: ./units.ts.

export type Dimension =
  | 'length'
  | 'pressure'
  | 'current'
  | 'voltage'
  | 'active_power'
  | 'apparent_power'
  | 'reactive_power'
  | 'active_energy'
  | 'reactive_energy'
  | 'temperature'
  | 'humidity'
  | 'frequency'
  | 'time'
  | 'ratio'
  | 'angle'
  | 'obscuration';

interface UnitDef {
  readonly dimension: Dimension;
  /** Multiply by this to get the dimension's base unit (m, Pa, A, V, W, VA, var, Wh, varh, °C, %RH, Hz, s, %, °). */
  readonly toBase: number;
}

const G = 9.80665; // standard gravity, m/s²
/** Pressure of one metre of water (1000 kg/m³ at standard gravity), in Pa. */
const PA_PER_METRE_OF_WATER = 1000 * G;

const UNITS: Readonly<Record<string, UnitDef>> = {
  mm: { dimension: 'length', toBase: 0.001 },
  cm: { dimension: 'length', toBase: 0.01 },
  m: { dimension: 'length', toBase: 1 },
  Pa: { dimension: 'pressure', toBase: 1 },
  kPa: { dimension: 'pressure', toBase: 1000 },
  MPa: { dimension: 'pressure', toBase: 1e6 },
  mbar: { dimension: 'pressure', toBase: 100 },
  bar: { dimension: 'pressure', toBase: 1e5 },
  'kg/cm²': { dimension: 'pressure', toBase: G * 1e4 },
  psi: { dimension: 'pressure', toBase: 6894.757293168 },
  'mH₂O': { dimension: 'pressure', toBase: PA_PER_METRE_OF_WATER },
  'mmH₂O': { dimension: 'pressure', toBase: PA_PER_METRE_OF_WATER / 1000 },
  mA: { dimension: 'current', toBase: 0.001 },
  A: { dimension: 'current', toBase: 1 },
  mV: { dimension: 'voltage', toBase: 0.001 },
  V: { dimension: 'voltage', toBase: 1 },
  kV: { dimension: 'voltage', toBase: 1000 },
  W: { dimension: 'active_power', toBase: 1 },
  kW: { dimension: 'active_power', toBase: 1000 },
  VA: { dimension: 'apparent_power', toBase: 1 },
  kVA: { dimension: 'apparent_power', toBase: 1000 },
  var: { dimension: 'reactive_power', toBase: 1 },
  kvar: { dimension: 'reactive_power', toBase: 1000 },
  Wh: { dimension: 'active_energy', toBase: 1 },
  kWh: { dimension: 'active_energy', toBase: 1000 },
  kvarh: { dimension: 'reactive_energy', toBase: 1000 },
  '°C': { dimension: 'temperature', toBase: 1 },
  '%RH': { dimension: 'humidity', toBase: 1 },
  Hz: { dimension: 'frequency', toBase: 1 },
  ms: { dimension: 'time', toBase: 0.001 },
  s: { dimension: 'time', toBase: 1 },
  min: { dimension: 'time', toBase: 60 },
  h: { dimension: 'time', toBase: 3600 },
  '%': { dimension: 'ratio', toBase: 1 },
  '°': { dimension: 'angle', toBase: 1 },
  // Smoke obscuration per metre of optical path (EN 54-7 detectors report it; fire at a few %/m).
  '%/m': { dimension: 'obscuration', toBase: 1 },
};

/**
 * What a real reading can sensibly be, in the dimension's base unit. Deliberately wide: the point is to
 * tell 230.1 V from 1.2e-38 or 4.6e+18 (a wrong word order), not to judge the grid.
 */
const PLAUSIBLE_BASE: Readonly<Record<Dimension, readonly [number, number]>> = {
  length: [-1, 200],
  pressure: [-1e5, 1e8],
  current: [0, 2000],
  voltage: [50, 500],
  active_power: [-1e6, 1e6],
  apparent_power: [0, 1e6],
  reactive_power: [-1e6, 1e6],
  active_energy: [0, 1e12],
  reactive_energy: [0, 1e12],
  temperature: [-40, 150],
  humidity: [0, 100],
  frequency: [45, 65],
  time: [0, 1e6],
  ratio: [0, 100],
  angle: [-360, 360],
  obscuration: [0, 100],
};

/** Every unit name the registry knows, for schema messages and docs. */
export const KNOWN_UNITS: readonly string[] = Object.keys(UNITS);

export function isKnownUnit(unit: string): boolean {
  return Object.hasOwn(UNITS, unit);
}

export function dimensionOf(unit: string): Dimension | undefined {
  return isKnownUnit(unit) ? UNITS[unit]!.dimension : undefined;
}

/**
 * Length and pressure convert into each other as a head of water: a submersible level transmitter measures
 * the pressure of the water above it, so 9.80665 kPa is 1 m of water (1000 kg/m³, standard gravity).
 */
function baseFactor(unit: string, target: Dimension): number | undefined {
  const def = UNITS[unit];
  if (def === undefined) return undefined;
  if (def.dimension === target) return def.toBase;
  if (def.dimension === 'pressure' && target === 'length') return def.toBase / PA_PER_METRE_OF_WATER;
  if (def.dimension === 'length' && target === 'pressure') return def.toBase * PA_PER_METRE_OF_WATER;
  return undefined;
}

export function convertible(from: string, to: string): boolean {
  const target = dimensionOf(to);
  return target !== undefined && baseFactor(from, target) !== undefined;
}

/** `value` in `from` expressed in `to`, or undefined when either unit is unknown or they do not convert. */
export function convert(value: number, from: string, to: string): number | undefined {
  if (from === to && isKnownUnit(from)) return value;
  const target = dimensionOf(to);
  if (target === undefined) return undefined;
  const factor = baseFactor(from, target);
  if (factor === undefined) return undefined;
  // 12 significant digits strip binary noise (1.37 × 100 = 137.00000000000003) without losing a reading's digits.
  return Number(((value * factor) / UNITS[to]!.toBase).toPrecision(12));
}

/** The plausible range of a reading in this unit, or undefined for a unit the registry does not know. */
export function plausibleRange(unit: string): readonly [number, number] | undefined {
  const def = UNITS[unit];
  if (def === undefined) return undefined;
  const [low, high] = PLAUSIBLE_BASE[def.dimension];
  return [low / def.toBase, high / def.toBase];
}
