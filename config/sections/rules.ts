// Rule schemas: used for a profile's default alarm rules and for a site's per-source additions and overrides.
// Rules run on the gateway (gateway/rules/) and need nothing from the network.
import { z } from 'zod';
import { alarmLevel, duration, id, localText } from './common.js';

const ruleBase = {
  id: id.describe('Rule id, unique within the source; part of the alarm id'),
  level: alarmLevel.describe('fire > alarm > fault > warning > offline'),
  text: localText.optional().describe('What residents and staff read; defaults to a generated text naming the point'),
  latch: z.boolean().default(false).describe('Stay raised after the condition clears, until reset (fire alarms latch)'),
  enabled: z.boolean().default(true),
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
    for: duration.default('0s').describe('On-delay: the condition must hold this long before the alarm is raised'),
  })
  .refine((rule) => (rule.above === undefined) !== (rule.below === undefined), {
    message: 'a threshold rule needs exactly one of "above" or "below"',
  });

/** Rate of change, e.g. water rising faster than 5 cm/min. */
export const rateRule = z.strictObject({
  ...ruleBase,
  kind: z.literal('rate'),
  point: id,
  risePerMinute: z.number().positive().optional(),
  fallPerMinute: z.number().positive().optional(),
  over: duration.default('1m').describe('Window the rate is measured over'),
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
  point: id.optional().describe('Omit to watch the whole source'),
  after: duration,
});

/** Time window: a condition that only matters at certain hours (electricity use at night in an empty unit). */
export const windowRule = z.strictObject({
  ...ruleBase,
  kind: z.literal('window'),
  point: id,
  above: z.number(),
  from: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM'),
  to: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM'),
  for: duration.default('0s'),
});

/** Combination: all the named rules (of this source or `source/rule`) active within a window raise a higher level. */
export const combinationRule = z.strictObject({
  ...ruleBase,
  kind: z.literal('combination'),
  all: z.array(z.string().min(1)).min(2).describe('Rule ids: "rule" on this source, or "source/rule"'),
  within: duration.default('5m'),
});

export const rule = z.discriminatedUnion('kind', [thresholdRule, rateRule, stateRule, staleRule, windowRule, combinationRule]);
export type Rule = z.infer<typeof rule>;

/** A site's change to a profile's default rule: any field but id and kind. */
export const ruleOverride = z.strictObject({
  enabled: z.boolean().optional(),
  level: alarmLevel.optional(),
  above: z.number().optional(),
  below: z.number().optional(),
  hysteresis: z.number().nonnegative().optional(),
  for: duration.optional(),
  after: duration.optional(),
  latch: z.boolean().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  text: localText.optional(),
});
export type RuleOverride = z.infer<typeof ruleOverride>;
