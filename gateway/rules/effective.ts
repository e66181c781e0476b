// The effective rule set of one source: profile `alarms:` ← site `rules:` (override by rule id) ←
// site `extraRules:`, plus an implicit "sensor silent" heartbeat rule from the profile's heartbeat
// contract unless the site gives its own whole-source stale rule. Overrides are re-validated against
// the rule schema, so a field the kind does not have (e.g. `after` on a threshold) is an error.
import type { Profile } from '../../config/profile.js';
import { rule as ruleSchema, type Rule } from '../../config/sections/rules.js';
import type { Source } from '../../config/sections/sources.js';
import { resolveProfile } from '../devices/resolve.js';
import { ruleUnitProblems } from './rule-units.js';

/** Rule ids the gateway makes itself; site and profile rules may not use them. */
export const SILENT_RULE_ID = 'silent';
export const SENSOR_FAULT_RULE_ID = 'sensor_fault';

/** Silence longer than this many heartbeats (and poll intervals) is "sensor silent". */
export const HEARTBEATS_BEFORE_SILENT = 3;

export class RuleConfigError extends Error {}

/** Checks a rule built from validated parts (a profile rule with a site override on it) as config text again. */
function revalidated(candidate: Rule, where: string): Rule {
  const encoded = ruleSchema.safeEncode(candidate);
  if (!encoded.success) throw ruleError(encoded.error, where);
  return validated(encoded.data, where);
}

function validated(candidate: unknown, where: string): Rule {
  const parsed = ruleSchema.safeParse(candidate);
  if (parsed.success) return parsed.data;
  throw ruleError(parsed.error, where);
}

function ruleError(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }, where: string): RuleConfigError {
  return new RuleConfigError(error.issues.map((issue) => `${[where, ...issue.path.map(String)].join('.')}: ${issue.message}`).join('; '));
}

export function implicitSilentRule(profile: Profile, source: Source): Rule {
  const heartbeat = profile.heartbeat.every;
  const poll = source.poll;
  const afterMs = HEARTBEATS_BEFORE_SILENT * Math.max(heartbeat, poll);
  return validated(
    {
      id: SILENT_RULE_ID,
      kind: 'stale',
      after: `${Math.ceil(afterMs / 1000)}s`,
      level: 'offline',
      text: { zh: '设备无响应（传感器静默）', en: 'Sensor silent (no data)' },
      action: { zh: '请检查设备供电和通信线路', en: 'check the device power and wiring' },
    },
    `sources.${source.id}.${SILENT_RULE_ID}`,
  );
}

/** Builds and validates the rules of one source; throws RuleConfigError naming the config path. */
export function effectiveRules(profile: Profile, source: Source): Rule[] {
  const rules: Rule[] = [];
  for (const base of profile.alarms) {
    const override = source.rules[base.id];
    rules.push(override === undefined ? base : revalidated({ ...base, ...override } as Rule, `sources.${source.id}.rules.${base.id}`));
  }
  rules.push(...source.extraRules);
  for (const rule of rules) {
    if (rule.id === SENSOR_FAULT_RULE_ID) throw new RuleConfigError(`sources.${source.id}: rule id "${SENSOR_FAULT_RULE_ID}" is reserved for point faults`);
    if (rule.id === SILENT_RULE_ID && rule.kind !== 'stale') throw new RuleConfigError(`sources.${source.id}: rule id "${SILENT_RULE_ID}" is reserved for the heartbeat (stale) rule`);
  }
  // Limits in a unit the point cannot convert to would compare unlike numbers: refuse the config instead.
  const variant = source.variant !== undefined && profile.variants[source.variant] !== undefined ? source.variant : undefined;
  const points = resolveProfile(profile, variant, source.decode).points;
  for (const rule of rules) {
    const point = 'point' in rule ? points.find((p) => p.id === rule.point) : undefined;
    const problems = ruleUnitProblems(rule, point);
    if (problems.length > 0) throw new RuleConfigError(`sources.${source.id}: rule "${rule.id}": ${problems.join('; ')}`);
  }
  const hasSourceStale = rules.some((r) => r.kind === 'stale' && r.point === undefined);
  if (!hasSourceStale) rules.push(implicitSilentRule(profile, source));
  return rules.filter((r) => r.enabled);
}
