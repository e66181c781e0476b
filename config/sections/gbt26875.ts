// The `gbt26875:` block of a source: where the gateway listens for the compound's fire-panel transmission
// device (GB/T 26875.3-2011 over TCP), who it is, and where each panel component is (the installer's map).
import { z } from 'zod';
import { duration } from './common.js';

const address = z.string().regex(/^[0-9a-f]{12}$/, 'expected 12 lowercase hex digits (6 bytes, most significant first)');

/** `<system type>-<system address>-<area 区号>-<position 位号>`, as the gateway logs unmapped components. */
export const COMPONENT_KEY = /^\d{1,3}-\d{1,3}-\d{1,5}-\d{1,5}$/;

export const componentLocation = z.strictObject({
  building: z.string().min(1).optional().describe('Building (楼栋); default the source tag'),
  unit: z.string().min(1).optional().describe('Stairwell unit (单元)'),
  floor: z.string().min(1).optional().describe('Floor (楼层)'),
  room: z.string().min(1).optional().describe('Room or place, e.g. 楼梯间, 地下车库'),
  name: z.string().min(1).optional().describe("What it is, shown in alarms; default the panel's description"),
});
export type ComponentLocation = z.infer<typeof componentLocation>;

export const gbt26875Source = z.strictObject({
  listen: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1').describe('Address to bind; the LAN address (or 0.0.0.0) when the device is on the compound LAN'),
      port: z.number().int().min(1).max(65535).describe('TCP port the transmission device is set to connect to'),
    })
    .describe('The gateway listens; the transmission device connects (it is configured with this address as its centre)'),
  address: address.optional().describe('The device address; packets from another address are denied and counted. Omit to accept the first device heard'),
  centreAddress: address.default('000000000000').describe('The address the gateway answers as (the device is set to send to it)'),
  timeZone: z.string().min(1).default('Asia/Shanghai').describe('Zone of the time labels the gateway sends (devices keep local time)'),
  clockSyncEvery: duration.prefault('6h').describe('Sync the device clock (type 90) this often, and on connect; only while the gateway clock is synced'),
  dutyCheck: z
    .strictObject({
      every: duration.describe('Send a duty check (查岗, type 91) this often'),
      answerWithin: duration.prefault('10m').describe('No duty answer (type 24 bit 5) within this long is "unanswered"'),
    })
    .optional(),
  components: z
    .record(z.string().regex(COMPONENT_KEY, 'expected "<system type>-<system address>-<area>-<position>", e.g. 1-1-10-2'), componentLocation)
    .prefault({})
    .describe('Component → where it is; components not listed still alarm, located by the panel description'),
});
export type Gbt26875Source = z.infer<typeof gbt26875Source>;
