// Golden cases for device profiles: devices/<vendor>/<model>.cases.yaml.
// Raw wire data (registers by function and address, bits, an MQTT payload, GPIO levels or DL/T 645 reply
// frames) → expected results.
import { z } from 'zod';
import { decodeOverride } from '../../config/sections/sources.js';

const expected = z.union([
  z.strictObject({
    value: z.union([z.number(), z.boolean(), z.string()]),
    unit: z.string().optional(),
    as: z
      .strictObject({ unit: z.string().min(1), value: z.number() })
      .optional()
      .describe('The same value converted through the units registry, as a rule in that unit compares it'),
  }),
  z.strictObject({ fault: z.string().min(1) }),
  z.strictObject({ error: z.string().min(1).describe('substring of the decode error') }),
  z.strictObject({ absent: z.literal(true) }),
]);

export const goldenCase = z.strictObject({
  name: z.string().min(1),
  variant: z.string().optional(),
  decode: z.strictObject({ defaults: decodeOverride.optional(), points: z.record(z.string(), decodeOverride).default({}) }).optional(),
  registers: z.record(z.string(), z.record(z.string(), z.array(z.number().int().min(0).max(0xffff)))).optional(),
  bits: z.record(z.string(), z.record(z.string(), z.array(z.boolean()))).optional(),
  payload: z.unknown().optional(),
  lines: z.record(z.string(), z.union([z.literal(0), z.literal(1)])).optional(),
  frames: z.array(z.string().regex(/^[0-9a-fA-F ]+$/)).optional().describe('DL/T 645 replies as hex, exactly as the meter sends them (preamble, +0x33, checksum)'),
  expect: z.record(z.string(), expected),
});

export const goldenCaseFile = z.strictObject({
  profile: z.string().min(1),
  cases: z.array(goldenCase).min(1),
});
export type GoldenCase = z.infer<typeof goldenCase>;
