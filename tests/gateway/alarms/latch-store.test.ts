import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alarmSettings } from '../../../config/sections/rules.js';
import { AlarmEngine } from '../../../gateway/alarms/engine.js';
import { LatchStore } from '../../../gateway/alarms/latch-store.js';
import { EventBus } from '../../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../../gateway/pipeline/events.js';
import type { AlarmEvent } from '../../../gateway/pipeline/types.js';
import { silentLogger } from '../../../contract/logger.js';
import { Stats } from '../../../contract/stats.js';
import { tempDir } from '../../helpers/peers.js';
import { waitFor } from '../../helpers/wait.js';
import { ManualClock } from '../rules/site.js';
import { smokeCondition } from './conditions.js';

const dir = tempDir('latch-store');
afterAll(() => dir.remove());

function engineWith(file: string) {
  const events = new EventBus<GatewayEvents>((event, error) => {
    throw new Error(`${event}: ${String(error)}`);
  });
  const stats = new Stats();
  const store = new LatchStore(file, silentLogger(), stats);
  const engine = new AlarmEngine({ events, clock: new ManualClock(), log: silentLogger(), stats, gatewayId: 'gw-1', gatewayTags: {}, settings: alarmSettings.parse({}), store });
  const seen: AlarmEvent[] = [];
  events.on('alarm', (e) => seen.push(e));
  return { engine, store, stats, seen };
}


