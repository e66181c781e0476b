// What every rule kind shares: id, level, texts, latch, suppression windows. Each kind adds its own fields
// in its folder (gateway/rules/<kind>/options.ts); ./rules.ts builds the rule union from the registry.
import { z } from 'zod';
import { alarmLevel, duration, localText, id, measureUnit } from './common.js';

export const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM');

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

export const ruleBase = {
  id: id.describe('Rule id, unique within the source; part of the alarm id'),
  level: alarmLevel.describe('fire > alarm > fault > warning > offline'),
  text: localText.optional().describe('What residents and staff read; defaults to a generated text naming the point'),
  action: localText.optional().describe('What to do, e.g. "check the pump now"; defaults to advice by device class and level'),
  latch: z.boolean().default(false).describe('Stay raised after the condition clears, until reset (fire alarms latch)'),
  enabled: z.boolean().default(true),
  suppress: z.array(suppressionWindow).prefault([]).describe('Drill and maintenance windows in which this rule raises nothing'),
};

/** The limits' unit, as threshold, rate and window rules take it. */
export const limitUnit = measureUnit
  .optional()
  .describe("Unit of the limits; default the point's unit. Values are converted before comparing (1.37 mH₂O = 137 cm)");

/** Override fields every kind has (a site's `sources[].rules.<id>`: any field but id, kind and what it watches). */
export const baseOverrides = {
  enabled: z.boolean().optional(),
  level: alarmLevel.optional(),
  latch: z.boolean().optional(),
  text: localText.optional(),
  action: localText.optional(),
  suppress: z.array(suppressionWindow).optional(),
};

/** Override fields more than one kind has, one schema each, so the override built from the kinds has one. */
export const sharedOverrides = {
  above: z.number().optional(),
  for: duration.optional(),
  unit: measureUnit.optional(),
};
