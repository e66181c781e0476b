// The DL/T 645-2007 driver as config sees it: `meter` on the source, `dlt645: { di, format }` on profile
// points (../../../config/sections/dlt645.ts), a dlt645 bus and one source per meter address.
import { dlt645Point, meterAddress } from '../../../config/sections/dlt645.js';
import { dlt645PointIssues } from '../../devices/dlt645-point.js';
import { checkBus, claimAddress, type DriverPlugin } from '../plugin.js';

const sourceFields = {
  meter: meterAddress.optional().describe('DL/T 645 meter address: the 12 digits on the nameplate (通信地址)'),
};

const pointFields = {
  dlt645: dlt645Point.optional().describe('For DL/T 645 meters: the data identifier and format'),
};

export const dlt645Plugin: DriverPlugin<'dlt645', typeof sourceFields, typeof pointFields> = {
  name: 'dlt645',
  summary: 'DL/T 645-2007 electricity meters on RS-485 (or behind a transparent serial server)',
  sourceFields,
  pointFields,
  checkSource(check) {
    const bus = checkBus(check, ['dlt645'], 'DL/T 645');
    if (bus === undefined) return;
    if (check.source.meter === undefined) {
      check.report(check.at(), 'a dlt645 source needs "meter": the 12-digit address on the nameplate');
      return;
    }
    claimAddress(check, bus, 'meter', check.source.meter, `${bus.id}#meter${check.source.meter}`);
  },
  checkPoint: ({ yaml, profile, index }) => dlt645PointIssues(yaml, profile, index),
  load: async () => (await import('./driver.js')).createDlt645Driver,
};
