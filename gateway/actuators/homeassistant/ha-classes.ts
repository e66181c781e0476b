// What Home Assistant needs to know about a point to keep long-term statistics and put it on the Energy
// dashboard: its sensor device_class, state_class and unit in HA's own spelling (issue 20). Derived from
// the unit's dimension in the one units registry, so a new profile gets the right classes with no code.
// HA refuses a unit its device class does not list, so a unit HA has no spelling for (MPa, mH₂O, %/m)
// keeps its unit and loses the device class: the sensor still gets statistics, just no class icon.
import type { ResolvedPoint } from '../../devices/resolve.js';
import { convert, convertible, dimensionOf, type Dimension } from '../../shared/measure-units.js';

export interface HaSensorClass {
  readonly device_class?: string;
  readonly state_class?: 'measurement' | 'total_increasing';
  readonly unit_of_measurement?: string;
  /** For device_class enum: every state the point can take. */
  readonly options?: readonly string[];
}

/** Our unit → HA's spelling, where they differ. */
const HA_UNIT: Readonly<Record<string, string>> = { '%RH': '%' };

/** Per dimension: the HA device class and the units (HA's spelling) HA accepts for it. */
const HA_CLASS: Partial<Record<Dimension, { readonly deviceClass: string; readonly units: readonly string[] }>> = {
  length: { deviceClass: 'distance', units: ['mm', 'cm', 'm'] },
  pressure: { deviceClass: 'pressure', units: ['Pa', 'kPa', 'mbar', 'bar', 'psi'] },
  current: { deviceClass: 'current', units: ['mA', 'A'] },
  voltage: { deviceClass: 'voltage', units: ['mV', 'V', 'kV'] },
  active_power: { deviceClass: 'power', units: ['W', 'kW'] },
  apparent_power: { deviceClass: 'apparent_power', units: ['VA'] },
  reactive_power: { deviceClass: 'reactive_power', units: ['var'] },
  active_energy: { deviceClass: 'energy', units: ['Wh', 'kWh'] },
  temperature: { deviceClass: 'temperature', units: ['°C'] },
  humidity: { deviceClass: 'humidity', units: ['%'] },
  frequency: { deviceClass: 'frequency', units: ['Hz'] },
  time: { deviceClass: 'duration', units: ['ms', 's', 'min', 'h'] },
};

/** Meter readings only grow (a meter swap reads as a reset, which total_increasing expects). */
const TOTALS: ReadonlySet<Dimension> = new Set(['active_energy', 'reactive_energy']);

/**
 * A unit read from another register (a level transmitter set to m, cm, mm or kPa) can change, but HA
 * wants one unit per sensor: the first unit of the table's main dimension, if every other unit converts into it. The
 * actuator converts each value into it (haValue); undefined when the table's units do not convert.
 */
export function fixedUnitOf(unitFrom: ResolvedPoint['unitFrom']): string | undefined {
  const units = unitFrom ? [...new Set(Object.values(unitFrom.map))] : [];
  // The table's main dimension (a level in m/cm/mm over one in kPa), then its first unit.
  const count = (unit: string) => units.filter((other) => dimensionOf(other) === dimensionOf(unit)).length;
  const first = [...units].sort((a, b) => count(b) - count(a))[0];
  return first !== undefined && units.every((unit) => convertible(unit, first)) ? first : undefined;
}

/** A measured value in the unit HA was told (our unit, before HA's spelling), or undefined if it cannot be. */
export function haValue(value: unknown, unit: string | undefined, announced: string | undefined): string | undefined {
  if (announced === undefined || unit === announced) return String(value);
  if (typeof value !== 'number' || unit === undefined) return undefined;
  const converted = convert(value, unit, announced);
  return converted === undefined ? undefined : String(converted);
}

/** The HA sensor classes of one point. */
export function haSensorClass(point: Pick<ResolvedPoint, 'unit' | 'unitFrom' | 'states' | 'type'>): HaSensorClass {
  if (point.states) return { device_class: 'enum', options: [...new Set(Object.values(point.states))] };
  const ours = point.unit ?? fixedUnitOf(point.unitFrom);
  if (ours === undefined) return point.unitFrom ? { state_class: 'measurement' } : {};
  const unit = HA_UNIT[ours] ?? ours;
  const dimension = dimensionOf(ours);
  const stateClass = dimension !== undefined && TOTALS.has(dimension) ? 'total_increasing' : 'measurement';
  const haClass = dimension === undefined ? undefined : HA_CLASS[dimension];
  const deviceClass = haClass?.units.includes(unit) ? haClass.deviceClass : undefined;
  return { ...(deviceClass ? { device_class: deviceClass } : {}), state_class: stateClass, unit_of_measurement: unit };
}
