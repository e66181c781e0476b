// The Driver contract (issue 12), for every registered driver: init() accepts what the site loader
// accepted; start() returns without waiting for a device; a source that goes offline says why with a code
// from the error catalog; stop() releases everything (nothing is emitted after it) and a second stop() is
// harmless. The demo compound's drivers (modbus, dlt645, gpio, mqtt, gbt26875) run on its sources with none
// of its devices present; serial runs on a real socat pty pair with no node on the far end, and opcua on a
// real node-opcua server that goes away mid-run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../../config/load-site.js';
import { ERROR_CATALOG } from '../../../contract/errors.js';
import { Stats } from '../../../contract/stats.js';
import type { DriverName } from '../../../gateway/drivers/registry.js';
import { loadDriver, REGISTERED_DRIVERS } from '../../../gateway/drivers/registry.js';
import { MemoryGpioPort } from '../../../gateway/drivers/gpio/memory-port.js';
import type { ResolvedSource } from '../../../gateway/drivers/driver.js';
import { LocalBrokerStage } from '../../../gateway/local-broker/stage.js';
import type { RuntimeContext } from '../../../gateway/pipeline/stage.js';
import { loadDemoConfig } from '../../../scripts/demo/demo-compound.js';
import { freePort, tempDir } from '../../helpers/peers.js';
import { waitFor } from '../../helpers/wait.js';
import { testContext, throwingEventBus } from '../../helpers/runtime-context.js';
import { FLOAT_NODE, LEVEL_NODE, TestOpcuaServer } from './opcua/opcua-test-server.js';
import { startPtyPair, type PtyPair } from './serial/pty-pair.js';
import { SerialPort } from 'serialport';
import { NodeSimulator } from '../../../firmware-bridge/node-simulator.js';

const DEMO_DRIVERS: readonly DriverName[] = ['modbus', 'dlt645', 'gpio', 'mqtt', 'gbt26875'];
const PEER_DRIVERS: readonly DriverName[] = ['serial', 'opcua'];

interface Seen {
  readonly event: string;
  readonly source: string;
  readonly online?: boolean;
  readonly code?: string;
}

interface ContractRun {
  /** Waits for (or brings about) what must happen once started; undefined: nothing is due (a listener, a pushed driver). */
  readonly afterStart?: (seen: readonly Seen[]) => Promise<unknown>;
  /** Whether a source must have gone offline by the time afterStart resolves. */
  readonly mustGoOffline: boolean;
  /** After stop(): brings the peer back, so a connection or timer left running would show in the quiet window. */
  readonly afterStop?: () => Promise<void>;
}

const offline = (seen: readonly Seen[]) => seen.some((s) => s.event === 'status' && s.online === false);

/** One driver through its whole lifecycle on these sources; fails on any breach of the contract. */
async function checkContract(context: RuntimeContext, name: DriverName, run: ContractRun): Promise<void> {
  const sources: readonly ResolvedSource[] = context.sources.filter((s) => s.profile.driver === name);
  expect(sources.length, `the site has ${name} sources`).toBeGreaterThan(0);
  const ids = new Set(sources.map((s) => s.config.id));
  const seen: Seen[] = [];
  const offReading = context.events.on('reading', (r) => ids.has(r.source) && seen.push({ event: 'reading', source: r.source }));
  const offStatus = context.events.on('source.status', (s) => ids.has(s.source) && seen.push({ event: 'status', source: s.source, online: s.online, ...(s.lastError ? { code: s.lastError.code } : {}) }));
  try {
    const driver = (await loadDriver(name))({ ...context, sources });
    driver.init();
    await driver.start();
    await run.afterStart?.(seen);
    if (run.mustGoOffline) expect(offline(seen), JSON.stringify(seen.slice(-5))).toBe(true);
    for (const status of seen.filter((s) => s.event === 'status' && s.online === false)) {
      expect(status.code !== undefined && Object.hasOwn(ERROR_CATALOG, status.code), JSON.stringify(status)).toBe(true);
      expect(ERROR_CATALOG[status.code as keyof typeof ERROR_CATALOG].by).toBe('driver');
    }
    await driver.stop();
    const afterStop = seen.length;
    await run.afterStop?.();
    // Whatever timers or sockets it had are gone: over two poll periods of the fastest source, nothing more.
    // (An absence has no event to wait for; a loaded box can only make this window miss a leak, never fail a clean stop.)
    const quiet = Math.min(3000, 2 * Math.min(...sources.map((s) => s.config.poll)));
    await new Promise((resolve) => setTimeout(resolve, quiet));
    expect(seen.slice(afterStop)).toEqual([]);
    await driver.stop();
  } finally {
    offReading();
    offStatus();
  }
}

describe('driver contract', () => {
  it('covers every registered driver', () => {
    expect([...DEMO_DRIVERS, ...PEER_DRIVERS].sort()).toEqual([...REGISTERED_DRIVERS].sort());
  });
});

