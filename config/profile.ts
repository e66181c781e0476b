// Device profile schema: a device MODEL as data (devices/<vendor>/<model>.yaml).
// A profile says where each point lives on the wire and how to turn raw values into a measurement;
// it never says where the device is installed (that is a source in the site config).
import { z } from 'zod';
import { DRIVER_POINT_FIELDS, DRIVER_PROFILE_FIELDS, REGISTERED_DRIVERS } from '../gateway/drivers/registry.js';
import { dataType, faultSentinel, order, pointRange, readFunction } from './profile-atoms.js';
import { deviceClass, duration, id, localText, measureUnit, serialSettings } from './sections/common.js';
import { rule } from './sections/rules.js';

export { dataType, faultSentinel, pointRange, readFunction, type DataType, type PointRange, type ReadFunction } from './profile-atoms.js';

/** Fields of a point that a variant or a source may change; all optional. */
const pointDecodeFields = {
  address: z.number().int().min(0).max(0xffff).optional().describe('Wire (zero-based PDU) address; never a 30001/40001-style number'),
  function: readFunction.optional(),
  type: dataType.optional(),
  byteOrder: order.optional().describe('Byte order inside each 16-bit word'),
  wordOrder: order.optional().describe('Word order of 32-bit values: big = high word first (ABCD)'),
  scale: z.number().optional().describe('Multiplier applied to the raw integer (e.g. 0.1)'),
  offset: z.number().optional().describe('Added after scaling'),
  unit: measureUnit.optional(),
  range: pointRange.optional(),
};

export const point = z.strictObject({
  id: id.describe('Point id, the line-protocol field name'),
  name: localText.optional(),
  ...pointDecodeFields,
  bit: z.number().int().min(0).max(15).optional().describe('For type bit read from a register: the bit index'),
  bits: z
    .strictObject({ offset: z.number().int().min(0).max(31), width: z.number().int().min(1).max(16) })
    .optional()
    .describe('For type bitfield: which bits of the raw integer'),
  decimalsFrom: id.optional().describe('Another point holding the number of decimals: value = raw / 10^decimals'),
  unitFrom: z
    .strictObject({ point: id, map: z.record(z.string(), measureUnit) })
    .optional()
    .describe('Another point holding a unit code, and the code → unit table; a code not in the table is the fault unknown_unit'),
  states: z.record(z.string(), id).optional().describe('Raw integer → state label; the measurement value becomes the label'),
  faults: z.array(faultSentinel).prefault([]),
  // What each driver needs of a point (a JSON path, a GPIO line, a DL/T 645 data identifier), from its plugin.
  ...DRIVER_POINT_FIELDS,
  class: deviceClass.optional().describe('Overrides the profile class (e.g. a temperature channel on a residual-current detector)'),
  internal: z.boolean().default(false).describe('Read and used by other points (decimals, unit code) but not sent as a measurement'),
  access: z.enum(['r', 'rw']).default('r'),
});
export type PointDef = z.infer<typeof point>;

const variant = z.strictObject({
  description: z.string().min(1),
  defaults: z.strictObject({ ...pointDecodeFields }).optional(),
  points: z
    .record(
      id,
      z.strictObject({
        ...pointDecodeFields,
        bits: z.strictObject({ offset: z.number().int().min(0).max(31), width: z.number().int().min(1).max(16) }).optional(),
        states: z.record(z.string(), id).optional(),
        unitFrom: z.strictObject({ point: id, map: z.record(z.string(), measureUnit) }).optional(),
        activeLow: z.boolean().optional(),
      }),
    )
    .prefault({})
    .describe('Per-point changes for this variant: wire fields, bit position, state table, unit-code table, contact polarity'),
});

const conflict = z.strictObject({
  topic: z.string().min(1),
  detail: z.string().min(1),
  sources: z.array(z.string().url()).prefault([]),
  resolution: z.string().min(1).describe('How to choose on site: a variant name, a source override, or what to check'),
});

export const profile = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+\/[a-z0-9_.-]+$/, 'expected "<vendor>/<model>", matching the file path'),
  vendor: z.string().min(1),
  model: z.string().min(1),
  name: localText,
  class: deviceClass,
  driver: z.enum(REGISTERED_DRIVERS),
  references: z.array(z.string().url()).min(1).describe('Where the point map comes from'),
  serialDefaults: z.strictObject(serialSettings).optional().describe('Factory serial settings'),
  ...DRIVER_PROFILE_FIELDS,
  defaults: z.strictObject({ ...pointDecodeFields }).prefault({}),
  timestamp: z
    .strictObject({
      json: z.string().min(1).describe('Path of the time field in the JSON payload, e.g. "ts" or "event.time"'),
      format: z.enum(['epoch_ms', 'epoch_s', 'iso8601']),
    })
    .optional()
    .describe(
      'Where a JSON device (MQTT, serial) puts the time it measured. Used as the measurement time while the gateway clock is synced and the value lies within a day before to 5 minutes after now; a QoS 1 resend after a gateway crash then carries the same time, so the database folds it instead of storing it twice',
    ),
  heartbeat: z
    .strictObject({ every: duration.describe('The device answers or reports at least this often when healthy') })
    .describe('Heartbeat contract: silence longer than this is "sensor silent", apart from value alarms'),
  conflicts: z.array(conflict).prefault([]).describe('Where public sources disagree; the profile says how to decide'),
  variants: z.record(id, variant).prefault({}),
  points: z.array(point).min(1),
  alarms: z.array(rule).prefault([]),
});
export type ProfileInput = z.input<typeof profile>;
export type Profile = z.infer<typeof profile>;
