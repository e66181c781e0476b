// The rate rule as config sees it: its schema (a `kind: rate` entry of a profile's `alarms:` or a
// source's `extraRules:`), one line saying what it does, and the alarm text used when none is given.
import { z } from 'zod';
import { duration, id } from '../../../config/sections/common.js';
import { limitUnit, ruleBase, sharedOverrides } from '../../../config/sections/rule-base.js';
import type { LocalText } from '../../pipeline/types.js';

/** Rate of change, e.g. water rising faster than 5 cm/min. */
export const schema = z
  .strictObject({
    ...ruleBase,
    kind: z.literal('rate'),
    point: id,
    risePerMinute: z.number().positive().optional().describe('Raise when the value rises at least this fast (units per minute)'),
    fallPerMinute: z.number().positive().optional().describe('Raise when the value falls at least this fast (units per minute)'),
    unit: limitUnit,
    over: duration.prefault('1m').describe('Window the rate is measured over; needs samples spanning at least half of it'),
  })
  .refine((rule) => rule.risePerMinute !== undefined || rule.fallPerMinute !== undefined, {
    message: 'a rate rule needs "risePerMinute", "fallPerMinute" or both',
  });
export type RateRule = z.infer<typeof schema>;

/** The fields a site may change in a profile's rule of this kind (`sources[].rules.<id>`), besides the common ones. */
export const overrides = {
  over: duration.optional(),
  risePerMinute: z.number().positive().optional(),
  fallPerMinute: z.number().positive().optional(),
  unit: sharedOverrides.unit,
};

export const summary = 'Rate of change, e.g. water rising faster than 5 cm/min.';

/** The "what happened" text of an alarm of this rule when the profile or site gives none. */
export function defaultText(_rule: RateRule): LocalText {
  return { zh: '变化过快', en: 'changing too fast' };
}