describe('driver contract, on the demo compound with no devices present', () => {
  const dir = tempDir('driver-contract');
  let context: RuntimeContext;
  let broker: LocalBrokerStage;

  beforeAll(async () => {
    // Every device port closed: nothing answers, nothing connects.
    const [modbus, meters, brokerPort, panel] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const site = loadDemoConfig({ dir: dir.path, ports: { modbus, meters, broker: brokerPort, panel } });
    const stats = new Stats();
    const events = throwingEventBus();
    context = testContext(site, { events, stats, gpioPort: () => new MemoryGpioPort() });
    // The MQTT driver gets its client from the local broker, as in the runtime.
    broker = new LocalBrokerStage(context);
    await broker.start();
  }, 30_000);

  afterAll(async () => {
    await broker?.stop();
    dir.remove();
  });

  for (const name of DEMO_DRIVERS) {
    it(`${name}: init, start without devices, offline with a catalog code, stop releases everything`, async () => {
      // Polled drivers find their devices silent (or their port closed) and say so; the listener
      // (gbt26875) and the pushed (mqtt) ones wait for devices that never come, which is not an error.
      const polled = name === 'modbus' || name === 'dlt645';
      await checkContract(context, name, {
        mustGoOffline: polled,
        afterStart: polled ? (seen) => waitFor(`a ${name} source offline`, () => offline(seen), 30_000, () => seen.slice(-5)) : undefined,
      });
    }, 60_000);
  }
});

describe('driver contract, against real peers', () => {
  const dir = tempDir('driver-contract-peers');
  const serialProfiles = fileURLToPath(new URL('./serial/profiles/', import.meta.url));
  const opcuaProfiles = fileURLToPath(new URL('./opcua/profiles/', import.meta.url));
  const previousXdg = process.env.XDG_CONFIG_HOME;
  let pty: PtyPair | undefined;
  let server: TestOpcuaServer | undefined;
  let node: { port: SerialPort; sim: NodeSimulator } | undefined;

  /** A site of one driver's sources, loaded as the gateway loads it (drivers.opcua and all). */
  function site(name: string, profilesDir: string, lines: readonly string[]): RuntimeContext {
    const file = join(dir.path, `${name}.yaml`);
    const text = ['version: 1', `gateway: { township: t1, compound: c1, id: gw1, profilesDir: ${JSON.stringify(profilesDir)} }`, ...lines].join('\n');
    writeFileSync(file, text);
    return testContext(parseSiteConfig(file, text, {}), { events: throwingEventBus() });
  }

  beforeAll(() => {
    // node-opcua falls back to $XDG_CONFIG_HOME for anything not given a folder; keep it in the temp dir.
    process.env.XDG_CONFIG_HOME = join(dir.path, 'xdg');
    mkdirSync(process.env.XDG_CONFIG_HOME, { recursive: true });
  });

  afterAll(async () => {
    await server?.stop();
    node?.sim.stop();
    if (node?.port.isOpen) await new Promise<void>((resolve) => node!.port.close(() => resolve()));
    await pty?.stop();
    if (previousXdg === undefined) delete process.env.XDG_CONFIG_HOME;
    else process.env.XDG_CONFIG_HOME = previousXdg;
    dir.remove();
  });

  it('serial: init, start on a pty with no node, offline (no HELLO) with a catalog code, stop releases the port', async () => {
    pty = await startPtyPair('driver-contract-pty');
    const context = site('serial', serialProfiles, [
      'buses:',
      `  - { id: nodes, type: serial-node, port: ${JSON.stringify(pty.b)}, baud: 115200 }`,
      'sources:',
      '  - { id: smoke-3-1, profile: lastmile/smoke-node, bus: nodes, node: 7, poll: 1s, tags: { building: "3" } }',
    ]);
    // The profile's heartbeat is 1 s: a node that never says HELLO is silent after a few missed beats.
    await checkContract(context, 'serial', {
      mustGoOffline: true,
      afterStart: (seen) => waitFor('the serial source offline', () => offline(seen), 15_000, () => seen.slice(-5)),
      // The node turns up after stop(): a port left open would hear its HELLO and bring the source online.
      afterStop: async () => {
        const port = new SerialPort({ path: pty!.a, baudRate: 115200, autoOpen: false });
        await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
        node = { port, sim: new NodeSimulator(port, { nodeId: 7, heartbeatMs: 200, ackTimeoutMs: 100, maxRetries: 3, helloRetryMs: 100 }) };
        node.sim.start();
      },
    });
  }, 60_000);

  it('opcua: init, start, readings from the server, offline with a catalog code when it goes away, stop releases the session', async () => {
    server = new TestOpcuaServer(await freePort(), join(dir.path, 'server-pki'));
    await server.start(150);
    const context = site('opcua', opcuaProfiles, [
      'sources:',
      '  - id: pump-1',
      '    profile: testvendor/pump-station',
      '    poll: 10s',
      `    opcua: { endpoint: ${JSON.stringify(server.endpoint)}, publishingInterval: 100ms, nodes: { level: ${JSON.stringify(LEVEL_NODE)}, high_float: ${JSON.stringify(FLOAT_NODE)} } }`,
      '    tags: { building: "3" }',
      `drivers: { opcua: { securityMode: None, securityPolicy: None, pkiDir: ${JSON.stringify(join(dir.path, 'client-pki'))}, maxRetryDelay: 1s } }`,
    ]);
    await checkContract(context, 'opcua', {
      mustGoOffline: true,
      afterStart: async (seen) => {
        await waitFor('a reading from the OPC UA server', () => seen.some((s) => s.event === 'reading'), 20_000, () => seen.slice(-5));
        await server!.stop();
        await waitFor('the OPC UA source offline', () => offline(seen), 20_000, () => seen.slice(-5));
      },
      // The server is back on the same port after stop(): a client left running would reconnect (retries
      // at most 1 s apart) and read again within the 3 s quiet window.
      afterStop: () => server!.start(160),
    });
  }, 60_000);
});
