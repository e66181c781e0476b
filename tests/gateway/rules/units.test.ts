// Rules compare like with like: the threshold's unit (or the point's) is what the value is converted to
// before comparing; a value whose unit does not convert is a sensor fault at once; a config whose rule
// unit cannot apply to its point is refused with the config path.
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../contract/load-yaml.js';
import { onCondition, type RuleCondition } from '../../../gateway/rules/condition.js';
import { RulesEngine } from '../../../gateway/rules/stage.js';
import { silentLogger } from '../../../contract/logger.js';
import { Stats } from '../../../contract/stats.js';
import { loadTestSite, ManualClock, SITE_YAML } from './site.js';
import { throwingEventBus } from '../../helpers/runtime-context.js';

function setup(yaml = SITE_YAML) {
  const { sources } = loadTestSite(yaml);
  const events = throwingEventBus();
  const clock = new ManualClock();
  const engine = new RulesEngine({ events, clock, log: silentLogger(), stats: new Stats() }, sources);
  const seen: RuleCondition[] = [];
  const off = onCondition(events, (c) => seen.push(c));
  const tags = sources[0]!.tags;
  const measure = (value: number, unit: string | undefined) =>
    engine.measurement({ source: 'level-1', point: 'level', class: 'water_level', value, unit, ts: clock.now(), mono: clock.mono(), timeSynced: true, quality: 'good', tags });
  return { seen, measure, off };
}

describe('rule units', () => {
  let off: (() => void) | undefined;
  afterEach(() => off?.());

  it('1.37 mH₂O meets the 40 cm flood threshold as 137 cm, and the alarm text says 137 cm', () => {
    const t = setup();
    off = t.off;
    t.measure(1.37, 'mH₂O');
    const alarm = t.seen.find((c) => c.rule === 'water_alarm' && c.active);
    expect(alarm).toMatchObject({ value: 137 });
    expect(alarm!.text.en).toContain('137 cm');
  });

  it('0.39 m stays below 40 cm; 0.4 m raises', () => {
    const t = setup();
    off = t.off;
    t.measure(0.39, 'm');
    expect(t.seen.some((c) => c.rule === 'water_alarm')).toBe(false);
    t.measure(0.4, 'm');
    expect(t.seen.find((c) => c.rule === 'water_alarm')).toMatchObject({ active: true, value: 40 });
  });

  it('a value in a unit that does not convert is a sensor fault at once, not a comparison', () => {
    const t = setup();
    off = t.off;
    t.measure(230, 'V');
    expect(t.seen.some((c) => c.rule === 'water_alarm')).toBe(false);
    expect(t.seen.find((c) => c.rule === 'sensor_fault')).toMatchObject({ level: 'fault', active: true, value: 'unit_mismatch' });
    t.measure(12, 'cm');
    expect(t.seen.find((c) => c.rule === 'sensor_fault' && !c.active)).toBeDefined();
  });

  it('refuses a site rule whose unit cannot apply to the point, naming the source and rule', () => {
    const yaml = SITE_YAML.replace('water_alarm: { above: 40, for: 0s }', 'water_alarm: { above: 40, for: 0s, unit: V }');
    expect(() => loadTestSite(yaml)).toThrow(ConfigError);
    expect(() => loadTestSite(yaml)).toThrow(/sources\.level-1: rule "water_alarm": .*point "level" can report m, which does not convert to the rule.s V/);
  });

  it('accepts a site rule in another unit of the same quantity (metres)', () => {
    const yaml = SITE_YAML.replace('water_alarm: { above: 40, for: 0s }', 'water_alarm: { above: 0.4, for: 0s, unit: m, hysteresis: 0.03 }');
    const t = setup(yaml);
    off = t.off;
    t.measure(45, 'cm');
    expect(t.seen.find((c) => c.rule === 'water_alarm')).toMatchObject({ active: true, value: 0.45 });
  });
});

describe('rules and point faults', () => {
  it('an on-delay pending on a good value never completes once the point reports a fault', () => {
    const yaml = SITE_YAML.replace('water_alarm: { above: 40, for: 0s }', 'water_alarm: { above: 40, for: 10s }');
    const { sources } = loadTestSite(yaml);
    const events = throwingEventBus();
    const clock = new ManualClock();
    const engine = new RulesEngine({ events, clock, log: silentLogger(), stats: new Stats() }, sources);
    const seen: RuleCondition[] = [];
    const off = onCondition(events, (c) => seen.push(c));
    const tags = sources[0]!.tags;
    engine.measurement({ source: 'level-1', point: 'level', class: 'water_level', value: 45, unit: 'cm', ts: clock.now(), mono: clock.mono(), timeSynced: true, quality: 'good', tags });
    clock.advance(5000);
    engine.fault({ source: 'level-1', point: 'level', class: 'water_level', code: 'unknown_unit', raw: 7, text: { zh: '未知单位代码 7', en: 'unknown unit code 7' }, mono: clock.mono(), ts: clock.now(), tags });
    clock.advance(10_000);
    engine.tick();
    off();
    expect(seen.some((c) => c.rule === 'water_alarm')).toBe(false);
    expect(seen.find((c) => c.rule === 'sensor_fault')).toMatchObject({ active: true, level: 'fault', value: 'unknown_unit' });
  });
});

describe('site decode ranges', () => {
  it('refuses a range in a unit the point cannot convert to, naming the source', () => {
    const yaml = SITE_YAML.replace('    rules:\n      water_alarm: { above: 40, for: 0s }', '    decode: { points: { level: { range: { max: 300, unit: V } } } }\n    rules:\n      water_alarm: { above: 40, for: 0s }');
    expect(yaml).not.toBe(SITE_YAML);
    expect(() => loadTestSite(yaml)).toThrow(/sources\[0\]\.decode: point "level": the range is in V, which m does not convert to/);
    const ok = SITE_YAML.replace('    rules:\n      water_alarm: { above: 40, for: 0s }', '    decode: { points: { level: { range: { max: 300, unit: cm } } } }\n    rules:\n      water_alarm: { above: 40, for: 0s }');
    expect(() => loadTestSite(ok)).not.toThrow();
  });
});
