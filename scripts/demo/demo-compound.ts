// The demo compound: simulated devices for every source of config/examples/demo-compound.yaml (Modbus
// meters and sensors, a GPIO fire door, an access controller on the local broker, a fire panel's GB/T 26875.3
// transmission device), the gateway reading
// them, and a storyline that raises and clears alarms. Nothing needs installing: all on 127.0.0.1.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { parseSiteConfig, type LoadedSite } from '../../config/load-site.js';
import { MemoryGpioPort } from '../../gateway/drivers/gpio/memory-port.js';
import { GatewayRuntime } from '../../gateway/runtime.js';
import type { Logger } from '../../contract/logger.js';
import { hashPassword } from '../../contract/password-hash.js';
import { AccessControllerSimulator } from '../../gateway/sim/access-controller.js';
import { Gbt26875DeviceSimulator } from '../../gateway/sim/gbt26875-device.js';
import type { Dlt645MeterSimulator } from '../../gateway/sim/dlt645-meter.js';
import { ModbusSimulator, type SimulatedDevice } from '../../gateway/sim/modbus-simulator.js';
import { scenarioFor } from '../../gateway/sim/scenarios.js';
import { DEMO_LINES, playStory } from './storyline.js';
import { setDemoMeterPort, startDemoMeters } from './dlt645-meters.js';
import { startDemoTownship, type DemoTownship } from './township.js';

export const DEMO_CONFIG = fileURLToPath(new URL('../../config/examples/demo-compound.yaml', import.meta.url));
/** Where the demo keeps its spool and password hashes unless told otherwise (the config's paths). */
export const DEMO_DIR = '/tmp/lastmile-demo';
const BUTTON_LINE = 5;
const TOWNSHIP_CONSOLE_PORT = 18081;
const VICTORIA_PORT = 18428;
/** The demo config's fire panel source (GB/T 26875.3 transmission device). */
export const DEMO_PANEL_SOURCE = 'b2-fire-panel';

export interface DemoOptions {
  readonly log: Logger;
  /** Working folder for spool and password hashes; default /tmp/lastmile-demo. Tests pass a temp dir. */
  readonly dir?: string;
  /** Ports for the simulated Modbus bus, the local broker, the consoles and the township; default the config's. */
  readonly ports?: {
    readonly modbus?: number;
    /** The simulated serial server in front of building 1's DL/T 645 household meters. */
    readonly meters?: number;
    readonly broker?: number;
    readonly console?: number;
    readonly townshipBroker?: number;
    readonly townshipConsole?: number;
    readonly victoria?: number;
    /** The fire panel transmission device's listener (GB/T 26875.3). */
    readonly panel?: number;
  };
  /** Play the alarm storyline (default true); tests drive the simulators themselves. */
  readonly story?: boolean;
  readonly say?: (text: string) => void;
}

export interface DemoCompound {
  readonly site: LoadedSite;
  readonly runtime: GatewayRuntime;
  readonly modbus: ModbusSimulator;
  /** Building 1's household meters (DL/T 645-2007) on their own bus. */
  readonly meters: Dlt645MeterSimulator;
  readonly gpio: MemoryGpioPort;
  readonly gate: AccessControllerSimulator;
  /** Building 2's fire panel transmission device (a TCP client of the gateway's listener). */
  readonly panel: Gbt26875DeviceSimulator;
  /** Random passwords made for this run (printed by `npm start`, never stored in clear). */
  readonly passwords: Readonly<Record<string, string>>;
  /** The township centre (cloud-ingest) the gateway's uplink delivers to. */
  readonly township: DemoTownship;
  stop(): Promise<void>;
}

