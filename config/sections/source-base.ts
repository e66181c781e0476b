// The fields every source has, whatever its driver. The fields of one driver (a Modbus unit, an MQTT
// topic, an OPC UA endpoint, …) come from the driver's folder (gateway/drivers/<name>/plugin.ts);
// ./sources.ts puts the two together.
import { z } from 'zod';
import { duration, id } from './common.js';
import { rule, ruleOverride } from './rules.js';
import { faultSentinel, pointRange } from '../profile-atoms.js';

const order = z.enum(['big', 'little']);

/** Site-side decoding changes for devices whose batch differs from the profile (see the profile's conflicts). */
export const decodeOverride = z.strictObject({
  function: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).optional(),
  byteOrder: order.optional(),
  wordOrder: order.optional(),
  scale: z.number().optional(),
  range: pointRange.optional().describe("Replaces the profile's documented range (e.g. a 4–20 mA loop: min 3.8)"),
  faults: z.array(faultSentinel).optional().describe("Sentinels this batch sends, added to the profile's"),
});

/** Fields before the drivers' fields, in the order editors show them. */
export const sourceHead = {
  id,
  profile: z.string().min(1).describe('Profile id, "<vendor>/<model>" under devices/'),
  enabled: z.boolean().default(true),
  bus: id.optional().describe('Bus id, for Modbus, serial-node and DL/T 645 sources'),
  poll: duration.prefault('10s').describe('Poll interval for polled drivers'),
  variant: id.optional().describe('A variant the profile offers (e.g. the FC04 batch of a meter)'),
  decode: z
    .strictObject({ defaults: decodeOverride.optional(), points: z.record(id, decodeOverride).prefault({}) })
    .optional(),
};

/** Fields after the drivers' fields. */
export const sourceTail = {
  tags: z
    .strictObject({
      building: z.string().min(1).describe('Building number or name (楼栋)'),
      unit: z.string().min(1).optional().describe('Stairwell unit (单元)'),
      floor: z.string().min(1).optional().describe('Floor (楼层)'),
      room: z.string().min(1).optional().describe('Room or place, e.g. pump room, garage ramp'),
    })
    .describe('Where the device is; carried by every measurement and alarm'),
  rules: z.record(id, ruleOverride).prefault({}).describe('Changes to the profile default rules, by rule id'),
  extraRules: z.array(rule).prefault([]).describe('Rules added for this source only'),
};

export const sourceBase = z.strictObject({ ...sourceHead, ...sourceTail });
/** What a driver's cross-check may read of any source, besides its own fields. */
export type SourceBase = z.infer<typeof sourceBase>;
