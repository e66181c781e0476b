// The threshold rule as config sees it: its schema (a `kind: threshold` entry of a profile's `alarms:` or a
// source's `extraRules:`), one line saying what it does, and the alarm text used when none is given.
import { z } from 'zod';
import { duration, id } from '../../../config/sections/common.js';
import { limitUnit, ruleBase, sharedOverrides } from '../../../config/sections/rule-base.js';
import type { LocalText } from '../../pipeline/types.js';

/** Threshold with hysteresis and on-delay, e.g. residual current >= 300 mA for 5 s. */
export const schema = z
  .strictObject({
    ...ruleBase,
    kind: z.literal('threshold'),
    point: id,
    above: z.number().optional().describe('Raise when value >= above'),
    below: z.number().optional().describe('Raise when value <= below'),
    hysteresis: z.number().nonnegative().default(0).describe('Clear only once the value is this far back inside'),
    unit: limitUnit,
    for: duration.prefault('0s').describe('On-delay: the condition must hold this long before the alarm is raised'),
  })
  .refine((rule) => (rule.above === undefined) !== (rule.below === undefined), {
    message: 'a threshold rule needs exactly one of "above" or "below"',
  });
export type ThresholdRule = z.infer<typeof schema>;

/** The fields a site may change in a profile's rule of this kind (`sources[].rules.<id>`), besides the common ones. */
export const overrides = {
  above: sharedOverrides.above,
  below: z.number().optional(),
  hysteresis: z.number().nonnegative().optional(),
  for: sharedOverrides.for,
  unit: sharedOverrides.unit,
};

export const summary = 'Threshold with hysteresis and on-delay, e.g. residual current >= 300 mA for 5 s.';

/** The "what happened" text of an alarm of this rule when the profile or site gives none. */
export function defaultText(rule: ThresholdRule): LocalText {
  return rule.above !== undefined
    ? { zh: `超过报警值 ${rule.above}`, en: `above the alarm level ${rule.above}` }
    : { zh: `低于报警值 ${rule.below}`, en: `below the alarm level ${rule.below}` };
}
