import { describe, expect, it } from 'vitest';
import { alarmSettings } from '../../../config/sections/rules.js';
import { AlarmEngine } from '../../../gateway/alarms/engine.js';
import { EventBus } from '../../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../../gateway/pipeline/events.js';
import type { AlarmEvent } from '../../../gateway/pipeline/types.js';
import type { RuleCondition } from '../../../gateway/rules/condition.js';
import { silentLogger } from '../../../contract/logger.js';
import { Stats } from '../../../contract/stats.js';
import { ManualClock } from '../rules/site.js';
import { smokeCondition } from './conditions.js';

function setup(settings: Record<string, unknown> = {}) {
  const events = new EventBus<GatewayEvents>((event, error) => {
    throw new Error(`${event}: ${String(error)}`);
  });
  const clock = new ManualClock();
  const stats = new Stats();
  const engine = new AlarmEngine({ events, clock, log: silentLogger(), stats, gatewayId: 'gw-1', gatewayTags: { gateway: 'gw-1' }, settings: alarmSettings.parse(settings) });
  const seen: AlarmEvent[] = [];
  events.on('alarm', (e) => seen.push(e));
  const transitions = () => seen.map((e) => `${e.transition}:${e.state}`);
  return { engine, clock, stats, seen, transitions };
}


const water = (active: boolean, extra: Partial<RuleCondition> = {}): RuleCondition => ({ ...smokeCondition(active), alarmId: 'level-1.level.water_alarm', source: 'level-1', point: 'level', rule: 'water_alarm', level: 'alarm', latch: false, value: 42, ...extra });

