// The gbt26875 driver: fire-panel user information transmission devices (用户信息传输装置) speaking
// GB/T 26875.3-2011 connect over TCP to a listener on the gateway (README.md "Where it runs"). One
// DeviceLink per source; streaming, nothing is polled.
import type { Driver, DriverContext, DriverFactory } from '../driver.js';
import { DeviceLink, type DutyCheckState } from './device-link.js';
import { gbt26875Timing, type Gbt26875DriverOptionsInput } from './options.js';

export class Gbt26875Driver implements Driver {
  readonly links = new Map<string, DeviceLink>();

  constructor(
    private readonly context: DriverContext,
    private readonly options: Gbt26875DriverOptionsInput = {},
  ) {}

  /** Checks the link timing; each source's gbt26875 block and json paths were checked at load (./plugin.ts). */
  init(): void {
    gbt26875Timing(this.options);
  }

  async start(): Promise<void> {
    const timing = gbt26875Timing(this.options);
    for (const source of this.context.sources) {
      const link = new DeviceLink(this.context, source, timing);
      this.links.set(source.config.id, link);
    }
    await Promise.all([...this.links.values()].map((link) => link.start()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.links.values()].map((link) => link.stop()));
    this.links.clear();
  }

  /** A duty check (查岗) on one source now, e.g. from the installer console; resolves with its outcome. */
  dutyCheck(sourceId: string): Promise<DutyCheckState> {
    const link = this.links.get(sourceId);
    if (!link) return Promise.reject(new Error(`no GB/T 26875 source "${sourceId}"`));
    return link.dutyCheck();
  }
}

export const createGbt26875Driver: DriverFactory = (context) => new Gbt26875Driver(context);

/** The driver with other link timing (tests, the demo): same behaviour, shorter waits. */
export function gbt26875DriverWith(options: Gbt26875DriverOptionsInput): DriverFactory {
  return (context) => new Gbt26875Driver(context, options);
}
