// The alarm stage (gateway/alarms/stage.ts): wires the engine to rule conditions and commands, ticks it
// on its own timer, provides it as a service while running, keeps latched alarms next to the spool unless
// the site names a file, brings them back on start and writes them on stop.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AlarmStage } from '../../../gateway/alarms/stage.js';
import { emitCondition } from '../../../gateway/rules/condition.js';
import type { AlarmEvent } from '../../../gateway/pipeline/types.js';
import { tempDir } from '../../helpers/peers.js';
import { testContext } from '../../helpers/runtime-context.js';
import { waitFor } from '../../helpers/wait.js';
import { ManualClock, loadTestSite, SITE_YAML } from '../rules/site.js';
import { smokeCondition } from './conditions.js';

const dir = tempDir('alarm-stage');
afterAll(() => dir.remove());

function stageWith(extraYaml: string) {
  const { loaded } = loadTestSite(`${SITE_YAML}${extraYaml}`);
  const clock = new ManualClock();
  const context = testContext(loaded, { clock });
  const stage = new AlarmStage(context);
  const seen: AlarmEvent[] = [];
  context.events.on('alarm', (e) => seen.push(e));
  return { stage, context, clock, seen };
}

describe('alarm stage', () => {
  it('raises from rule conditions, takes commands, ticks by itself, and lets go of everything on stop', async () => {
    const spoolDir = join(dir.path, 'spool-a');
    mkdirSync(spoolDir);
    const t = stageWith(`spool: { dir: ${spoolDir} }\n`);
    t.stage.start();
    expect(t.context.services.get('alarmEngine')).toBe(t.stage.engine);
    emitCondition(t.context.events, smokeCondition(true));
    t.context.events.emit('command', { kind: 'test_alarm', by: 'console', level: 'alarm', forMs: 1_000 });
    expect(t.seen.map((e) => `${e.rule}:${e.transition}`)).toEqual(['smoke:raise', 'test_alarm:raise']);
    expect(t.seen[1]).toMatchObject({ source: 'gw-1', tags: { township: 'tw', compound: 'c1', gateway: 'gw-1', source: 'gw-1' } });
    // The test alarm runs out on the stage's own timer, nothing else calls tick().
    t.clock.advance(1_000);
    await waitFor('the test alarm cleared by the stage timer', () => t.seen.some((e) => e.rule === 'test_alarm' && e.transition === 'clear'), 10_000, () => t.seen.map((e) => e.transition));
    t.stage.stop();
    // Written at stop, into the spool folder by default.
    const file = join(spoolDir, 'latched-alarms.json');
    expect((JSON.parse(readFileSync(file, 'utf8')) as { alarms: { alarmId: string }[] }).alarms.map((a) => a.alarmId)).toEqual(['smoke-1.smoke_alarm.smoke']);
    expect(t.context.services.get('alarmEngine')).toBeUndefined();
    const count = t.seen.length;
    emitCondition(t.context.events, smokeCondition(true, { alarmId: 'smoke-2.smoke_alarm.smoke', source: 'smoke-2' }));
    t.context.events.emit('command', { kind: 'reset', alarmId: 'smoke-1.smoke_alarm.smoke', by: 'console' });
    expect(t.seen).toHaveLength(count);
  });

  it('restores the latched alarms of the site\'s own file when it starts', () => {
    const file = join(dir.path, 'own-latched.json');
    const before = stageWith(`alarms: { latchFile: ${file} }\n`);
    before.stage.start();
    emitCondition(before.context.events, smokeCondition(true));
    before.stage.stop();
    expect(existsSync(file)).toBe(true);

    const after = stageWith(`alarms: { latchFile: ${file} }\n`);
    after.stage.start();
    expect(after.seen).toEqual([expect.objectContaining({ alarmId: 'smoke-1.smoke_alarm.smoke', transition: 'raise', state: 'raised' })]);
    after.stage.stop();
  });

  it('starts empty on a damaged file, counted in the stage\'s stats', () => {
    const file = join(dir.path, 'damaged.json');
    writeFileSync(file, 'not json');
    const t = stageWith(`alarms: { latchFile: ${file} }\n`);
    t.stage.start();
    expect(t.seen).toEqual([]);
    expect(t.context.stats.counter('alarms.latch_store_error', { op: 'parse' })).toBe(1);
    t.stage.stop();
  });
});
