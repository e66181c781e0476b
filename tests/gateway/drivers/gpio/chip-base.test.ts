// Chip base lookup on fake sysfs trees: old kernels (base 0), kernels from 6.6 (base 512+), Pi 5 (RP1).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findMainGpioChip, globalGpioNumber, listGpioChips } from '../../../../gateway/drivers/gpio/chip-base.js';
import { tempDir } from '../../../helpers/peers.js';

const dir = tempDir('gpio-chips');
let trees = 0;

function fakeSysfs(chips: { base: number; label: string; ngpio: number }[]): string {
  const root = join(dir.path, `tree-${trees++}`);
  mkdirSync(root, { recursive: true });
  for (const chip of chips) {
    const chipDir = join(root, `gpiochip${chip.base}`);
    mkdirSync(chipDir);
    writeFileSync(join(chipDir, 'base'), `${chip.base}\n`);
    writeFileSync(join(chipDir, 'label'), `${chip.label}\n`);
    writeFileSync(join(chipDir, 'ngpio'), `${chip.ngpio}\n`);
  }
  writeFileSync(join(root, 'export'), '');
  return root;
}

describe('GPIO chip base lookup', () => {
  afterAll(() => dir.remove());

  it('uses base 0 on a Pi 3 with an older kernel', () => {
    const root = fakeSysfs([{ base: 0, label: 'pinctrl-bcm2835', ngpio: 54 }]);
    const chip = findMainGpioChip(root);
    expect(chip).toEqual({ name: 'gpiochip0', label: 'pinctrl-bcm2835', base: 0, ngpio: 54 });
    expect(globalGpioNumber(chip, 17)).toBe(17);
  });

  it('finds base 512 on a Pi 4 with kernel 6.6, next to the firmware expander chip', () => {
    const root = fakeSysfs([
      { base: 570, label: 'raspberrypi-exp-gpio', ngpio: 8 },
      { base: 512, label: 'pinctrl-bcm2711', ngpio: 58 },
    ]);
    expect(listGpioChips(root)).toHaveLength(2);
    expect(globalGpioNumber(findMainGpioChip(root), 17)).toBe(529);
  });

  it('picks the RP1 chip on a Pi 5, not the SoC pinctrl-bcm2712 chips', () => {
    const root = fakeSysfs([
      { base: 512, label: 'pinctrl-bcm2712', ngpio: 32 },
      { base: 544, label: 'pinctrl-bcm2712', ngpio: 4 },
      { base: 569, label: 'pinctrl-rp1', ngpio: 54 },
    ]);
    expect(globalGpioNumber(findMainGpioChip(root), 17)).toBe(586);
  });

  it('honours an explicit chip label for other boards', () => {
    const root = fakeSysfs([{ base: 0, label: 'pinctrl-bcm2835', ngpio: 54 }, { base: 352, label: 'gpio-board-x', ngpio: 32 }]);
    expect(findMainGpioChip(root, 'gpio-board-x').base).toBe(352);
  });

  it('says which chips it found when none is known, and refuses lines the chip does not have', () => {
    const root = fakeSysfs([{ base: 0, label: 'gpio-mockup-A', ngpio: 8 }]);
    expect(() => findMainGpioChip(root)).toThrow(/no GPIO chip labelled .*pinctrl-rp1.*found: gpiochip0 "gpio-mockup-A" base 0/);
    const chip = findMainGpioChip(fakeSysfs([{ base: 512, label: 'pinctrl-bcm2711', ngpio: 58 }]));
    expect(() => globalGpioNumber(chip, 58)).toThrow(/line 58 does not exist on gpiochip512 "pinctrl-bcm2711" \(lines 0–57\)/);
    expect(() => findMainGpioChip(join(dir.path, 'missing'))).toThrow(/cannot list GPIO chips in .*missing/);
  });
});
