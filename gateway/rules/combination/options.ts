// The combination rule as config sees it: its schema (a `kind: combination` entry of a profile's `alarms:` or a
// source's `extraRules:`), one line saying what it does, and the alarm text used when none is given.
import { z } from 'zod';
import { duration } from '../../../config/sections/common.js';
import { ruleBase } from '../../../config/sections/rule-base.js';
import type { LocalText } from '../../pipeline/types.js';

/** Combination: all the named rules (of this source or `source/rule`) active within a window raise a higher level. */
export const schema = z.strictObject({
  ...ruleBase,
  kind: z.literal('combination'),
  all: z.array(z.string().min(1)).min(2).describe('Rule ids: "rule" on this source, or "source/rule"'),
  within: duration.prefault('5m').describe('Each named rule must be active now or have been within this long'),
});
export type CombinationRule = z.infer<typeof schema>;

/** The fields a site may change in a profile's rule of this kind (`sources[].rules.<id>`), besides the common ones. */
export const overrides = { within: duration.optional() };

export const summary = 'Combination: all the named rules (of this source or `source/rule`) active within a window raise a higher level.';

/** The "what happened" text of an alarm of this rule when the profile or site gives none. */
export function defaultText(rule: CombinationRule): LocalText {
  return { zh: `多个条件同时出现（${rule.all.join('、')}）`, en: `several conditions at once (${rule.all.join(', ')})` };
}
