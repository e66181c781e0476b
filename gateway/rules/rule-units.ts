// Units for rules that compare numbers (threshold, rate, window): the rule's limits are in its own `unit`,
// or the point's when it gives none, and every value is converted to that unit before it is compared,
// so a transmitter reporting 1.37 mH₂O meets a 30 cm flood threshold as 137 cm.
import type { Rule } from '../../config/sections/rules.js';
import type { ResolvedPoint } from '../devices/resolve.js';
import type { Measurement } from '../pipeline/types.js';
import { convert, convertible } from '../shared/measure-units.js';

type NumericRule = Extract<Rule, { kind: 'threshold' | 'rate' | 'window' }>;

function isNumeric(rule: Rule): rule is NumericRule {
  return rule.kind === 'threshold' || rule.kind === 'rate' || rule.kind === 'window';
}

/** The unit a rule's limits are written in: its own, else the point's fixed unit; undefined for unitless rules. */
export function ruleUnit(rule: Rule, point: ResolvedPoint | undefined): string | undefined {
  if (!isNumeric(rule)) return undefined;
  return rule.unit ?? point?.unit;
}

/** Units the point can report: its fixed unit, or every unit of its unit-code table. */
function reportedUnits(point: ResolvedPoint): string[] {
  if (point.unitFrom !== undefined) return [...new Set(Object.values(point.unitFrom.map))];
  return point.unit === undefined ? [] : [point.unit];
}

/** What is wrong with a rule's unit for its point, as sentences; empty when it compares like with like. */
export function ruleUnitProblems(rule: Rule, point: ResolvedPoint | undefined): string[] {
  if (!isNumeric(rule) || point === undefined) return [];
  const unit = ruleUnit(rule, point);
  if (unit === undefined) {
    return point.unitFrom === undefined ? [] : [`point "${point.id}" takes its unit from a unit-code register, so the rule must say which unit its limits are in ("unit: cm")`];
  }
  const reported = reportedUnits(point);
  if (reported.length === 0) return [`point "${point.id}" has no unit, so the rule's ${unit} cannot be compared with it`];
  return reported
    .filter((reported) => !convertible(reported, unit))
    .map((reported) => `point "${point.id}" can report ${reported}, which does not convert to the rule's ${unit}`);
}

/**
 * The measurement expressed in the rule's unit; `undefined` when its unit does not convert (a fault, never
 * a silent comparison of unlike numbers). Non-numeric values and unitless rules pass unchanged.
 */
export function inRuleUnit(measurement: Measurement, unit: string | undefined): Measurement | undefined {
  if (unit === undefined || typeof measurement.value !== 'number' || measurement.unit === unit) return measurement;
  if (measurement.unit === undefined) return undefined;
  const value = convert(measurement.value, measurement.unit, unit);
  return value === undefined ? undefined : { ...measurement, value, unit };
}
