// State-table keys that can never match (issue 20): a key the point's raw values can never take is a
// state that never shows, so the profile is refused with the key named. Only where the raw type is known
// from the profile: Modbus registers and bits (integers in the type's range, before scaling) and GPIO
// lines (0 or 1). JSON-carried and OPC UA values may be numbers, booleans or strings, so any key can match
// there (an OPC UA Boolean matches "true"/"false" or "0"/"1", gateway/drivers/opcua/values.ts).
import type { DataType, PointDef, Profile } from '../../config/profile.js';

const INTEGER_RANGE: Readonly<Record<DataType, readonly [number, number] | undefined>> = {
  u16: [0, 0xffff],
  i16: [-0x8000, 0x7fff],
  u32: [0, 0xffffffff],
  i32: [-0x80000000, 0x7fffffff],
  float32: undefined,
  bit: [0, 1],
  bitfield: undefined,
};

/** One message per key that this point's raw values can never equal. */
export function stateKeyProblems(profile: Pick<Profile, 'driver' | 'defaults'>, point: Pick<PointDef, 'states' | 'type' | 'bits' | 'json'>): string[] {
  if (!point.states || point.json !== undefined) return [];
  let range: readonly [number, number] | undefined;
  if (profile.driver === 'gpio') range = [0, 1];
  else if (profile.driver === 'modbus') {
    const type = point.type ?? profile.defaults.type ?? 'u16';
    if (type === 'float32') return ['a state table needs an integer type; float32 values are not codes'];
    range = type === 'bitfield' ? (point.bits ? [0, 2 ** point.bits.width - 1] : undefined) : INTEGER_RANGE[type];
  }
  if (range === undefined) return [];
  const [min, max] = range;
  return Object.keys(point.states)
    .filter((key) => !/^-?\d+$/.test(key) || Number(key) < min || Number(key) > max)
    .map((key) => `state key "${key}" can never match: the raw value is a whole number ${min}–${max}`);
}
