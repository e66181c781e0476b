import { readFileSync, writeFileSync } from 'node:fs';
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
});
