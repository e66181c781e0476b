// Believable household-meter behaviour for the DL/T 645 meter simulator: a daily-looking load, energy that
// only grows, tariff registers that add up to the total. Values are in the units the profiles decode to.
import type { MeasurementValue } from '../pipeline/types.js';
import type { Scenario } from './modbus-simulator.js';

const wave = (t: number, period: number, phase: number) => Math.sin((2 * Math.PI * t) / period + phase);
const round = (v: number, digits: number) => Number(v.toFixed(digits));

/** One flat's meter: ~220 V, a few amps, kWh growing with the load. `seed` varies each flat. */
function household(seed: number): Scenario {
  return (t) => {
    const voltage = round(221 + 3 * wave(t, 97, seed), 1);
    const current = round(Math.max(0.15, 3 + 2.5 * wave(t, 61, seed * 2)), 3);
    const pf = 0.96;
    const power = round((voltage * current * pf) / 1000, 4);
    const total = round(2000 + seed * 137 + t * 0.0008, 2);
    const tariffs = [0.1, 0.35, 0.3, 0.25].map((share) => round(total * share, 2));
    return {
      combined_energy: total,
      import_energy: total,
      import_energy_t1: tariffs[0]!,
      import_energy_t2: tariffs[1]!,
      import_energy_t3: tariffs[2]!,
      import_energy_t4: tariffs[3]!,
      export_energy: 0,
      voltage,
      current,
      active_power: power,
      power_factor: pf,
      frequency: round(50 + 0.02 * wave(t, 13, seed), 2),
      run_status_1: 0,
    };
  };
}

/** A stairwell's three-phase meter: three household curves a little apart. */
function stairwell(seed: number): Scenario {
  const phases = [1, 2, 3].map((phase) => household(seed * 3 + phase));
  return (t) => {
    const values: Record<string, MeasurementValue> = {};
    let total = 0;
    phases.forEach((phase, i) => {
      const v = phase(t);
      const name = 'abc'[i]!;
      values[`voltage_${name}`] = v.voltage!;
      values[`current_${name}`] = round(Number(v.current) * 4, 3);
      values[`active_power_${name}`] = round(Number(v.active_power) * 4, 4);
      total += Number(values[`active_power_${name}`]);
    });
    const energy = round(30000 + seed * 1000 + t * 0.01, 2);
    return { ...values, active_power: round(total, 4), combined_energy: energy, import_energy: energy, export_energy: 0, power_factor: 0.95, frequency: 50, run_status_1: 0, run_status_2: 0, run_status_3: 0 };
  };
}

export const DLT645_SCENARIOS: Readonly<Record<string, (seed: number) => Scenario>> = {
  'generic/dlt645-single-phase': household,
  'generic/dlt645-three-phase': stairwell,
};

export function meterScenarioFor(profileId: string, seed: number): Scenario {
  const factory = DLT645_SCENARIOS[profileId];
  return factory ? factory(seed) : () => ({});
}
