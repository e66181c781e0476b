// The demo compound: simulated devices for every source of config/examples/demo-compound.yaml, and the
// gateway reading them. Nothing needs installing: devices are simulated on 127.0.0.1.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { parseSiteConfig, type LoadedSite } from '../../config/load-site.js';
import { GatewayRuntime } from '../runtime.js';
import type { Logger } from '../shared/logger.js';
import { ModbusSimulator, type SimulatedDevice } from '../sim/modbus-simulator.js';
import { scenarioFor } from '../sim/scenarios.js';

export const DEMO_CONFIG = fileURLToPath(new URL('../../config/examples/demo-compound.yaml', import.meta.url));

export interface DemoOptions {
  readonly log: Logger;
  /** Port for the simulated Modbus bus; defaults to the config's. Tests pass a free port. */
  readonly modbusPort?: number;
  /** Spool folder; defaults to the config's. */
  readonly spoolDir?: string;
}

export interface DemoCompound {
  readonly site: LoadedSite;
  readonly runtime: GatewayRuntime;
  readonly modbus: ModbusSimulator;
  stop(): Promise<void>;
}

/** Loads the demo config, with the ports and folders a caller needs changed in the YAML itself. */
export function loadDemoConfig(options: Pick<DemoOptions, 'modbusPort' | 'spoolDir'>): LoadedSite {
  const doc = parseDocument(readFileSync(DEMO_CONFIG, 'utf8'));
  if (options.modbusPort !== undefined) doc.setIn(['buses', 0, 'port'], options.modbusPort);
  if (options.spoolDir !== undefined) doc.setIn(['spool', 'dir'], options.spoolDir);
  return parseSiteConfig(DEMO_CONFIG, doc.toString());
}

export async function startDemoCompound(options: DemoOptions): Promise<DemoCompound> {
  const site = loadDemoConfig(options);
  const runtime = new GatewayRuntime(site, { log: options.log });
  const tcp = site.config.buses.find((b) => b.type === 'tcp');
  if (!tcp || tcp.type !== 'tcp') throw new Error('the demo config needs its simulated tcp bus');
  const devices: SimulatedDevice[] = runtime.context.sources
    .filter((s) => s.bus?.id === tcp.id)
    .map((s, index) => ({ unit: s.config.unit!, resolved: s.resolved, scenario: scenarioFor(s.profile.id, index + 1) }));
  const modbus = new ModbusSimulator(devices, { host: tcp.host, port: tcp.port });
  await modbus.start();
  await runtime.start();
  return {
    site,
    runtime,
    modbus,
    async stop() {
      await runtime.stop();
      await modbus.stop();
    },
  };
}
