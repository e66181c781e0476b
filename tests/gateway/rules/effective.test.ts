import { describe, expect, it } from 'vitest';
import { effectiveRules, RuleConfigError } from '../../../gateway/rules/effective.js';
import { loadTestSite } from './site.js';

describe('effective rule set', () => {
  const { sources } = loadTestSite();
  const level = sources.find((s) => s.config.id === 'level-1')!;
  const smoke = sources.find((s) => s.config.id === 'smoke-1')!;

  it('applies site overrides by rule id over the profile defaults', () => {
    const rules = effectiveRules(level.profile, level.config);
    const alarm = rules.find((r) => r.id === 'water_alarm');
    expect(alarm).toMatchObject({ kind: 'threshold', above: 40, for: 0, hysteresis: 3, level: 'alarm' });
    expect(rules.find((r) => r.id === 'water_warning')).toMatchObject({ above: 10 });
  });

  it('adds extraRules and an implicit "silent" heartbeat rule from the profile heartbeat', () => {
    const rules = effectiveRules(smoke.profile, smoke.config);
    expect(rules.map((r) => r.id)).toEqual(['smoke', 'service', 'detector_removed', 'smoke_and_water', 'silent']);
    // 3 × max(heartbeat 1m, poll 1s)
    expect(rules.at(-1)).toMatchObject({ kind: 'stale', after: 180_000, level: 'offline' });
  });

  it('re-validates overrides: a field the rule kind lacks is an error naming the config path', () => {
    const broken = { ...level.config, rules: { water_alarm: { after: 300_000 } } };
    expect(() => effectiveRules(level.profile, broken)).toThrow(RuleConfigError);
    expect(() => effectiveRules(level.profile, broken)).toThrow(/sources\.level-1\.rules\.water_alarm/);
  });

  it('drops disabled rules and lets an explicit source stale rule replace the implicit one', () => {
    const config = {
      ...level.config,
      rules: { water_rising: { enabled: false } },
      extraRules: [{ id: 'quiet', kind: 'stale' as const, after: 600_000, level: 'offline' as const, latch: false, enabled: true, suppress: [] }],
    };
    const ids = effectiveRules(level.profile, config).map((r) => r.id);
    expect(ids).not.toContain('water_rising');
    expect(ids).not.toContain('silent');
    expect(ids).toContain('quiet');
  });
});
