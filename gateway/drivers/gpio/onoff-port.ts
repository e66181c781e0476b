// GpioPort over onoff (sysfs /sys/class/gpio, epoll for edges, debounce via onoff's debounceTimeout).
// onoff is imported only when this port is created, so machines without GPIO (and without onoff's native
// epoll build) never load it. BCM numbers are translated to the kernel's global numbers through the
// main chip's base read from sysfs (chip-base.ts); onoff itself always uses /sys/class/gpio.
import type { Gpio as OnoffGpio } from 'onoff';
import { DEFAULT_GPIO_SYSFS_ROOT, findMainGpioChip, globalGpioNumber, type GpioChip } from './chip-base.js';
import type { GpioEdge, GpioInput, GpioLevel, GpioOutput, GpioPort } from './port.js';

type GpioClass = typeof OnoffGpio;

export interface OnoffPortOptions {
  /** Where gpiochipN/{base,label,ngpio} are read; tests point it at a fake tree. */
  readonly sysfsRoot?: string;
  /** Label of the header's chip when it is not a known Raspberry Pi label. */
  readonly chipLabel?: string;
}

export class OnoffGpioPort implements GpioPort {
  private constructor(
    private readonly Gpio: GpioClass,
    readonly chip: GpioChip,
  ) {}

  /** Loads onoff and finds the main chip; throws naming the sysfs root when there is no usable GPIO. */
  static async create(options: OnoffPortOptions = {}): Promise<OnoffGpioPort> {
    const chip = findMainGpioChip(options.sysfsRoot ?? DEFAULT_GPIO_SYSFS_ROOT, options.chipLabel);
    const onoff = await import('onoff');
    const Gpio = (onoff as { default?: { Gpio: GpioClass } }).default?.Gpio ?? onoff.Gpio;
    return new OnoffGpioPort(Gpio, chip);
  }

  async input(line: number, options: { edge: GpioEdge; debounceMs: number; onError?: (error: Error) => void }): Promise<GpioInput> {
    const number = globalGpioNumber(this.chip, line);
    const gpio = this.open(line, () => new this.Gpio(number, 'in', options.edge, { debounceTimeout: options.debounceMs }));
    return {
      read: () => gpio.read(),
      watch: (callback) => {
        const listener = (error: Error | null | undefined, value: GpioLevel) => {
          if (error) options.onError?.(error);
          else callback(value);
        };
        try {
          gpio.watch(listener);
        } catch (error) {
          throw new Error(`cannot watch edges on GPIO line ${line} (global ${number}): ${(error as Error).message}`, { cause: error });
        }
        return () => gpio.unwatch(listener);
      },
      close: async () => gpio.unexport(),
    };
  }

  async output(line: number, options: { initial: GpioLevel }): Promise<GpioOutput> {
    const number = globalGpioNumber(this.chip, line);
    // 'high'/'low' sets direction and level in one write, so a siren never chirps at start-up.
    const gpio = this.open(line, () => new this.Gpio(number, options.initial === 1 ? 'high' : 'low'));
    let last: GpioLevel = options.initial;
    return {
      write: async (level) => {
        await gpio.write(level);
        last = level;
      },
      level: () => last,
      close: async () => gpio.unexport(),
    };
  }

  private open(line: number, make: () => OnoffGpio): OnoffGpio {
    try {
      return make();
    } catch (error) {
      const number = this.chip.base + line;
      throw new Error(`cannot open GPIO line ${line} (global ${number} on ${this.chip.name} "${this.chip.label}"): ${(error as Error).message}`, { cause: error });
    }
  }
}