describe('alarm engine', () => {
  it('runs raise → acknowledge → clear, each transition an event with a unique event id', () => {
    const t = setup();
    t.engine.condition(water(true));
    t.engine.command({ kind: 'acknowledge', alarmId: 'level-1.level.water_alarm', by: 'township:zhang' });
    t.engine.condition(water(false));
    expect(t.transitions()).toEqual(['raise:raised', 'acknowledge:acknowledged', 'clear:cleared']);
    expect(new Set(t.seen.map((e) => e.eventId)).size).toBe(3);
    expect(t.seen.every((e) => e.alarmId === 'level-1.level.water_alarm')).toBe(true);
    expect(t.seen[1]!.by).toBe('township:zhang');
    expect(t.engine.alarms()).toEqual([]);
  });

  it('does not raise twice for a condition that repeats', () => {
    const t = setup();
    t.engine.condition(water(true));
    t.engine.condition(water(true));
    expect(t.transitions()).toEqual(['raise:raised']);
  });

  it('keeps a latching fire alarm after the smoke clears, until reset; reset is refused while smoke is present', () => {
    const t = setup();
    t.engine.condition(smokeCondition(true));
    t.engine.command({ kind: 'reset', alarmId: 'smoke-1.smoke_alarm.smoke', by: 'console' });
    expect(t.stats.counter('alarms.reset_refused', { source: 'smoke-1' })).toBe(1);
    t.engine.condition(smokeCondition(false));
    expect(t.engine.alarms()).toMatchObject([{ alarmId: 'smoke-1.smoke_alarm.smoke', state: 'raised', conditionActive: false }]);
    t.engine.command({ kind: 'reset', alarmId: 'smoke-1.smoke_alarm.smoke', by: 'console' });
    expect(t.transitions()).toEqual(['raise:raised', 'reset:cleared']);
    expect(t.engine.alarms()).toEqual([]);
  });

  it('re-sounds an acknowledged latched alarm when its condition comes back', () => {
    const t = setup();
    t.engine.condition(smokeCondition(true));
    t.engine.command({ kind: 'acknowledge', alarmId: 'smoke-1.smoke_alarm.smoke', by: 'button:b1' });
    t.engine.condition(smokeCondition(false));
    t.engine.condition(smokeCondition(true));
    expect(t.transitions()).toEqual(['raise:raised', 'acknowledge:acknowledged', 'raise:raised']);
  });

  it('silences for a limited time while the alarm stays active, then sounds again', () => {
    const t = setup();
    t.engine.condition(water(true));
    t.engine.command({ kind: 'silence', alarmId: undefined, by: 'button:b1', forMs: 60_000 });
    expect(t.engine.alarms()[0]).toMatchObject({ state: 'raised', silenced: true });
    t.clock.advance(59_999);
    t.engine.tick();
    expect(t.engine.alarms()[0]!.silenced).toBe(true);
    t.clock.advance(1);
    t.engine.tick();
    expect(t.transitions()).toEqual(['raise:raised', 'silence:raised', 'unsilence:raised']);
    expect(t.engine.alarms()[0]!.silenced).toBe(false);
  });

  it('a new alarm during a silence is not silenced', () => {
    const t = setup();
    t.engine.condition(water(true));
    t.engine.command({ kind: 'silence', alarmId: undefined, by: 'console', forMs: 0 }); // 0 = site default (15 min)
    t.engine.condition(smokeCondition(true));
    const byId = new Map(t.engine.alarms().map((a) => [a.alarmId, a]));
    expect(byId.get('level-1.level.water_alarm')!.silenced).toBe(true);
    expect(byId.get('smoke-1.smoke_alarm.smoke')!.silenced).toBe(false);
    // Fire first: the current set is ordered by level.
    expect(t.engine.alarms()[0]!.level).toBe('fire');
    t.clock.advance(15 * 60_000);
    t.engine.tick();
    expect(t.seen.at(-1)).toMatchObject({ transition: 'unsilence', alarmId: 'level-1.level.water_alarm' });
  });

  it('silence expiry uses the monotonic clock (a wall-clock jump does not end it)', () => {
    const t = setup();
    t.engine.condition(water(true));
    t.engine.command({ kind: 'silence', alarmId: 'level-1.level.water_alarm', by: 'console', forMs: 60_000 });
    t.clock.wall += 3_600_000;
    t.engine.tick();
    expect(t.engine.alarms()[0]!.silenced).toBe(true);
  });

  it('escalates when a combination rule raises while a member alarm is active', () => {
    const t = setup();
    t.engine.condition(water(true));
    t.engine.condition({ ...smokeCondition(true), alarmId: 'smoke-1._.smoke_and_water', rule: 'smoke_and_water', point: undefined, kind: 'combination', members: ['level-1.level.water_alarm', 'smoke-1.smoke_alarm.smoke'] });
    expect(t.seen.at(-1)).toMatchObject({ transition: 'escalate', level: 'fire', state: 'raised' });
  });

  it('holds back alarms inside a suppression window and raises them when it closes if still active', () => {
    const t = setup();
    const start = new Date(t.clock.wall - 1000).toISOString();
    const end = new Date(t.clock.wall + 60_000).toISOString();
    t.engine.condition(water(true, { suppress: [{ start, end, reason: 'pump maintenance' }] }));
    expect(t.seen).toEqual([]);
    expect(t.stats.counter('alarms.suppressed', { source: 'level-1', rule: 'water_alarm' })).toBe(1);
    t.clock.advance(30_000);
    t.engine.tick();
    expect(t.seen).toEqual([]);
    t.clock.advance(31_000);
    t.engine.tick();
    expect(t.transitions()).toEqual(['raise:raised']);
  });

  it('applies site-wide windows by level, and drops a held alarm whose condition ends inside the window', () => {
    // A daily window covering the whole day (read in the system zone, so the test does not depend on TZ).
    const t = setup({ suppress: [{ window: { from: '00:00', to: '23:59', reason: 'fire drill' }, levels: ['fire'] }] });
    t.engine.condition(smokeCondition(true));
    t.engine.condition(water(true)); // level "alarm": not covered by the fire-only window
    t.engine.condition(smokeCondition(false));
    t.clock.advance(24 * 3_600_000);
    t.engine.tick();
    expect(t.seen.map((e) => e.alarmId)).toEqual(['level-1.level.water_alarm']);
  });

  it('never suppresses while the wall clock is not synced', () => {
    const t = setup({ suppress: [{ window: { from: '00:00', to: '23:59', reason: 'drill' } }] });
    t.clock.isSynced = false;
    t.engine.condition(smokeCondition(true));
    expect(t.transitions()).toEqual(['raise:raised']);
  });

  it('runs a test alarm that is marked as a test and clears itself', () => {
    const t = setup();
    t.engine.command({ kind: 'test_alarm', by: 'township:li', level: 'fire', forMs: 10_000 });
    expect(t.seen[0]).toMatchObject({ transition: 'raise', alarmId: 'gw-1._.test_alarm', rule: 'test_alarm', level: 'fire', by: 'township:li' });
    expect(t.seen[0]!.text.zh).toContain('测试');
    expect(t.engine.alarms()[0]!.test).toBe(true);
    t.clock.advance(10_000);
    t.engine.tick();
    expect(t.transitions()).toEqual(['raise:raised', 'clear:cleared']);
  });

  it('counts commands for alarms that do not exist instead of failing', () => {
    const t = setup();
    t.engine.command({ kind: 'acknowledge', alarmId: 'nope._.x', by: 'console' });
    expect(t.stats.counter('alarms.unknown_command_target', { action: 'acknowledge' })).toBe(1);
    expect(t.seen).toEqual([]);
  });
});

