import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../../gateway/pipeline/events.js';
import { type Measurement, SOURCE_FAULT_CODES } from '../../../gateway/pipeline/types.js';
import { onCondition, type RuleCondition } from '../../../gateway/rules/condition.js';
import { RulesEngine } from '../../../gateway/rules/stage.js';
import { silentLogger } from '../../../contract/logger.js';
import { Stats } from '../../../contract/stats.js';
import { loadTestSite, ManualClock } from './site.js';
import { throwingEventBus } from '../../helpers/runtime-context.js';

function setup() {
  const { sources } = loadTestSite();
  const events = throwingEventBus();
  const clock = new ManualClock();
  const stats = new Stats();
  const engine = new RulesEngine({ events, clock, log: silentLogger(), stats }, sources);
  const seen: RuleCondition[] = [];
  const off = onCondition(events, (c) => seen.push(c));
  const measure = (source: string, point: string, value: Measurement['value'], unit?: string) => {
    const tags = sources.find((s) => s.config.id === source)!.tags;
    engine.measurement({ source, point, class: 'water_level', value, unit, ts: clock.now(), mono: clock.mono(), timeSynced: true, quality: 'good', tags });
  };
  return { engine, clock, seen, measure, off, stats, sources };
}

describe('rules engine', () => {
  let off: (() => void) | undefined;
  afterEach(() => off?.());

  it('emits a condition with a stable alarm id and a zh/en text naming place, value and what to do', () => {
    const t = setup();
    off = t.off;
    t.measure('level-1', 'level', 42, 'cm');
    const alarm = t.seen.find((c) => c.rule === 'water_alarm')!;
    expect(alarm).toMatchObject({ alarmId: 'level-1.level.water_alarm', active: true, level: 'alarm', value: 42 });
    expect(alarm.text.zh).toBe('3号楼2单元 地下车库 液位 42 cm：积水报警，请立即检查排水泵');
    expect(alarm.text.en).toBe('Building 3 Unit 2 地下车库: Level 42 cm: Flooding, check the pump now');
  });

  it('turns a point fault (sentinel) into a fault-level condition that clears on the next good value', () => {
    const t = setup();
    off = t.off;
    const tags = t.sources[0]!.tags;
    const fault = { source: 'level-1', point: 'level', class: 'water_level' as const, code: 'sensor_short', raw: 0xe5e5, text: { zh: '传感器短路', en: 'Sensor short' }, mono: 1, ts: 1, tags };
    t.engine.fault(fault);
    t.engine.fault(fault); // repeated while the sentinel persists: one condition only
    expect(t.seen).toHaveLength(1);
    expect(t.seen[0]).toMatchObject({ alarmId: 'level-1.level.sensor_fault', level: 'fault', active: true, value: 'sensor_short', kind: 'point_fault' });
    expect(t.seen[0]!.text.zh).toContain('传感器短路');
    t.measure('level-1', 'level', 5, 'cm');
    expect(t.seen.find((c) => c.rule === 'sensor_fault' && !c.active)).toBeDefined();
  });

  it('raises "sensor silent" on the heartbeat rule apart from value rules, via tick()', () => {
    const t = setup();
    off = t.off;
    t.clock.advance(180_000);
    t.engine.tick();
    const silent = t.seen.filter((c) => c.rule === 'silent' && c.active).map((c) => c.alarmId).sort();
    expect(silent).toEqual(['level-1._.silent', 'smoke-1._.silent']);
    expect(t.seen.every((c) => c.rule === 'silent')).toBe(true);
  });

  it('marks a source silent at once when its driver reports it offline', () => {
    const t = setup();
    off = t.off;
    t.engine.status({ source: 'smoke-1', online: false, mono: t.clock.mono(), lastError: { kind: 'timeout', code: SOURCE_FAULT_CODES.timeout, message: 'no answer' } });
    expect(t.seen).toEqual([expect.objectContaining({ alarmId: 'smoke-1._.silent', active: true, level: 'offline' })]);
  });

  it('raises a combination across sources and names its members', () => {
    const t = setup();
    off = t.off;
    t.measure('smoke-1', 'smoke_alarm', 'smoke');
    t.measure('level-1', 'level', 50, 'cm');
    const combo = t.seen.find((c) => c.rule === 'smoke_and_water')!;
    expect(combo).toMatchObject({ active: true, level: 'fire', alarmId: 'smoke-1._.smoke_and_water' });
    expect(combo.members).toEqual(['smoke-1.smoke_alarm.smoke', 'level-1.level.water_alarm']);
  });

  it('rejects a combination naming an unknown rule at build time', () => {
    const { sources } = loadTestSite();
    const smoke = sources.find((s) => s.config.id === 'smoke-1')!;
    const broken = [{ ...smoke, config: { ...smoke.config, extraRules: [{ ...smoke.config.extraRules[0]!, all: ['smoke', 'nope'] }] } }];
    const events = new EventBus<GatewayEvents>(() => undefined);
    expect(() => new RulesEngine({ events, clock: new ManualClock(), log: silentLogger(), stats: new Stats() }, broken as typeof sources)).toThrow(/unknown rule "smoke-1\/nope"/);
  });

  it('raises a point fault again for another code, names the point, and only a good value clears it', () => {
    const t = setup();
    off = t.off;
    const tags = t.sources[0]!.tags;
    const fault = (code: string) => ({ source: 'level-1', point: 'level', class: 'water_level' as const, code, raw: 0xe5e5, text: { zh: code, en: code }, mono: 1, ts: 1, tags });
    t.engine.fault(fault('sensor_short'));
    t.engine.fault(fault('broken_line'));
    expect(t.seen.map((c) => [c.value, c.active])).toEqual([
      ['sensor_short', true],
      ['broken_line', true],
    ]);
    expect(t.seen[1]!.text.zh).toContain('液位');
    expect(t.stats.counter('rules.point_fault', { source: 'level-1' })).toBe(2);
    const tagsOf = t.sources.find((s) => s.config.id === 'level-1')!.tags;
    t.engine.measurement({ source: 'level-1', point: 'level', class: 'water_level', value: 5, unit: 'cm', ts: t.clock.now(), mono: t.clock.mono(), timeSynced: true, quality: 'bad', tags: tagsOf });
    expect(t.seen.filter((c) => c.rule === 'sensor_fault' && !c.active)).toHaveLength(0);
    t.measure('level-1', 'level', 5, 'cm');
    expect(t.seen.filter((c) => c.rule === 'sensor_fault' && !c.active)).toHaveLength(1);
  });

  it('a value in a unit the point\'s rules cannot use is the point\'s unit_mismatch fault, never compared', () => {
    const t = setup();
    off = t.off;
    t.measure('level-1', 'level', 42, 'V');
    expect(t.seen).toHaveLength(1);
    expect(t.seen[0]).toMatchObject({ alarmId: 'level-1.level.sensor_fault', active: true, value: 'unit_mismatch', level: 'fault' });
    expect(t.seen[0]!.text.zh).toContain('单位 V 无法换算为规则单位 cm');
    expect(t.seen[0]!.text.en).toContain('unit V does not convert to the rule\'s cm');
    t.measure('level-1', 'level', 43);
    expect(t.seen).toHaveLength(1); // the same fault, still active
    expect(t.stats.counter('rules.unit_mismatch', { source: 'level-1' })).toBe(2);
    const fresh = setup();
    off = () => {
      t.off();
      fresh.off();
    };
    fresh.measure('level-1', 'level', 43);
    expect(fresh.seen[0]!.text.en).toContain('unit (none) does not convert');
  });

  it('compares a value in another unit after converting it, and shows it in the rule\'s unit', () => {
    const t = setup();
    off = t.off;
    t.measure('level-1', 'level', 0.42, 'm');
    const alarm = t.seen.find((c) => c.rule === 'water_alarm')!;
    expect(alarm).toMatchObject({ active: true, value: 42, class: 'water_level' });
    expect(alarm.text.zh).toContain('液位 42 cm');
  });

  it('shows the value for threshold rules but not for a state, takes the class of the point, and names the device when the rule has no point', () => {
    const t = setup();
    off = t.off;
    t.measure('smoke-1', 'smoke_alarm', 'smoke');
    const smoke = t.seen.find((c) => c.rule === 'smoke')!;
    expect(smoke).toMatchObject({ class: 'smoke', active: true });
    expect(smoke.text.zh).toContain('烟雾报警');
    expect(smoke.text.zh).not.toContain('smoke');
    t.clock.advance(180_000);
    t.engine.tick();
    const silent = t.seen.find((c) => c.alarmId === 'level-1._.silent')!;
    expect(silent.text.zh).toContain('投入式液位变送器');
    expect(silent.text.en).toContain('Submersible level transmitter');
  });
});
