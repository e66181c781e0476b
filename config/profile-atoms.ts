// Profile pieces that the site config and the driver folders use too: data types, function codes, ranges,
// fault sentinels and the JSON field path. Kept apart from ./profile.ts, which the driver registry builds.
import { z } from 'zod';
import { id, localText, measureUnit } from './sections/common.js';

export const dataType = z.enum(['u16', 'i16', 'u32', 'i32', 'float32', 'bit', 'bitfield']);
export type DataType = z.infer<typeof dataType>;

/** Modbus function codes that read: 1 coils, 2 discrete inputs, 3 holding registers, 4 input registers. */
export const readFunction = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);
export type ReadFunction = z.infer<typeof readFunction>;

export const order = z.enum(['big', 'little']);

/**
 * The range the device documents for a point, in the point's unit (or `unit`, for points whose unit comes
 * from a unit-code register). A value outside it is the fault out_of_range, never a reading; a 4–20 mA
 * input gets its loop-fault band this way (min 3.8 mA). Where the reference gives no range, say so.
 */
export const pointRange = z.union([
  z
    .strictObject({
      min: z.number().optional(),
      max: z.number().optional(),
      unit: measureUnit.optional().describe('Unit of min/max when the point has none of its own (unitFrom)'),
    })
    .refine((range) => range.min !== undefined || range.max !== undefined, { message: 'a range needs "min", "max" or both' }),
  z.strictObject({ undocumented: z.string().min(1).describe('Why there is no range: what the reference says or lacks') }),
]);
export type PointRange = z.infer<typeof pointRange>;

export const faultSentinel = z.strictObject({
  raw: z.number().int().describe('Raw integer the device sends instead of a value, e.g. 0xE5E5'),
  code: id.describe('Fault code, e.g. sensor_short, broken_line'),
  text: localText,
});

/** Where a JSON device (MQTT, serial node, GB/T 26875 panel state) puts a point's value. */
export const jsonPath = z.string().optional().describe('For MQTT/serial payloads: dotted path of the field, e.g. "door.state"');
