// Rule schemas: used for a profile's default alarm rules and for a site's per-source additions and overrides.
// Each kind's schema is in its folder (gateway/rules/<kind>/options.ts), listed in gateway/rules/kinds.ts.
// Rules run on the gateway (gateway/rules/) and need nothing from the network. The effective rule set of a
// source is: profile `alarms:` ← site `sources[].rules` (overrides by rule id) ← site `sources[].extraRules`.
import { z } from 'zod';
import { RULE_OVERRIDE_FIELDS, RULE_SCHEMAS } from '../../gateway/rules/kinds.js';
import { alarmLevel, duration, id } from './common.js';
import { baseOverrides, suppressionWindow } from './rule-base.js';

export { suppressionWindow, type SuppressionWindow } from './rule-base.js';

export const rule = z.discriminatedUnion('kind', RULE_SCHEMAS);
export type Rule = z.infer<typeof rule>;
export type RuleKind = Rule['kind'];

/** A site's change to a profile's default rule: any field but id and kind (fields a kind lacks are ignored with a config error). */
export const ruleOverride = z.strictObject({ ...baseOverrides, ...RULE_OVERRIDE_FIELDS });
export type RuleOverride = z.infer<typeof ruleOverride>;

/** Site-wide alarm settings (`alarms:` in the site config). Suppression here applies to every matching alarm of the site. */
export const alarmSettings = z.strictObject({
  silenceFor: duration.prefault('15m').describe('How long a silence (button, console, township) lasts when none is given'),
  latchFile: z.string().min(1).optional().describe('Where latched alarms are kept across restarts; default <spool.dir>/latched-alarms.json'),
  suppress: z
    .array(
      z.strictObject({
        window: suppressionWindow,
        sources: z.array(id).prefault([]).describe('Sources it applies to; empty = all'),
        levels: z.array(alarmLevel).prefault([]).describe('Levels it applies to; empty = all'),
      }),
    )
    .prefault([])
    .describe('Site-wide drill and maintenance windows'),
});
export type AlarmSettings = z.infer<typeof alarmSettings>;