describe('latched alarms across a restart', () => {
  it('restores a latched fire alarm (waiting for reset) and announces it again', () => {
    const file = join(dir.path, 'a.json');
    const before = engineWith(file);
    before.engine.condition(smokeCondition(true));
    before.engine.condition(smokeCondition(false));
    before.store.flush();

    const after = engineWith(file);
    after.engine.restore();
    expect(after.seen).toEqual([expect.objectContaining({ transition: 'raise', state: 'raised', alarmId: 'smoke-1.smoke_alarm.smoke', level: 'fire' })]);
    expect(after.engine.alarms()[0]).toMatchObject({ latch: true, conditionActive: false });
    // Reset works at once (the condition is not known to be active) and the file empties.
    after.engine.command({ kind: 'reset', alarmId: 'smoke-1.smoke_alarm.smoke', by: 'console' });
    after.store.flush();
    expect(JSON.parse(readFileSync(file, 'utf8')).alarms).toEqual([]);
  });

  it('keeps the acknowledged state through a restart', () => {
    const file = join(dir.path, 'b.json');
    const before = engineWith(file);
    before.engine.condition(smokeCondition(true));
    before.engine.command({ kind: 'acknowledge', alarmId: 'smoke-1.smoke_alarm.smoke', by: 'button:b1' });
    before.store.flush();
    const after = engineWith(file);
    after.engine.restore();
    expect(after.seen[0]).toMatchObject({ transition: 'acknowledge', state: 'acknowledged', by: 'button:b1' });
  });

  it('starts empty on a damaged file and counts it; a missing folder only costs persistence', () => {
    const file = join(dir.path, 'c.json');
    writeFileSync(file, '{"format":1,"alarms":[{"alarm');
    const t = engineWith(file);
    t.engine.restore();
    expect(t.seen).toEqual([]);
    expect(t.stats.counter('alarms.latch_store_error', { op: 'parse' })).toBe(1);

    const missing = engineWith(join(dir.path, 'no-such-folder', 'latched.json'));
    missing.engine.condition(smokeCondition(true));
    missing.store.flush();
    expect(missing.stats.counter('alarms.latch_store_error', { op: 'write' })).toBe(1);
    expect(missing.seen).toHaveLength(1);
  });

  it('saves by itself after the transition, again after each later one, and keeps only latched alarms that are not tests', async () => {
    const file = join(dir.path, 'd.json');
    const t = engineWith(file);
    t.engine.condition(smokeCondition(true, { level: 'alarm' }));
    const saved = () => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { format: number; alarms: { alarmId: string; state: string }[] }) : undefined);
    // No flush(): the store writes once the event has gone out.
    await waitFor('the latched alarm saved', () => saved()?.alarms.length === 1, 10_000, saved);
    expect(saved()).toMatchObject({ format: 1, alarms: [{ alarmId: 'smoke-1.smoke_alarm.smoke', state: 'raised' }] });
    // A non-latched alarm and a test alarm are not kept; the next latched alarm is saved beside the first.
    t.engine.condition(smokeCondition(true, { alarmId: 'level-1.level.water', source: 'level-1', latch: false }));
    t.engine.command({ kind: 'test_alarm', by: 'console', level: 'fire', forMs: 60_000 });
    t.engine.condition(smokeCondition(true, { alarmId: 'smoke-2.smoke_alarm.smoke', source: 'smoke-2' }));
    await waitFor('the second latched alarm saved', () => saved()?.alarms.length === 2, 10_000, saved);
    expect(saved()!.alarms.map((a) => a.alarmId)).toEqual(['smoke-1.smoke_alarm.smoke', 'smoke-2.smoke_alarm.smoke']);
    // Nothing pending: a flush (as on stop) leaves the file as it is.
    t.store.flush();
    expect(saved()!.alarms).toHaveLength(2);
  });

  it('writes nothing while only alarms that do not latch change', () => {
    const file = join(dir.path, 'e.json');
    const t = engineWith(file);
    t.engine.condition(smokeCondition(true, { latch: false }));
    t.engine.condition(smokeCondition(false, { latch: false }));
    t.store.flush();
    expect(existsSync(file)).toBe(false);
    expect(t.seen).toHaveLength(2);
  });

  it('restores only well-formed raised or acknowledged entries, once, and refuses another format', () => {
    const file = join(dir.path, 'f.json');
    const entry = (alarmId: unknown, state: string) => ({ alarmId, source: 'smoke-1', point: 'smoke_alarm', rule: 'smoke', level: 'fire', state, value: 'smoke', text: { zh: '烟雾', en: 'smoke' }, tags: {}, raisedTs: 1, acknowledgedBy: undefined });
    writeFileSync(file, JSON.stringify({ format: 1, alarms: [entry('a', 'raised'), entry('b', 'acknowledged'), entry('c', 'cleared'), entry(7, 'raised')] }));
    const t = engineWith(file);
    t.engine.restore();
    t.engine.restore();
    expect(t.seen.map((e) => `${e.alarmId}:${e.transition}`)).toEqual(['a:raise', 'b:acknowledge']);
    // A restored alarm is real, not a test: reset waits for its condition like any other.
    expect(t.engine.get('a')).toMatchObject({ test: false, latch: true, conditionActive: false });
    // Raised before the restart, restored after an alarm of its level raised since: it is listed first.
    const restored = engineWith(file);
    restored.engine.condition(smokeCondition(true, { alarmId: 'z', latch: false }));
    restored.engine.restore();
    expect(restored.engine.alarms().map((a) => a.alarmId)).toEqual(['a', 'b', 'z']);

    for (const [name, body] of [['g.json', { format: 2, alarms: [entry('a', 'raised')] }], ['h.json', { format: 1, alarms: { a: entry('a', 'raised') } }]] as const) {
      writeFileSync(join(dir.path, name), JSON.stringify(body));
      const other = engineWith(join(dir.path, name));
      other.engine.restore();
      expect(other.seen).toEqual([]);
      expect(other.stats.counter('alarms.latch_store_error', { op: 'parse' })).toBe(1);
    }
  });

  it('starts empty without a file (not an error), and counts a file that cannot be read', () => {
    const none = engineWith(join(dir.path, 'never-written.json'));
    none.engine.restore();
    expect(none.seen).toEqual([]);
    expect(none.engine.alarms()).toEqual([]);
    expect(none.stats.counter('alarms.latch_store_error', { op: 'read' })).toBe(0);
    const folder = join(dir.path, 'a-folder.json');
    mkdirSync(folder);
    const unreadable = engineWith(folder);
    unreadable.engine.restore();
    expect(unreadable.seen).toEqual([]);
    expect(unreadable.stats.counter('alarms.latch_store_error', { op: 'read' })).toBe(1);
  });
});