describe('alarm engine: commands, repeats and expiry', () => {
  const waterId = 'level-1.level.water_alarm';
  const smokeId = 'smoke-1.smoke_alarm.smoke';

  it('acknowledges only a raised alarm, and counts each transition by kind and level', () => {
    const t = setup();
    t.engine.condition(water(true));
    t.engine.command({ kind: 'acknowledge', alarmId: waterId, by: 'console' });
    t.engine.command({ kind: 'acknowledge', alarmId: waterId, by: 'township:zhang' });
    expect(t.transitions()).toEqual(['raise:raised', 'acknowledge:acknowledged']);
    expect(t.engine.get(waterId)).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'console' });
    expect(t.engine.get('nope._.x')).toBeUndefined();
    expect(t.stats.counter('alarms.unknown_command_target', { action: 'acknowledge' })).toBe(0);
    expect(t.stats.counter('alarms.transition', { transition: 'raise', level: 'alarm' })).toBe(1);
    expect(t.stats.counter('alarms.transition', { transition: 'acknowledge', level: 'alarm' })).toBe(1);
  });

  it('an acknowledged alarm that does not latch stays acknowledged while its condition repeats', () => {
    const t = setup();
    t.engine.condition(water(true));
    t.engine.command({ kind: 'acknowledge', alarmId: waterId, by: 'console' });
    t.engine.condition(water(true, { value: 43 }));
    expect(t.transitions()).toEqual(['raise:raised', 'acknowledge:acknowledged']);
    expect(t.engine.get(waterId)).toMatchObject({ state: 'acknowledged', value: 43 });
  });

  it('a latched alarm whose condition comes back counts as active again: reset is refused', () => {
    const t = setup();
    t.engine.condition(smokeCondition(true));
    t.engine.condition(smokeCondition(false, { value: undefined }));
    // A condition without a value keeps the last one seen.
    expect(t.engine.get(smokeId)).toMatchObject({ conditionActive: false, value: 'smoke' });
    t.engine.condition(smokeCondition(true, { value: undefined }));
    expect(t.engine.get(smokeId)).toMatchObject({ conditionActive: true, value: 'smoke', state: 'raised' });
    t.engine.command({ kind: 'reset', alarmId: smokeId, by: 'console' });
    expect(t.stats.counter('alarms.reset_refused', { source: 'smoke-1' })).toBe(1);
    expect(t.transitions()).toEqual(['raise:raised']);
  });

  it('silences one alarm by id, for the default time when none is given; an unknown id silences nothing', () => {
    const t = setup();
    t.engine.condition(water(true));
    t.engine.condition(smokeCondition(true));
    t.engine.command({ kind: 'silence', alarmId: waterId, by: 'console', forMs: 0 });
    t.engine.command({ kind: 'silence', alarmId: 'nope._.x', by: 'console', forMs: 60_000 });
    expect(t.stats.counter('alarms.unknown_command_target', { action: 'silence' })).toBe(1);
    expect(t.engine.get(waterId)!.silenced).toBe(true);
    expect(t.engine.get(smokeId)!.silenced).toBe(false);
    expect(t.seen.filter((e) => e.transition === 'silence').map((e) => e.alarmId)).toEqual([waterId]);
    // 0 means the site's silenceFor (15 min), not "no silence".
    t.clock.advance(15 * 60_000 - 1);
    t.engine.tick();
    expect(t.engine.get(waterId)!.silenced).toBe(true);
    t.clock.advance(1);
    t.engine.tick();
    expect(t.engine.get(waterId)!.silenced).toBe(false);
  });

  it('a reset for an alarm that is not active is counted and changes nothing', () => {
    const t = setup();
    t.engine.condition(water(true));
    t.engine.command({ kind: 'reset', alarmId: 'nope._.x', by: 'console' });
    expect(t.stats.counter('alarms.unknown_command_target', { action: 'reset' })).toBe(1);
    expect(t.transitions()).toEqual(['raise:raised']);
  });

  it('holds a repeated suppressed condition once, and site windows apply to the sources they name only', () => {
    const windowAllDay = { window: { from: '00:00', to: '23:59', reason: 'pump maintenance' } };
    const t = setup({ suppress: [{ ...windowAllDay, sources: ['level-1'] }, { ...windowAllDay, sources: ['level-9'] }] });
    t.engine.condition(water(true));
    t.engine.condition(water(true));
    expect(t.stats.counter('alarms.suppressed', { source: 'level-1', rule: 'water_alarm' })).toBe(1);
    t.engine.condition(smokeCondition(true));
    expect(t.seen.map((e) => e.alarmId)).toEqual([smokeId]);
  });

  it('a new test alarm ends the one before it; a test alarm neither latches nor waits for a condition', () => {
    const t = setup();
    t.engine.command({ kind: 'test_alarm', by: 'township:li', level: 'fire', forMs: 10_000 });
    expect(t.engine.get('gw-1._.test_alarm')).toMatchObject({ latch: false, conditionActive: false, silenced: false, test: true, source: 'gw-1', tags: { gateway: 'gw-1' } });
    t.clock.advance(9_999);
    t.engine.tick();
    expect(t.engine.alarms()).toHaveLength(1);
    t.engine.command({ kind: 'test_alarm', by: 'console', level: 'alarm', forMs: 10_000 });
    expect(t.transitions()).toEqual(['raise:raised', 'clear:cleared', 'raise:raised']);
    expect(t.seen[1]).toMatchObject({ by: 'console', level: 'fire' });
    // The second one runs its own 10 s from when it was started.
    t.clock.advance(9_999);
    t.engine.tick();
    expect(t.engine.get('gw-1._.test_alarm')).toMatchObject({ level: 'alarm' });
    t.clock.advance(1);
    t.engine.tick();
    expect(t.engine.alarms()).toEqual([]);
  });

  it('orders alarms of one level by the time they were raised', () => {
    const t = setup();
    t.engine.condition(water(true));
    t.clock.advance(1_000);
    t.engine.condition(water(true, { alarmId: 'level-2.level.water_alarm', source: 'level-2' }));
    t.clock.advance(1_000);
    t.engine.condition(water(true, { alarmId: 'level-0.level.water_alarm', source: 'level-0' }));
    expect(t.engine.alarms().map((a) => a.source)).toEqual(['level-1', 'level-2', 'level-0']);
  });

  it('restores nothing, and does not fail, without a store', () => {
    const t = setup();
    t.engine.restore();
    expect(t.seen).toEqual([]);
  });
});
