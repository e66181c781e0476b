// The Modbus driver as config sees it: `unit` on the source, the bus and unit checks, the point checks.
import { z } from 'zod';
import { duration } from '../../../config/sections/common.js';
import { wireWidth } from '../../devices/resolve.js';
import { checkBus, claimAddress, type DriverPlugin } from '../plugin.js';
import { modbusDriverOptions } from './options.js';

const sourceFields = {
  unit: z.number().int().min(1).max(247).optional().describe('Modbus unit (slave) id'),
};

const profileFields = {
  modbus: z
    .strictObject({
      maxRegistersPerRead: z.number().int().min(1).max(125).default(125),
      maxBitsPerRead: z.number().int().min(1).max(2000).default(2000),
      maxGap: z
        .number()
        .int()
        .min(0)
        .max(124)
        .default(0)
        .describe('Unused registers a coalesced read may span between points; 0 for devices that reject unmapped addresses'),
      defaultUnitId: z.number().int().min(1).max(247).default(1),
      responseTimeout: duration.optional().describe('Slowest answer seen for this model'),
    })
    .optional(),
};

export const modbusPlugin: DriverPlugin<'modbus', typeof sourceFields, Record<never, never>, typeof profileFields> = {
  name: 'modbus',
  summary: 'Modbus RTU and TCP devices on a bus (meters, detectors, pump controllers)',
  sourceFields,
  profileFields,
  options: modbusDriverOptions,
  checkSource(check) {
    const bus = checkBus(check, ['rtu', 'tcp'], 'modbus');
    if (bus === undefined) return;
    if (check.source.unit === undefined) {
      check.report(check.at(), 'a modbus source needs "unit"');
      return;
    }
    claimAddress(check, bus, 'unit', check.source.unit, `${bus.id}#${check.source.unit}`);
  },
  checkPoint({ yaml, profile, index }) {
    const point = profile.points[index]!;
    const at = (key: string) => ['points', index, key];
    const type = point.type ?? profile.defaults.type ?? 'u16';
    const fn = point.function ?? profile.defaults.function;
    const issues = [];
    if (point.address === undefined) issues.push(yaml.issue(['points', index], 'a Modbus point needs a wire "address"'));
    if (fn === undefined) issues.push(yaml.issue(['points', index], 'a Modbus point needs a "function" (1, 2, 3 or 4) here or in defaults'));
    if ((fn === 1 || fn === 2) && type !== 'bit') issues.push(yaml.issue(at('type'), `function ${fn} reads single bits; use type "bit"`));
    const width = fn === undefined ? 1 : wireWidth(type, fn);
    const limit = fn === 1 || fn === 2 ? (profile.modbus?.maxBitsPerRead ?? 2000) : (profile.modbus?.maxRegistersPerRead ?? 125);
    if (point.address !== undefined && point.address + width > 0x10000) issues.push(yaml.issue(at('address'), 'point runs past register 0xFFFF'));
    if (width > limit) issues.push(yaml.issue(at('type'), `needs ${width} registers but the device reads at most ${limit}`));
    return issues;
  },
  load: async () => (await import('./driver.js')).createModbusDriver,
};
