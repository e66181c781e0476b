// The GPIO driver as config sees it: `gpio: { lines }` on the source, `line`/`activeLow` on profile points,
// every named line mapped to a pin, each pin used once (by a source or an actuator), and the `drivers.gpio`
// block (./options.ts).
import { z } from 'zod';
import { id } from '../../../config/sections/common.js';
import type { DriverPlugin, WithSiteOptions } from '../plugin.js';
import { GPIO_RETIRED_ENVIRONMENT, gpioDriverOptions } from './options.js';

const sourceFields = {
  gpio: z.strictObject({ lines: z.record(id, z.number().int().min(0)).describe('Profile line name → GPIO line (BCM number)') }).optional(),
};

const pointFields = {
  line: id.optional().describe('For GPIO: the named input line the source maps to a pin'),
  activeLow: z.boolean().optional().describe('For GPIO: the contact reads 0 when active'),
};

export const gpioPlugin: DriverPlugin<'gpio', typeof sourceFields, typeof pointFields> & WithSiteOptions<typeof gpioDriverOptions> = {
  name: 'gpio',
  summary: 'dry contacts on the GPIO header (door contacts, float switches, fire-panel relay outputs)',
  sourceFields,
  pointFields,
  siteOptions: gpioDriverOptions,
  retiredEnvironment: GPIO_RETIRED_ENVIRONMENT,
  checkSource(check) {
    const { source, profile } = check;
    const needed = [...new Set(profile.points.map((p) => p.line).filter((l): l is string => l !== undefined))];
    for (const line of needed) {
      const pin = source.gpio?.lines[line];
      if (pin === undefined) {
        check.report(check.at(source.gpio ? 'gpio' : 'profile'), `profile ${profile.id} needs GPIO line "${line}" mapped under gpio.lines`);
        continue;
      }
      const owner = check.claim(gpioLine(pin), `source ${source.id}`);
      if (owner !== undefined) check.report(check.at('gpio', 'lines', line), `GPIO line ${pin} is already used by ${owner}`);
    }
  },
  checkPoint({ yaml, profile, index }) {
    return profile.points[index]!.line === undefined ? [yaml.issue(['points', index], 'a GPIO point needs a "line" name')] : [];
  },
  load: async () => (await import('./driver.js')).createGpioDriver,
};

/** The claim key of a GPIO line, shared with the GPIO actuators (one pin, one user). */
export function gpioLine(pin: number): string {
  return `gpio-line#${pin}`;
}
