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

  it('reserves the point-fault rule id, and the heartbeat id for a stale rule', () => {
    const base = { kind: 'stale' as const, after: 600_000, level: 'offline' as const, latch: false, enabled: true, suppress: [] };
    expect(() => effectiveRules(level.profile, { ...level.config, extraRules: [{ ...base, id: 'sensor_fault' }] })).toThrow('sources.level-1: rule id "sensor_fault" is reserved for point faults');
    const threshold = { id: 'silent', kind: 'threshold' as const, point: 'level', above: 5, hysteresis: 0, for: 0, level: 'warning' as const, latch: false, enabled: true, suppress: [] };
    expect(() => effectiveRules(level.profile, { ...level.config, extraRules: [threshold] as never })).toThrow('sources.level-1: rule id "silent" is reserved for the heartbeat (stale) rule');
    // A stale rule may take the heartbeat's id: it is then the source's heartbeat rule.
    const ids = effectiveRules(level.profile, { ...level.config, extraRules: [{ ...base, id: 'silent' }] }).map((r) => r.id);
    expect(ids.filter((id) => id === 'silent')).toHaveLength(1);
  });

  it('judges rule units against the source\'s variant: the pressure table needs a unit that converts', () => {
    // The level in the pressure-table variant reports MPa…mmH₂O, which convert to the rules' cm (a head of water).
    expect(() => effectiveRules(level.profile, { ...level.config, variant: 'pressure-table' })).not.toThrow();
    const volts = { ...level.config, variant: 'pressure-table', rules: { water_alarm: { unit: 'V' } } };
    expect(() => effectiveRules(level.profile, volts as never)).toThrow(/sources\.level-1: rule "water_alarm": point "level" can report MPa, which does not convert to the rule's V/);
    // Without the variant the same override is judged against the plain level's cm.
    expect(() => effectiveRules(level.profile, { ...level.config, rules: { water_alarm: { unit: 'V' } } } as never)).toThrow(/can report cm, which does not convert to the rule's V/);
  });

  it('keeps the implicit heartbeat beside a stale rule that watches one point only', () => {
    const pointStale = { id: 'level_quiet', kind: 'stale' as const, point: 'level', after: 600_000, level: 'warning' as const, latch: false, enabled: true, suppress: [] };
    const ids = effectiveRules(level.profile, { ...level.config, extraRules: [pointStale] }).map((r) => r.id);
    expect(ids).toContain('level_quiet');
    expect(ids).toContain('silent');
  });
});
