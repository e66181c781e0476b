// Options of the GPIO driver that are not per source: which GpioPort, where sysfs is, the debounce time.
// They are the site config's `drivers.gpio` block (config/sections/drivers.ts builds it from the
// registry); sources name their lines (`gpio.lines`, BCM numbers). The one port is made by the runtime
// from this block (port-provider.ts) unless the runtime was given one (RuntimeOptions.gpioPort).
import { z } from 'zod';
import { absolutePath, duration } from '../../../config/sections/common.js';
import { DEFAULT_GPIO_SYSFS_ROOT } from './chip-base.js';

export const gpioDriverOptions = z
  .strictObject({
    port: z.enum(['onoff', 'memory']).default('onoff').describe('onoff drives real pins; memory is for the demo and tests'),
    sysfsRoot: absolutePath(DEFAULT_GPIO_SYSFS_ROOT).default(DEFAULT_GPIO_SYSFS_ROOT).describe('Where gpiochipN/{base,label,ngpio} are read to find the chip base'),
    chipLabel: z.string().min(1).optional().describe('Label of the header chip when it is not pinctrl-rp1, pinctrl-bcm2711 or pinctrl-bcm2835'),
    debounce: duration
      .refine((ms) => ms <= 5000, 'at most 5s')
      .prefault('50ms')
      .describe('A changed level must hold this long before it counts (relay dry contacts bounce for a few ms); at most 5s'),
  })
  .describe('The GPIO port shared by GPIO sources and GPIO actuators');
export type GpioDriverOptions = z.infer<typeof gpioDriverOptions>;
export type GpioDriverOptionsInput = z.input<typeof gpioDriverOptions>;

/** The environment variables the driver read before these options moved into the site config (issue 12). */
export const GPIO_RETIRED_ENVIRONMENT = {
  LASTMILE_GPIO_PORT: 'drivers.gpio.port',
  LASTMILE_GPIO_SYSFS_ROOT: 'drivers.gpio.sysfsRoot',
  LASTMILE_GPIO_CHIP_LABEL: 'drivers.gpio.chipLabel',
  LASTMILE_GPIO_DEBOUNCE_MS: 'drivers.gpio.debounce',
} as const;
