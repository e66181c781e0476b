// The window rule as config sees it: its schema (a `kind: window` entry of a profile's `alarms:` or a
// source's `extraRules:`), one line saying what it does, and the alarm text used when none is given.
import { z } from 'zod';
import { duration, id } from '../../../config/sections/common.js';
import { hhmm, limitUnit, ruleBase, sharedOverrides } from '../../../config/sections/rule-base.js';
import type { LocalText } from '../../pipeline/types.js';

/** Time window: a condition that only matters at certain hours (electricity use at night in an empty unit). */
export const schema = z.strictObject({
  ...ruleBase,
  kind: z.literal('window'),
  point: id,
  above: z.number(),
  unit: limitUnit,
  from: hhmm,
  to: hhmm.describe('May be earlier than from: the window then crosses midnight'),
  timeZone: z.string().min(1).optional().describe('IANA zone, e.g. Asia/Shanghai; default the gateway system zone'),
  for: duration.prefault('0s'),
});
export type WindowRule = z.infer<typeof schema>;

/** The fields a site may change in a profile's rule of this kind (`sources[].rules.<id>`), besides the common ones. */
export const overrides = {
  above: sharedOverrides.above,
  unit: sharedOverrides.unit,
  from: hhmm.optional(),
  to: hhmm.optional(),
  timeZone: z.string().min(1).optional(),
  for: sharedOverrides.for,
};

export const summary = 'Time window: a condition that only matters at certain hours (electricity use at night in an empty unit).';

/** The "what happened" text of an alarm of this rule when the profile or site gives none. */
export function defaultText(rule: WindowRule): LocalText {
  return { zh: `${rule.from}–${rule.to} 时段内超过 ${rule.above}`, en: `above ${rule.above} between ${rule.from} and ${rule.to}` };
}
