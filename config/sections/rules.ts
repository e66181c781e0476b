// Rule schemas: used for a profile's default alarm rules and for a site's per-source additions and overrides.
// Rules run on the gateway (gateway/rules/) and need nothing from the network. The effective rule set of a
// source is: profile `alarms:` ← site `sources[].rules` (overrides by rule id) ← site `sources[].extraRules`.
import { z } from 'zod';
import { alarmLevel, duration, id, localText, measureUnit } from './common.js';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM');

/**
 * A suppression window (drill, maintenance): while it is open the rule raises nothing locally or upstream
 * (counted and logged instead). Daily windows repeat (`from`/`to` as HH:MM local time); one-off windows
 * give `start`/`end` as ISO date-times. Both use the wall clock and only count while it is synced, so an
 * unsynced box never suppresses a real alarm.
 */
export const suppressionWindow = z.union([
  z.strictObject({
    from: hhmm.describe('Daily window start, local time'),
    to: hhmm.describe('Daily window end, local time; may be earlier than from (crosses midnight)'),
    reason: z.string().min(1).describe('Why (drill, pump maintenance); logged when an alarm is suppressed'),
  }),
  z.strictObject({
    start: z.iso.datetime({ offset: true }).describe('One-off window start, e.g. 2026-11-24T09:00:00+08:00'),
    end: z.iso.datetime({ offset: true }),
    reason: z.string().min(1),
  }),
]);
export type SuppressionWindow = z.infer<typeof suppressionWindow>;

const ruleBase = {
  id: id.describe('Rule id, unique within the source; part of the alarm id'),
  level: alarmLevel.describe('fire > alarm > fault > warning > offline'),
  text: localText.optional().describe('What residents and staff read; defaults to a generated text naming the point'),
  action: localText.optional().describe('What to do, e.g. "check the pump now"; defaults to advice by device class and level'),
  latch: z.boolean().default(false).describe('Stay raised after the condition clears, until reset (fire alarms latch)'),
  enabled: z.boolean().default(true),
  suppress: z.array(suppressionWindow).default([]).describe('Drill and maintenance windows in which this rule raises nothing'),
};

/** Threshold with hysteresis and on-delay, e.g. residual current >= 300 mA for 5 s. */
export const thresholdRule = z
  .strictObject({
    ...ruleBase,
    kind: z.literal('threshold'),
    point: id,
    above: z.number().optional().describe('Raise when value >= above'),
    below: z.number().optional().describe('Raise when value <= below'),
    hysteresis: z.number().nonnegative().default(0).describe('Clear only once the value is this far back inside'),
    unit: measureUnit.optional().describe("Unit of the limits; default the point's unit. Values are converted before comparing (1.37 mH₂O = 137 cm)"),
    for: duration.default('0s').describe('On-delay: the condition must hold this long before the alarm is raised'),
  })
  .refine((rule) => (rule.above === undefined) !== (rule.below === undefined), {
    message: 'a threshold rule needs exactly one of "above" or "below"',
  });

/** Rate of change, e.g. water rising faster than 5 cm/min. */
export const rateRule = z
  .strictObject({
    ...ruleBase,
    kind: z.literal('rate'),
    point: id,
    risePerMinute: z.number().positive().optional().describe('Raise when the value rises at least this fast (units per minute)'),
    fallPerMinute: z.number().positive().optional().describe('Raise when the value falls at least this fast (units per minute)'),
    unit: measureUnit.optional().describe("Unit of the limits; default the point's unit. Values are converted before comparing (1.37 mH₂O = 137 cm)"),
    over: duration.default('1m').describe('Window the rate is measured over; needs samples spanning at least half of it'),
  })
  .refine((rule) => rule.risePerMinute !== undefined || rule.fallPerMinute !== undefined, {
    message: 'a rate rule needs "risePerMinute", "fallPerMinute" or both',
  });

/** State: a point takes one of the listed values (smoke alarm, fault, low battery, tamper, door forced). */
export const stateRule = z.strictObject({
  ...ruleBase,
  kind: z.literal('state'),
  point: id,
  equals: z.array(z.union([z.number(), z.boolean(), z.string()])).min(1),
  for: duration.default('0s'),
});

/** Stale/heartbeat: the source (or one point) has been silent too long. Kept apart from value alarms. */
export const staleRule = z.strictObject({
  ...ruleBase,
  kind: z.literal('stale'),
  point: id.optional().describe('Omit to watch the whole source (any measurement, and the driver saying offline)'),
  after: duration,
});

/** Time window: a condition that only matters at certain hours (electricity use at night in an empty unit). */
export const windowRule = z.strictObject({
  ...ruleBase,
  kind: z.literal('window'),
  point: id,
  above: z.number(),
  unit: measureUnit.optional().describe("Unit of the limits; default the point's unit. Values are converted before comparing (1.37 mH₂O = 137 cm)"),
  from: hhmm,
  to: hhmm.describe('May be earlier than from: the window then crosses midnight'),
  timeZone: z.string().min(1).optional().describe('IANA zone, e.g. Asia/Shanghai; default the gateway system zone'),
  for: duration.default('0s'),
});

/** Combination: all the named rules (of this source or `source/rule`) active within a window raise a higher level. */
export const combinationRule = z.strictObject({
  ...ruleBase,
  kind: z.literal('combination'),
  all: z.array(z.string().min(1)).min(2).describe('Rule ids: "rule" on this source, or "source/rule"'),
  within: duration.default('5m').describe('Each named rule must be active now or have been within this long'),
});

export const rule = z.discriminatedUnion('kind', [thresholdRule, rateRule, stateRule, staleRule, windowRule, combinationRule]);
export type Rule = z.infer<typeof rule>;
export type RuleKind = Rule['kind'];

/** A site's change to a profile's default rule: any field but id and kind (fields a kind lacks are ignored with a config error). */
export const ruleOverride = z.strictObject({
  enabled: z.boolean().optional(),
  level: alarmLevel.optional(),
  above: z.number().optional(),
  below: z.number().optional(),
  hysteresis: z.number().nonnegative().optional(),
  for: duration.optional(),
  after: duration.optional(),
  over: duration.optional(),
  within: duration.optional(),
  risePerMinute: z.number().positive().optional(),
  fallPerMinute: z.number().positive().optional(),
  unit: measureUnit.optional(),
  equals: z.array(z.union([z.number(), z.boolean(), z.string()])).min(1).optional(),
  latch: z.boolean().optional(),
  from: hhmm.optional(),
  to: hhmm.optional(),
  timeZone: z.string().min(1).optional(),
  text: localText.optional(),
  action: localText.optional(),
  suppress: z.array(suppressionWindow).optional(),
});
export type RuleOverride = z.infer<typeof ruleOverride>;

/** Site-wide alarm settings (`alarms:` in the site config). Suppression here applies to every matching alarm of the site. */
export const alarmSettings = z.strictObject({
  silenceFor: duration.default('15m').describe('How long a silence (button, console, township) lasts when none is given'),
  latchFile: z.string().min(1).optional().describe('Where latched alarms are kept across restarts; default <spool.dir>/latched-alarms.json'),
  suppress: z
    .array(
      z.strictObject({
        window: suppressionWindow,
        sources: z.array(id).default([]).describe('Sources it applies to; empty = all'),
        levels: z.array(alarmLevel).default([]).describe('Levels it applies to; empty = all'),
      }),
    )
    .default([])
    .describe('Site-wide drill and maintenance windows'),
});
export type AlarmSettings = z.infer<typeof alarmSettings>;
