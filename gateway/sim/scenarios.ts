// Believable device behaviour for the demo compound and benchmarks: daily-looking load curves, slow
// drifts, small noise. Values are in the units the profiles decode to. A `seed` varies each device.
import type { MeasurementValue } from '../pipeline/types.js';
import type { Scenario } from './modbus-simulator.js';

const wave = (t: number, period: number, phase: number) => Math.sin((2 * Math.PI * t) / period + phase);
const round = (v: number, digits: number) => Number(v.toFixed(digits));

function singlePhaseMeter(seed: number): Scenario {
  return (t) => {
    const voltage = round(228 + 3 * wave(t, 97, seed), 1);
    const current = round(Math.max(0.2, 4 + 3 * wave(t, 61, seed * 2)), 2);
    const pf = 0.95;
    const power = round(voltage * current * pf, 1);
    return {
      voltage,
      current,
      active_power: power,
      apparent_power: round(voltage * current, 1),
      reactive_power: round(voltage * current * 0.31, 1),
      power_factor: pf,
      frequency: round(50 + 0.02 * wave(t, 13, seed), 2),
      import_energy: round(1200 + seed * 100 + t * 0.0012, 2),
      export_energy: 0,
      total_energy: round(1200 + seed * 100 + t * 0.0012, 2),
    };
  };
}

/** A building's three-phase incomer: the single-phase curve per phase, phases slightly apart. */
function threePhaseMeter(seed: number): Scenario {
  const phases = [1, 2, 3].map((phase) => singlePhaseMeter(seed * 3 + phase));
  return (t) => {
    const values: Record<string, MeasurementValue> = {};
    let total = 0;
    phases.forEach((phase, i) => {
      const v = phase(t);
      const power = round(Number(v.active_power) * 6, 1);
      values[`voltage_l${i + 1}`] = v.voltage!;
      values[`current_l${i + 1}`] = round(Number(v.current) * 6, 2);
      values[`active_power_l${i + 1}`] = power;
      total += power;
    });
    values.active_power = round(total, 1);
    values.frequency = 50;
    values.import_energy = round(56000 + seed * 1000 + t * 0.02, 2);
    values.total_energy = values.import_energy;
    values.power_demand = round(total, 1);
    values.power_demand_max = round(total * 1.4, 1);
    return values;
  };
}

/** DDSU666 reports power in kW. */
function chintMeter(seed: number): Scenario {
  const base = singlePhaseMeter(seed);
  return (t) => {
    const v = base(t);
    return { ...v, active_power: round(Number(v.active_power) / 1000, 3), reactive_power: round(Number(v.reactive_power) / 1000, 3) };
  };
}

function residualCurrent(seed: number): Scenario {
  return (t) => {
    const values: Record<string, MeasurementValue> = { meter_type: 'residual_current_monitor', trip_delay: 6 };
    for (let loop = 1; loop <= 12; loop++) {
      values[`loop${loop}_current`] = Math.round(40 + 25 * (1 + wave(t, 120 + loop * 7, seed + loop)));
      values[`loop${loop}_setpoint`] = 300;
    }
    return values;
  };
}

/** Water on a garage ramp: dry floor with a little sensor noise (cm, one decimal). */
function waterLevel(seed: number): Scenario {
  return (t) => ({ unit_code: 17, decimals: 1, level: round(Math.max(0, 0.6 + 0.4 * wave(t, 45, seed)), 1) });
}

function temperatureHumidity(seed: number): Scenario {
  return (t) => ({ temperature: round(24 + 2 * wave(t, 300, seed), 1), humidity: round(55 + 5 * wave(t, 200, seed), 1) });
}

function smokeDetector(): Scenario {
  return () => ({ detector_mounted: 'mounted', service_alarm: 'ok', smoke_alarm: 'normal', relay: 'released' });
}

/** Scenario per profile id; devices without one read all zeros. */
export const SCENARIOS: Readonly<Record<string, (seed: number) => Scenario>> = {
  'eastron/sdm120': singlePhaseMeter,
  'eastron/sdm630': threePhaseMeter,
  'chint/ddsu666': chintMeter,
  'acrel/aim-r100': residualCurrent,
  'generic/qdy30a': waterLevel,
  'generic/xy-md02': temperatureHumidity,
  'calectro/uniguard-ug3-mb': smokeDetector,
};

export function scenarioFor(profileId: string, seed: number): Scenario {
  const factory = SCENARIOS[profileId];
  return factory ? factory(seed) : () => ({});
}
