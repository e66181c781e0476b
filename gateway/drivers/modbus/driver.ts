// The Modbus driver (RTU through modbus-serial, TCP through ./tcp-client.ts): one BusPoller per bus.
import type { Driver, DriverContext, DriverFactory, ResolvedSource } from '../driver.js';
import { BusPoller } from './bus-poller.js';
import { ModbusTransport, type ModbusBus } from './transport.js';

export class ModbusDriver implements Driver {
  readonly pollers = new Map<string, BusPoller>();

  constructor(private readonly context: DriverContext) {}

  /** Nothing to check: the bus and unit of each source were checked at load (./plugin.ts). */
  init(): void {}

  async start(): Promise<void> {
    const byBus = new Map<string, { bus: ModbusBus; sources: ResolvedSource[] }>();
    for (const source of this.context.sources) {
      const bus = source.bus as ModbusBus;
      const entry = byBus.get(bus.id) ?? { bus, sources: [] };
      entry.sources.push(source);
      byBus.set(bus.id, entry);
    }
    for (const [busId, { bus, sources }] of byBus) {
      const { log, stats } = this.context;
      const transport = new ModbusTransport(bus, (error) => {
        // Port errors arrive outside any transaction (cable pulled, socket reset); the next read reconnects.
        stats.inc('modbus.port_error', { bus: busId });
        log.warn({ bus: busId, error: error.message }, 'Modbus port error; reconnecting on the next read');
      });
      const poller = new BusPoller(this.context, transport, sources);
      this.pollers.set(busId, poller);
      poller.start();
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.pollers.values()].map((poller) => poller.stop()));
    this.pollers.clear();
  }
}

export const createModbusDriver: DriverFactory = (context) => new ModbusDriver(context);
