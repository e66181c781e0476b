// Sources: configured device instances (profile + connection + poll + location tags).
import { z } from 'zod';
import { duration, id } from './common.js';
import { meterAddress } from './dlt645.js';
import { gbt26875Source } from './gbt26875.js';
import { rule, ruleOverride } from './rules.js';
import { faultSentinel, pointRange } from '../profile.js';

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

export const source = z.strictObject({
  id,
  profile: z.string().min(1).describe('Profile id, "<vendor>/<model>" under devices/'),
  enabled: z.boolean().default(true),
  bus: id.optional().describe('Bus id, for Modbus, serial-node and DL/T 645 sources'),
  unit: z.number().int().min(1).max(247).optional().describe('Modbus unit (slave) id'),
  node: z.number().int().min(1).max(254).optional().describe('firmware-bridge node id'),
  meter: meterAddress.optional().describe('DL/T 645 meter address: the 12 digits on the nameplate (通信地址)'),
  poll: duration.default('10s').describe('Poll interval for polled drivers'),
  variant: id.optional().describe('A variant the profile offers (e.g. the FC04 batch of a meter)'),
  decode: z
    .strictObject({ defaults: decodeOverride.optional(), points: z.record(id, decodeOverride).default({}) })
    .optional(),
  mqtt: z.strictObject({ topic: z.string().min(1).describe('Topic the device publishes on') }).optional(),
  gpio: z.strictObject({ lines: z.record(id, z.number().int().min(0)).describe('Profile line name → GPIO line (BCM number)') }).optional(),
  gbt26875: gbt26875Source.optional().describe('GB/T 26875.3 fire-panel transmission device: listener, addresses, component map'),
  opcua: z
    .strictObject({
      endpoint: z.string().regex(/^opc\.tcp:\/\//, 'expected opc.tcp://host:port/path'),
      nodes: z.record(id, z.string().min(1)).describe('Point id → NodeId, e.g. "ns=1;s=Level"'),
      publishingInterval: duration.default('1s'),
    })
    .optional(),
  tags: z
    .strictObject({
      building: z.string().min(1).describe('Building number or name (楼栋)'),
      unit: z.string().min(1).optional().describe('Stairwell unit (单元)'),
      floor: z.string().min(1).optional().describe('Floor (楼层)'),
      room: z.string().min(1).optional().describe('Room or place, e.g. pump room, garage ramp'),
    })
    .describe('Where the device is; carried by every measurement and alarm'),
  rules: z.record(id, ruleOverride).default({}).describe('Changes to the profile default rules, by rule id'),
  extraRules: z.array(rule).default([]).describe('Rules added for this source only'),
});
export type Source = z.infer<typeof source>;
