// The workload both sides run, taken from config/examples/demo-compound.yaml: its Modbus sources (same
// unit ids, same profiles, so the same registers), every poll lowered to the bench's interval, and the
// garage water_alarm (level >= 30 cm, hysteresis 3) with no on-delay and no latch so it can be raised
// and cleared many times. lastmile gets a site config; Node-RED gets the same read plan (planReads).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadDemoConfig } from '../../scripts/demo/demo-compound.js';
import { resolveProfile } from '../../gateway/devices/resolve.js';
import { planReads } from '../../gateway/drivers/modbus/plan.js';
import { scenarioFor } from '../../gateway/sim/scenarios.js';
import type { SimulatedDevice } from '../../gateway/sim/modbus-simulator.js';
import type { PolledSource } from './node-red.js';

export const ALARM = { source: 'garage-level', point: 'level', rule: 'water_alarm', above: 30, hysteresis: 3, unit: 5 } as const;
const DEFAULT_LIMITS = { maxRegistersPerRead: 125, maxBitsPerRead: 2000, maxGap: 0 };

export interface Workload {
  readonly sources: readonly PolledSource[];
  readonly devices: readonly SimulatedDevice[];
  /** Measurements (non-internal points) one poll of every source yields. */
  readonly measurementsPerCycle: number;
  readonly requestsPerCycle: number;
  /** Writes the lastmile site config for this workload and returns its path. */
  writeLastmileConfig(dir: string, ports: { modbus: number; mqtt: number }, pollMs: number): string;
}

export function demoWorkload(modbusPort: number): Workload {
  const site = loadDemoConfig({ ports: { modbus: modbusPort } });
  const bus = site.config.buses.find((b) => b.type === 'tcp')!;
  const configs = site.config.sources.filter((s) => s.bus === bus.id);
  const sources: PolledSource[] = configs.map((s) => {
    const profile = site.profiles.get(s.profile)!;
    const resolved = resolveProfile(profile);
    return { id: s.id, unit: s.unit!, points: resolved.points, requests: planReads(resolved.points, profile.modbus ?? DEFAULT_LIMITS) };
  });
  const devices: SimulatedDevice[] = configs.map((s, index) => ({ unit: s.unit!, resolved: resolveProfile(site.profiles.get(s.profile)!), scenario: scenarioFor(s.profile, index + 1) }));
  return {
    sources,
    devices,
    measurementsPerCycle: sources.reduce((n, s) => n + s.points.filter((p) => !p.internal && s.requests.some((r) => r.points.includes(p.id))).length, 0),
    requestsPerCycle: sources.reduce((n, s) => n + s.requests.length, 0),
    writeLastmileConfig(dir, ports, pollMs) {
      const config = {
        version: 1,
        gateway: site.config.gateway,
        buses: [{ id: bus.id, type: 'tcp', host: '127.0.0.1', port: ports.modbus, timeout: '500ms' }],
        sources: configs.map((s) => ({
          id: s.id,
          profile: s.profile,
          bus: s.bus,
          unit: s.unit,
          poll: `${pollMs}ms`,
          tags: s.tags,
          ...(s.id === ALARM.source ? { rules: { [ALARM.rule]: { for: '0s', latch: false } } } : {}),
        })),
        localBroker: { external: { url: `mqtt://127.0.0.1:${ports.mqtt}` } },
        actuators: [{ id: 'lobby-notice', type: 'mqtt-notice' }],
        uplink: { url: `mqtt://127.0.0.1:${ports.mqtt}`, batchMaxAge: '1s', statusEvery: '60s' },
        spool: { dir: join(dir, 'spool'), maxBytes: '64MB', syncEvery: '200ms' },
      };
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'site.yaml');
      writeFileSync(file, stringify(config));
      return file;
    },
  };
}
