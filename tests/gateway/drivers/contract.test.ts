// The Driver contract (issue 12), for every driver the demo compound uses (modbus, dlt645, gpio, mqtt,
// gbt26875), with its demo sources and none of its devices present: init() accepts what the site loader
// accepted; start() returns without waiting for a device; a source that goes offline says why with a code
// from the error catalog; stop() releases everything (nothing is emitted after it) and a second stop() is
// harmless. serial and opcua have their own tests against real peers (a socat pty, a node-opcua server).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOG } from '../../../contract/errors.js';
import { Stats } from '../../../contract/stats.js';
import type { DriverName } from '../../../gateway/drivers/registry.js';
import { loadDriver } from '../../../gateway/drivers/registry.js';
import { MemoryGpioPort } from '../../../gateway/drivers/gpio/memory-port.js';
import { LocalBrokerStage } from '../../../gateway/local-broker/stage.js';
import type { RuntimeContext } from '../../../gateway/pipeline/stage.js';
import { loadDemoConfig } from '../../../scripts/demo/demo-compound.js';
import { freePort, tempDir } from '../../helpers/peers.js';
import { waitFor } from '../../helpers/wait.js';
import { testContext, throwingEventBus } from '../../helpers/runtime-context.js';

const DRIVERS: readonly DriverName[] = ['modbus', 'dlt645', 'gpio', 'mqtt', 'gbt26875'];

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

  for (const name of DRIVERS) {
    it(`${name}: init, start without devices, offline with a catalog code, stop releases everything`, async () => {
      const sources = context.sources.filter((s) => s.profile.driver === name);
      expect(sources.length, `the demo has ${name} sources`).toBeGreaterThan(0);
      const ids = new Set(sources.map((s) => s.config.id));
      const seen: { event: string; source: string; online?: boolean; code?: string }[] = [];
      const offReading = context.events.on('reading', (r) => ids.has(r.source) && seen.push({ event: 'reading', source: r.source }));
      const offStatus = context.events.on('source.status', (s) => ids.has(s.source) && seen.push({ event: 'status', source: s.source, online: s.online, ...(s.lastError ? { code: s.lastError.code } : {}) }));
      try {
        const driver = (await loadDriver(name))({ ...context, sources });
        driver.init();
        await driver.start();
        // Polled drivers find their devices silent (or their port closed) and say so; the listener
        // (gbt26875) and the pushed (mqtt) ones wait for devices that never come, which is not an error.
        if (name === 'modbus' || name === 'dlt645') {
          await waitFor(`a ${name} source offline`, () => seen.some((s) => s.event === 'status' && s.online === false), 30_000, () => seen.slice(-5));
        }
        for (const status of seen.filter((s) => s.event === 'status' && s.online === false)) {
          expect(status.code !== undefined && Object.hasOwn(ERROR_CATALOG, status.code), JSON.stringify(status)).toBe(true);
          expect(ERROR_CATALOG[status.code as keyof typeof ERROR_CATALOG].by).toBe('driver');
        }
        await driver.stop();
        const afterStop = seen.length;
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
    }, 60_000);
  }
});
