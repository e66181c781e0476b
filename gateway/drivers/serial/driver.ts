// The serial-node driver: microcontroller sensor nodes speaking the firmware-bridge protocol
// (firmware-bridge/PROTOCOL.md) on serial-node buses. Streaming: nodes push, nothing is polled.
// One SerialNodeLine per bus; a source is one node id on that bus.
import type { Driver, DriverContext, DriverFactory, ResolvedSource } from '../driver.js';
import { openSerialPort, SerialNodeLine, type PortOpener, type SerialNodeBus } from './node-line.js';
import { serialLinkTiming, type SerialDriverOptionsInput } from './options.js';

export class SerialNodeDriver implements Driver {
  readonly lines = new Map<string, SerialNodeLine>();

  constructor(
    private readonly context: DriverContext,
    private readonly options: SerialDriverOptionsInput = {},
    private readonly openPort: PortOpener = openSerialPort,
  ) {}

  /** Checks the link timing; each source's bus, node id and json paths were checked at load (./plugin.ts). */
  init(): void {
    serialLinkTiming(this.options);
  }

  async start(): Promise<void> {
    const timing = serialLinkTiming(this.options);
    const byBus = new Map<string, { bus: SerialNodeBus; sources: ResolvedSource[] }>();
    for (const source of this.context.sources) {
      const bus = source.bus as SerialNodeBus;
      const entry = byBus.get(bus.id) ?? { bus, sources: [] };
      entry.sources.push(source);
      byBus.set(bus.id, entry);
    }
    for (const [busId, { bus, sources }] of byBus) {
      const line = new SerialNodeLine(this.context, bus, sources, timing, this.openPort);
      this.lines.set(busId, line);
      line.start();
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.lines.values()].map((line) => line.stop()));
    this.lines.clear();
  }
}

export const createSerialDriver: DriverFactory = (context) => new SerialNodeDriver(context);

/** The driver with other link timing (tests, the demo): same behaviour, shorter waits. */
export function serialDriverWith(options: SerialDriverOptionsInput, openPort: PortOpener = openSerialPort): DriverFactory {
  return (context) => new SerialNodeDriver(context, options, openPort);
}
