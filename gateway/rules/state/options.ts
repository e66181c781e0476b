// The state rule as config sees it: its schema (a `kind: state` entry of a profile's `alarms:` or a
// source's `extraRules:`), one line saying what it does, and the alarm text used when none is given.
import { z } from 'zod';
import { duration, id } from '../../../config/sections/common.js';
import { ruleBase, sharedOverrides } from '../../../config/sections/rule-base.js';
import type { LocalText } from '../../pipeline/types.js';

/** State: a point takes one of the listed values (smoke alarm, fault, low battery, tamper, door forced). */
export const schema = z.strictObject({
  ...ruleBase,
  kind: z.literal('state'),
  point: id,
  equals: z.array(z.union([z.number(), z.boolean(), z.string()])).min(1),
  for: duration.prefault('0s'),
});
export type StateRule = z.infer<typeof schema>;

/** The fields a site may change in a profile's rule of this kind (`sources[].rules.<id>`), besides the common ones. */
export const overrides = {
  equals: z.array(z.union([z.number(), z.boolean(), z.string()])).min(1).optional(),
  for: sharedOverrides.for,
};

export const summary = 'State: a point takes one of the listed values (smoke alarm, fault, low battery, tamper, door forced).';

/** The "what happened" text of an alarm of this rule when the profile or site gives none. */
export function defaultText(rule: StateRule): LocalText {
  return { zh: `状态为 ${rule.equals.join('/')}`, en: `state is ${rule.equals.join('/')}` };
}
