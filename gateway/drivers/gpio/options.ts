// Options of the GPIO driver that are not per source: which GpioPort, where sysfs is, the debounce time.
// The site config names lines per source (`gpio.lines`, BCM numbers) but has no GPIO section, so these come
// from the runtime (setGpioDriverOptions) or the environment.
import { z } from 'zod';
import { DEFAULT_GPIO_SYSFS_ROOT } from './chip-base.js';

export const gpioDriverOptions = z.strictObject({
  port: z.enum(['onoff', 'memory']).default('onoff').describe('onoff drives real pins; memory is for the demo and tests'),
  sysfsRoot: z.string().min(1).default(DEFAULT_GPIO_SYSFS_ROOT).describe('Where gpiochipN/{base,label,ngpio} are read to find the chip base'),
  chipLabel: z.string().min(1).optional().describe('Label of the header chip when it is not pinctrl-rp1, pinctrl-bcm2711 or pinctrl-bcm2835'),
  debounceMs: z
    .number()
    .int()
    .min(0)
    .max(5000)
    .default(50)
    .describe('A changed level must hold this long before it counts (relay dry contacts bounce for a few ms)'),
});
export type GpioDriverOptions = z.infer<typeof gpioDriverOptions>;
export type GpioDriverOptionsInput = z.input<typeof gpioDriverOptions>;

export const GPIO_ENVIRONMENT = {
  port: 'LASTMILE_GPIO_PORT',
  sysfsRoot: 'LASTMILE_GPIO_SYSFS_ROOT',
  chipLabel: 'LASTMILE_GPIO_CHIP_LABEL',
  debounceMs: 'LASTMILE_GPIO_DEBOUNCE_MS',
} as const;

export function gpioOptionsFromEnvironment(env: NodeJS.ProcessEnv = process.env): GpioDriverOptions {
  const input: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(GPIO_ENVIRONMENT)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    input[key] = key === 'debounceMs' ? Number(value) : value;
  }
  const parsed = gpioDriverOptions.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${GPIO_ENVIRONMENT[issue.path[0] as keyof typeof GPIO_ENVIRONMENT] ?? '(options)'}: ${issue.message}`).join('; ');
    throw new Error(`GPIO driver options from the environment are invalid: ${problems}`);
  }
  return parsed.data;
}

let injected: GpioDriverOptions | undefined;

/** Lets the runtime (or a test) set the options instead of the environment; undefined restores the environment. */
export function setGpioDriverOptions(options: GpioDriverOptionsInput | undefined): void {
  injected = options === undefined ? undefined : gpioDriverOptions.parse(options);
}

export function currentGpioDriverOptions(): GpioDriverOptions {
  return injected ?? gpioOptionsFromEnvironment();
}