/** The demo config with the caller's ports and folder written into the YAML itself, then validated as usual. */
export function loadDemoConfig(options: Pick<DemoOptions, 'dir' | 'ports'>): LoadedSite {
  const doc = parseDocument(readFileSync(DEMO_CONFIG, 'utf8'));
  const dir = options.dir ?? DEMO_DIR;
  const moveIntoDir = (path: (string | number)[]) => {
    const value = doc.getIn(path);
    if (typeof value === 'string') doc.setIn(path, value.replace(DEMO_DIR, dir));
  };
  moveIntoDir(['spool', 'dir']);
  moveIntoDir(['uplink', 'passwordFile']);
  moveIntoDir(['console', 'passwordFile']);
  (doc.getIn(['localBroker', 'users']) as { items: unknown[] } | undefined)?.items.forEach((_, i) => moveIntoDir(['localBroker', 'users', i, 'passwordFile']));
  if (options.ports?.modbus !== undefined) doc.setIn(['buses', 0, 'port'], options.ports.modbus);
  if (options.ports?.meters !== undefined) setDemoMeterPort(doc, options.ports.meters);
  if (options.ports?.broker !== undefined) doc.setIn(['localBroker', 'port'], options.ports.broker);
  if (options.ports?.console !== undefined) doc.setIn(['console', 'port'], options.ports.console);
  const panelIndex = (doc.get('sources') as { items: { get(key: string): unknown }[] }).items.findIndex((item) => item.get('id') === DEMO_PANEL_SOURCE);
  if (options.ports?.panel !== undefined) doc.setIn(['sources', panelIndex, 'gbt26875', 'listen', 'port'], options.ports.panel);
  if (options.ports?.townshipBroker !== undefined) doc.setIn(['uplink', 'url'], `mqtt://127.0.0.1:${options.ports.townshipBroker}`);
  return parseSiteConfig(DEMO_CONFIG, doc.toString());
}

/** A fresh random password for every credential the demo config names, hashed into its passwordFile. */
async function makeDemoCredentials(site: LoadedSite): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const user of site.config.localBroker?.users ?? []) files[user.username] = user.passwordFile;
  if (site.config.console?.passwordFile) files.console = site.config.console.passwordFile;
  const passwords: Record<string, string> = {};
  for (const [name, file] of Object.entries(files)) {
    passwords[name] = randomBytes(9).toString('base64url');
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${await hashPassword(passwords[name])}\n`, { mode: 0o600 });
  }
  return passwords;
}

export async function startDemoCompound(options: DemoOptions): Promise<DemoCompound> {
  const site = loadDemoConfig(options);
  const passwords = await makeDemoCredentials(site);
  const { gateway, uplink } = site.config;
  const township = await startDemoTownship({
    dir: options.dir ?? DEMO_DIR,
    log: options.log,
    gateway: { id: gateway.id, township: gateway.township, compound: gateway.compound },
    ports: {
      broker: Number(new URL(uplink!.url).port),
      console: options.ports?.townshipConsole ?? TOWNSHIP_CONSOLE_PORT,
      victoria: options.ports?.victoria ?? VICTORIA_PORT,
    },
    uplinkPasswordFile: uplink!.passwordFile!,
    ...(options.say ? { print: options.say } : {}),
  });

  // No GPIO here: the fire door contact, siren, strobe and button live on the in-memory port.
  const gpio = new MemoryGpioPort();
  gpio.setInput(DEMO_LINES.fireDoor, 0); // closed
  gpio.setInput(BUTTON_LINE, 1); // released (pulled up)
  const runtime = new GatewayRuntime(site, { log: options.log, gpioPort: () => gpio });
  const tcp = site.config.buses.find((b) => b.type === 'tcp');
  if (!tcp || tcp.type !== 'tcp') throw new Error('the demo config needs its simulated tcp bus');
  const devices: SimulatedDevice[] = runtime.context.sources
    .filter((s) => s.bus?.id === tcp.id)
    .map((s, index) => ({ unit: s.config.unit!, resolved: s.resolved, scenario: scenarioFor(s.profile.id, index + 1) }));
  const modbus = new ModbusSimulator(devices, { host: tcp.host, port: tcp.port });
  await modbus.start();
  const meters = await startDemoMeters(site, runtime.context.sources);
  await runtime.start();

  const broker = site.config.localBroker!;
  const gateSource = site.config.sources.find((s) => s.id === 'gate-access')!;
  const gate = new AccessControllerSimulator({
    url: `mqtt://${broker.host}:${broker.port}`,
    username: 'acs-gate',
    password: passwords['acs-gate']!,
    topic: gateSource.mqtt!.topic,
  });
  await gate.start();

  const panelConfig = site.config.sources.find((s) => s.id === DEMO_PANEL_SOURCE)!.gbt26875!;
  const panel = new Gbt26875DeviceSimulator({ ...panelConfig.listen, address: panelConfig.address!, centreAddress: panelConfig.centreAddress });
  panel.start();

  const stopStory = options.story === false ? () => undefined : playStory({ modbus, gpio, gate, panel, events: runtime.context.events, township: township.officer, say: options.say ?? (() => undefined) });
  return {
    site,
    runtime,
    modbus,
    meters,
    gpio,
    gate,
    panel,
    passwords,
    township,
    async stop() {
      stopStory();
      await gate.stop();
      await panel.stop();
      await runtime.stop();
      await modbus.stop();
      await meters.stop();
      await township.stop();
    },
  };
}
