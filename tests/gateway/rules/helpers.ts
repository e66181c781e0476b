// Small builders for rule tests: measurements and rule times with explicit clocks.
import { rule as ruleSchema, type Rule } from '../../../config/sections/rules.js';
import type { Measurement, MeasurementValue } from '../../../gateway/pipeline/types.js';
import type { RuleTime } from '../../../gateway/rules/types.js';

export const NOON_SHANGHAI = Date.parse('2026-11-23T12:00:00+08:00');

export function at(mono: number, wall = NOON_SHANGHAI + mono, synced = true): RuleTime {
  return { mono, wall, synced };
}

export function m(point: string, value: MeasurementValue, mono: number, quality: Measurement['quality'] = 'good'): Measurement {
  return { source: 's1', point, class: 'water_level', value, unit: 'cm', ts: NOON_SHANGHAI + mono, mono, timeSynced: true, quality, tags: { building: '3' } };
}

/** Parses a rule through the real schema (so defaults like hysteresis 0 and for 0s apply). */
export function parseRule<K extends Rule['kind']>(input: Record<string, unknown> & { kind: K }): Extract<Rule, { kind: K }> {
  return ruleSchema.parse({ id: 'r1', level: 'alarm', ...input }) as Extract<Rule, { kind: K }>;
}
