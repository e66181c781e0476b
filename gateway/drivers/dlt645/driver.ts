// The DL/T 645-2007 driver: one poller per bus of meters (serial port or transparent serial server).
import type { Dlt645Bus } from '../../../config/sections/dlt645.js';
import type { Driver, DriverContext, DriverFactory, ResolvedSource } from '../driver.js';
import { DEFAULT_DLT645_DRIVER_OPTIONS, type Dlt645DriverOptions } from './options.js';
import { Dlt645Poller } from './poller.js';
import { Dlt645Transport } from './transport.js';

export class Dlt645Driver implements Driver {
  readonly pollers = new Map<string, Dlt645Poller>();

  constructor(
    private readonly context: DriverContext,
    private readonly options: Dlt645DriverOptions = DEFAULT_DLT645_DRIVER_OPTIONS,
  ) {}

  /** Nothing to check: the bus and meter address of each source were checked at load (./plugin.ts). */
  init(): void {}

  async start(): Promise<void> {
    const byBus = new Map<string, { bus: Dlt645Bus; sources: ResolvedSource[] }>();
    for (const source of this.context.sources) {
      const bus = source.bus as Dlt645Bus;
      const entry = byBus.get(bus.id) ?? { bus, sources: [] };
      entry.sources.push(source);
      byBus.set(bus.id, entry);
    }
    const { log, stats } = this.context;
    for (const [busId, { bus, sources }] of byBus) {
      const transport = new Dlt645Transport(bus, this.options.openLine, (error) => {
        // Line errors arrive outside any transaction (adapter unplugged, socket reset); the next read reopens.
        stats.inc('dlt645.port_error', { bus: busId });
        log.warn({ bus: busId, error: error.message }, 'DL/T 645 line error; reopening on the next read');
      });
      const poller = new Dlt645Poller(this.context, transport, bus, sources);
      this.pollers.set(busId, poller);
      poller.start();
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.pollers.values()].map((poller) => poller.stop()));
    this.pollers.clear();
  }
}

export const createDlt645Driver: DriverFactory = (context) => new Dlt645Driver(context);
