// An alarm flood from one gateway (issue 13 item 11), in the township workflow store on both engines:
// past its flood policy's cases within the window, a gateway's new alarms join one flood case, counted,
// at the highest level seen and with a bounded alarm list; the same alarm raised over and over stays
// one case, counted; another gateway's alarm still opens its own case on the board; the flood's clears
// reach the flood case; once the window has passed, a new alarm opens its own case again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EVENTS_LOADED } from '../../cloud-ingest/alarms/case-rows.js';
import { buildPolicy } from '../../cloud-ingest/alarms/policy.js';
import { CaseStore, FLOOD_SOURCE, MAX_FLOOD_ALARMS } from '../../cloud-ingest/alarms/store.js';
import type { AlarmCase } from '../../cloud-ingest/alarms/types.js';
import { alarmEvent } from '../cloud-ingest/fixture.js';
import { ENGINES, Engines } from '../cloud-ingest/workflow/engines.js';

const engines = new Engines();
beforeAll(() => engines.start(), 60_000);
afterAll(() => engines.stop());

const flooder = { gateway: 'gw-flood', township: 'town-1', compound: 'c-1' };
const neighbour = { gateway: 'gw-next', township: 'town-1', compound: 'c-2' };
const MAX_NEW = 5;

describe.each(ENGINES)('alarm flood on %s', (engine) => {
  let clock = 5_000_000;
  const now = () => clock;

  it('groups one gateway\'s flood into one counted case and keeps the neighbour\'s alarm on the board', async () => {
    const store = new CaseStore(await engines.db(engine, now), buildPolicy({}, 300, { maxNewCases: MAX_NEW, windowMs: 60_000 }), { now });
    const opened: AlarmCase[] = [];
    store.changes.on('opened', (c) => opened.push(c));
    const sources = 120;
    for (let i = 0; i < sources; i++) {
      // Fire on the last one: the flood case takes the highest level seen.
      await store.addEvent(flooder, alarmEvent({ eventId: `f-${i}`, alarmId: `smoke-${i}:smoke`, source: `smoke-${i}`, level: i === sources - 1 ? 'fire' : 'alarm' }));
    }
    // The same alarm raised 200 times (cleared in between): one case, counted.
    for (let i = 0; i < 200; i++) {
      clock++;
      await store.addEvent(flooder, alarmEvent({ eventId: `same-${i}`, alarmId: 'smoke-0:smoke', source: 'smoke-0', level: 'alarm' }));
      await store.addEvent(flooder, alarmEvent({ eventId: `same-clear-${i}`, alarmId: 'smoke-0:smoke', source: 'smoke-0', level: 'alarm', transition: 'clear', state: 'cleared' }));
    }
    await store.addEvent(neighbour, alarmEvent({ eventId: 'n-1', alarmId: 'water-1:level', source: 'water-1', level: 'alarm' }));

    const board = await store.listOpen('town-1');
    const mine = board.filter((c) => c.gateway === flooder.gateway);
    const flood = mine.filter((c) => c.source === FLOOD_SOURCE);
    expect(flood).toHaveLength(1);
    expect(mine).toHaveLength(MAX_NEW + 1);
    expect(flood[0]!.raiseCount).toBe(sources - MAX_NEW);
    expect(flood[0]!.level).toBe('fire');
    expect(flood[0]!.alarms.length).toBeLessThanOrEqual(MAX_FLOOD_ALARMS);
    expect(flood[0]!.text.zh).toMatch(new RegExp(`报警过多：${sources - MAX_NEW} 条`));
    expect(flood[0]!.text.en).toMatch(new RegExp(`${sources - MAX_NEW} alarms grouped`));
    const same = mine.find((c) => c.source === 'smoke-0')!;
    expect(same.raiseCount).toBe(201);
    // Loaded on every event it gets: only its newest events come with it, the newest last.
    const loaded = (await store.get(same.caseId))!.events;
    expect(loaded).toHaveLength(MAX_EVENTS_LOADED);
    expect(loaded.at(-1)!.eventId).toBe('same-clear-199');
    // Every case opened once: the flood notified once, not once per alarm.
    expect(opened.filter((c) => c.gateway === flooder.gateway)).toHaveLength(MAX_NEW + 1);
    expect(board.find((c) => c.gateway === neighbour.gateway)).toMatchObject({ source: 'water-1', level: 'alarm' });

    // A flooded alarm's clear reaches the flood case.
    const listed = flood[0]!.alarms[0]!;
    await store.addEvent(flooder, alarmEvent({ eventId: 'f-clear', alarmId: listed.alarmId, source: listed.alarmId.split(':')[0]!, transition: 'clear', state: 'cleared' }));
    expect((await store.get(flood[0]!.caseId))!.alarms.find((a) => a.alarmId === listed.alarmId)?.state).toBe('cleared');

    // Past the window the gateway's new alarm opens a case of its own again.
    clock += 61_000;
    const later = await store.addEvent(flooder, alarmEvent({ eventId: 'after', alarmId: 'door-9:open', source: 'door-9', level: 'alarm' }));
    expect(later?.source).toBe('door-9');
    store.close();
  }, 120_000);
});
