// What a sane reading looks like, per unit, so the probe table can point at the right decoding.
// Deliberately wide: the point is to tell 230.1 V from 1.2e-38 or 4.6e+18, not to judge the grid.

const RANGES: Record<string, readonly [number, number]> = {
  V: [50, 500],
  A: [0, 2000],
  mA: [0, 5000],
  W: [-1e6, 1e6],
  kW: [-1e4, 1e4],
  VA: [0, 1e6],
  var: [-1e6, 1e6],
  Hz: [45, 65],
  kWh: [0, 1e9],
  kvarh: [0, 1e9],
  '°C': [-40, 150],
  '%RH': [0, 100],
  m: [-1, 200],
  kPa: [-100, 10_000],
  MPa: [-0.1, 100],
  '%': [0, 100],
};

/** The range a value with this unit can sensibly have, when the unit is one we know. */
export function unitRange(unit: string | undefined): readonly [number, number] | undefined {
  return unit === undefined ? undefined : RANGES[unit];
}

/**
 * True when the value could be a real reading: finite, and inside the unit's range when the unit is
 * known; for floats without a unit, of ordinary magnitude (garbage word orders give 1e-38 or 1e+20).
 */
export function isPlausible(value: number, options: { unit?: string | undefined; float: boolean; expect?: number | undefined }): boolean {
  if (!Number.isFinite(value)) return false;
  if (options.expect !== undefined) {
    const tolerance = Math.max(Math.abs(options.expect) * 0.1, 0.5);
    return Math.abs(value - options.expect) <= tolerance;
  }
  const range = unitRange(options.unit);
  if (range) return value >= range[0] && value <= range[1] && (!options.float || value === 0 || Math.abs(value) >= 1e-3);
  if (!options.float) return false;
  return value === 0 || (Math.abs(value) >= 1e-3 && Math.abs(value) <= 1e7);
}
