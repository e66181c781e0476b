// The serial-node driver (firmware-bridge nodes) as config sees it: `node` on the source, the bus and node
// checks, and the json path every point needs.
import { z } from 'zod';
import { jsonPath } from '../../../config/profile-atoms.js';
import { checkBus, claimAddress, type DriverPlugin } from '../plugin.js';
import { serialDriverOptions } from './options.js';

const sourceFields = {
  node: z.number().int().min(1).max(254).optional().describe('firmware-bridge node id'),
};

const pointFields = { json: jsonPath };

export const serialPlugin: DriverPlugin<'serial', typeof sourceFields, typeof pointFields> = {
  name: 'serial',
  summary: 'firmware-bridge sensor nodes on a serial line (framed protocol, firmware-bridge/PROTOCOL.md)',
  sourceFields,
  pointFields,
  options: serialDriverOptions,
  checkSource(check) {
    const bus = checkBus(check, ['serial-node'], 'serial');
    if (bus === undefined) return;
    if (check.source.node === undefined) {
      check.report(check.at(), 'a serial source needs "node"');
      return;
    }
    claimAddress(check, bus, 'node', check.source.node, `${bus.id}#${check.source.node}`);
  },
  checkPoint({ yaml, profile, index }) {
    return profile.points[index]!.json === undefined ? [yaml.issue(['points', index], 'a serial-node point needs a "json" field path')] : [];
  },
  load: async () => (await import('./driver.js')).createSerialDriver,
};
