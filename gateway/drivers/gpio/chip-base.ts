// BCM line number → the kernel's global GPIO number, looked up in sysfs, never hard-coded.
// Raspberry Pi kernels from 6.6 number the main chip from 512 (Pi 4: pinctrl-bcm2711 at 512) or higher
// (Pi 5: the header is on the RP1 southbridge, pinctrl-rp1, also above 512), where older kernels used 0.
// Each /sys/class/gpio/gpiochipN/ holds `base`, `label` and `ngpio`; the main chip is found by its label.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_GPIO_SYSFS_ROOT = '/sys/class/gpio';

/** Labels of the chip that carries the 40-pin header, in order of preference (Pi 5 also has a pinctrl-bcm2712 chip that is not the header). */
export const MAIN_CHIP_LABELS = ['pinctrl-rp1', 'pinctrl-bcm2711', 'pinctrl-bcm2835'] as const;

export interface GpioChip {
  readonly name: string;
  readonly label: string;
  readonly base: number;
  readonly ngpio: number;
}

function readChipFile(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8').trim();
}

/** Every gpiochip under the sysfs root; throws naming the root when it cannot be read. */
export function listGpioChips(sysfsRoot = DEFAULT_GPIO_SYSFS_ROOT): GpioChip[] {
  let entries: string[];
  try {
    entries = readdirSync(sysfsRoot).filter((name) => /^gpiochip\d+$/.test(name));
  } catch (error) {
    throw new Error(`cannot list GPIO chips in ${sysfsRoot}: ${(error as Error).message} (no GPIO sysfs on this machine?)`, { cause: error });
  }
  return entries.map((name) => {
    const dir = join(sysfsRoot, name);
    const base = Number(readChipFile(dir, 'base'));
    const ngpio = Number(readChipFile(dir, 'ngpio'));
    if (!Number.isInteger(base) || !Number.isInteger(ngpio)) throw new Error(`${dir}: base or ngpio is not an integer`);
    return { name, label: readChipFile(dir, 'label'), base, ngpio };
  });
}

/** The chip of the 40-pin header: the one labelled `chipLabel` when given, else the first known Raspberry Pi label. */
export function findMainGpioChip(sysfsRoot = DEFAULT_GPIO_SYSFS_ROOT, chipLabel?: string): GpioChip {
  const chips = listGpioChips(sysfsRoot);
  const wanted = chipLabel === undefined ? MAIN_CHIP_LABELS : [chipLabel];
  for (const label of wanted) {
    const chip = chips.find((c) => c.label === label);
    if (chip) return chip;
  }
  const found = chips.map((c) => `${c.name} "${c.label}" base ${c.base}`).join(', ') || 'none';
  throw new Error(`no GPIO chip labelled ${wanted.map((l) => `"${l}"`).join(' or ')} in ${sysfsRoot} (found: ${found}); set drivers.gpio.chipLabel in the site config for this board`);
}

/** Global sysfs number of a BCM line on the chip; throws when the chip has no such line. */
export function globalGpioNumber(chip: GpioChip, bcmLine: number): number {
  if (!Number.isInteger(bcmLine) || bcmLine < 0 || bcmLine >= chip.ngpio) {
    throw new Error(`GPIO line ${bcmLine} does not exist on ${chip.name} "${chip.label}" (lines 0–${chip.ngpio - 1})`);
  }
  return chip.base + bcmLine;
}
