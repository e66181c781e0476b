// The stale rule as config sees it: its schema (a `kind: stale` entry of a profile's `alarms:` or a
// source's `extraRules:`), one line saying what it does, and the alarm text used when none is given.
import { z } from 'zod';
import { duration, id } from '../../../config/sections/common.js';
import { ruleBase } from '../../../config/sections/rule-base.js';
import type { LocalText } from '../../pipeline/types.js';

/** Stale/heartbeat: the source (or one point) has been silent too long. Kept apart from value alarms. */
export const schema = z.strictObject({
  ...ruleBase,
  kind: z.literal('stale'),
  point: id.optional().describe('Omit to watch the whole source (any measurement, and the driver saying offline)'),
  after: duration,
});
export type StaleRule = z.infer<typeof schema>;

/** The fields a site may change in a profile's rule of this kind (`sources[].rules.<id>`), besides the common ones. */
export const overrides = { after: duration.optional() };

export const summary = 'Stale/heartbeat: the source (or one point) has been silent too long. Kept apart from value alarms.';

/** The "what happened" text of an alarm of this rule when the profile or site gives none. */
export function defaultText(rule: StaleRule): LocalText {
  return { zh: `超过 ${rule.after} 无数据`, en: `no data for more than ${rule.after}` };
}
