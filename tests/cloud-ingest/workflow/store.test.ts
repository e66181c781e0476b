// The workflow store, one suite run against both engines (embedded SQLite and a real PostgreSQL 15):
// versioned migrations, idempotent events, one case per occurrence, grouping, the gateway's state,
// test alarms, the per-level workflow, optimistic conflicts, and the JSON-lines import.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS, schemaVersion } from '../../../cloud-ingest/db/migrations.js';
import { openDatabase } from '../../../cloud-ingest/db/open.js';
import { importJsonLines } from '../../../cloud-ingest/alarms/import-jsonl.js';
import { buildPolicy } from '../../../cloud-ingest/alarms/policy.js';
import { CaseStore, ConflictError, InvalidEventError, WorkflowError } from '../../../cloud-ingest/alarms/store.js';
import type { AlarmCase } from '../../../cloud-ingest/alarms/types.js';
import { silentLogger } from '../../../contract/logger.js';
import { tempDir } from '../../helpers/peers.js';
import { alarmEvent } from '../fixture.js';
import { ENGINES, Engines } from './engines.js';

const engines = new Engines();
beforeAll(() => engines.start(), 60_000);
afterAll(() => engines.stop());

const gw = { gateway: 'gw-a', township: 'town-1', compound: 'compound-a' };

describe.each(ENGINES)('workflow store on %s', (engine) => {
  let clock = 1_000_000;
  const now = () => clock;
  const store = async (groupWindowS = 300) => new CaseStore(await engines.db(engine, now), buildPolicy({}, groupWindowS), { now });

  it('applies versioned migrations once, and upgrades an older schema', async () => {
    const db = await engines.db(engine, now, { migrate: false });
    expect(await migrate(db, now, 1)).toEqual([1]);
    expect(await schemaVersion(db)).toBe(1);
    expect(await migrate(db, now)).toEqual(MIGRATIONS.slice(1).map((m) => m.version));
    expect(await migrate(db, now)).toEqual([]);
    expect(await schemaVersion(db)).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
    // Version 2's table exists only after the upgrade.
    expect(await db.all('SELECT * FROM notifications')).toEqual([]);
  });

  it('refuses a schema newer than this cloud-ingest knows', async () => {
    const dir = tempDir('newer-schema');
    const settings = engine === 'sqlite' ? { poolSize: 1 } : { url: (await engines.settings('postgres')).url, poolSize: 2 };
    const db = await openDatabase(settings, dir.path, silentLogger(), now);
    await db.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [99, 'from the future', clock]);
    await db.close();
    await expect(openDatabase(settings, dir.path, silentLogger(), now)).rejects.toThrow(new RegExp(`schema is version 99, newer than this cloud-ingest knows \\(${MIGRATIONS[MIGRATIONS.length - 1]!.version}\\)`));
    dir.remove();
  });

  it('stores an event once however often it is resent, and counts re-raises with first and last times', async () => {
    const s = await store();
    const raise = alarmEvent({ eventId: 'e1', alarmId: 'smoke-1/smoke' });
    const first = await s.addEvent(gw, raise);
    expect(first?.caseId).toBe('gw-a.e1');
    expect(await s.addEvent(gw, raise)).toBeUndefined();
    clock += 5000;
    await s.addEvent(gw, alarmEvent({ eventId: 'e2', alarmId: 'smoke-1/smoke', transition: 'clear', state: 'cleared' }));
    clock += 5000;
    const again = (await s.addEvent(gw, alarmEvent({ eventId: 'e3', alarmId: 'smoke-1/smoke' })))!;
    expect(again.caseId).toBe('gw-a.e1');
    expect([again.raiseCount, again.firstRaisedAt, again.lastRaisedAt, again.openedAt]).toEqual([2, clock - 10_000, clock, clock - 10_000]);
    expect(again.events.map((e) => e.eventId)).toEqual(['e1', 'e2', 'e3']);
    expect(again.gatewayState).toBe('alarming');
  });

  it('refuses an event it cannot file, naming the field, and stores nothing', async () => {
    const s = await store();
    await expect(s.addEvent(gw, alarmEvent({ eventId: 'bad1', alarmId: 'x/y', level: 'panic' as never }))).rejects.toThrow(InvalidEventError);
    await expect(s.addEvent(gw, alarmEvent({ eventId: 'bad2', alarmId: 'x/y', text: { zh: 5 } as never }))).rejects.toThrow(/bad2: text\.zh must be a string/);
    expect(await s.listOpen('town-1')).toEqual([]);
  });

  it('opens a new case for a raise after the case was closed', async () => {
    const s = await store();
    const c = (await s.addEvent(gw, alarmEvent({ eventId: 'w1', alarmId: 'th-1/temp', source: 'th-1', level: 'warning' })))!;
    await close(s, c);
    const next = (await s.addEvent(gw, alarmEvent({ eventId: 'w2', alarmId: 'th-1/temp', source: 'th-1', level: 'warning' })))!;
    expect(next.caseId).toBe('gw-a.w2');
    expect(next.raiseCount).toBe(1);
    expect((await s.get('gw-a.w1'))!.step).toBe('closed');
  });

  it("groups one source's related alarms within the window into one case with the highest level", async () => {
    const s = await store(120);
    const water = (id: string, alarmId: string, level: 'warning' | 'alarm') => alarmEvent({ eventId: id, alarmId, source: 'garage-level', level, text: { zh: `车库水位 ${level}`, en: `garage water ${level}` } });
    await s.addEvent(gw, water('g1', 'garage-level/warn', 'warning'));
    clock += 10_000;
    await s.addEvent(gw, water('g2', 'garage-level/high', 'alarm'));
    clock += 10_000;
    const c = (await s.addEvent(gw, water('g3', 'garage-level/rate', 'warning')))!;
    expect(c.caseId).toBe('gw-a.g1');
    expect(c.level).toBe('alarm');
    expect(c.text.en).toBe('garage water alarm');
    expect(c.alarms.map((a) => a.alarmId).sort()).toEqual(['garage-level/high', 'garage-level/rate', 'garage-level/warn']);
    expect((await s.listOpen('town-1')).filter((x) => x.source === 'garage-level')).toHaveLength(1);
    // Past the window, another alarm of the source is another occurrence.
    clock += 121_000;
    const later = (await s.addEvent(gw, water('g4', 'garage-level/other', 'warning')))!;
    expect(later.caseId).toBe('gw-a.g4');
  });

  it("shows the gateway's state: alarming, recovered (cleared), reset", async () => {
    const s = await store();
    const id = 'riser/smoke';
    await s.addEvent(gw, alarmEvent({ eventId: 'r1', alarmId: id, source: 'riser' }));
    expect((await s.addEvent(gw, alarmEvent({ eventId: 'r2', alarmId: id, source: 'riser', transition: 'reset', state: 'cleared' })))!.gatewayState).toBe('reset');
    expect((await s.addEvent(gw, alarmEvent({ eventId: 'r3', alarmId: id, source: 'riser' })))!.gatewayState).toBe('alarming');
    expect((await s.addEvent(gw, alarmEvent({ eventId: 'r4', alarmId: id, source: 'riser', transition: 'clear', state: 'cleared' })))!.gatewayState).toBe('recovered');
  });

  it('marks test alarms as tests, without deadlines, and closes them when the test ends', async () => {
    const s = await store();
    const test = (id: string, transition: 'raise' | 'clear') => alarmEvent({ eventId: id, alarmId: 'gw-a/test_alarm', source: 'gw-a', rule: 'test_alarm', level: 'fire', transition, state: transition === 'raise' ? 'raised' : 'cleared' });
    const c = (await s.addEvent(gw, test('t1', 'raise')))!;
    expect([c.isTest, c.dueAt]).toEqual([true, undefined]);
    const closed = (await s.addEvent(gw, test('t2', 'clear')))!;
    expect([closed.step, closed.cause, closed.steps.at(-1)?.by]).toEqual(['closed', 'test', 'system']);
  });

  it('takes fire through confirm → dispatch → handled → close, with deadlines per level and who acted when', async () => {
    const s = await store();
    const opened = clock;
    let c = (await s.addEvent(gw, alarmEvent({ eventId: 'f1', alarmId: 'smoke-2/smoke', source: 'smoke-2' })))!;
    expect([c.dueStep, c.dueAt]).toEqual(['confirmed', opened + 180_000]);
    await expect(s.step(c.caseId, { step: 'dispatched', to: '王队' }, 'li', c.version)).rejects.toThrow(WorkflowError);
    // Each step a while after the last, so every step's time and each deadline is told apart.
    clock += 60_000;
    c = await s.step(c.caseId, { step: 'confirmed', confirmation: 'real', method: 'video' }, 'li', c.version);
    expect([c.confirmation, c.confirmMethod, c.dueStep, c.dueAt]).toEqual(['real', 'video', 'dispatched', opened + 60_000 + 300_000]);
    clock += 120_000;
    c = await s.step(c.caseId, { step: 'dispatched', to: '微型消防站 王队' }, 'li', c.version);
    expect([c.assignee, c.dueStep, c.dueAt]).toEqual(['微型消防站 王队', 'handled', opened + 180_000 + 900_000]);
    clock += 600_000;
    await expect(s.step(c.caseId, { step: 'handled', note: ' ' }, 'wang', c.version)).rejects.toThrow(/note/);
    c = await s.step(c.caseId, { step: 'handled', note: '电缆井清理，已处置' }, 'wang', c.version);
    clock += 30_000;
    await expect(s.step(c.caseId, { step: 'closed', cause: 'false_alarm' }, 'li', c.version)).rejects.toThrow(/cause/);
    c = await s.step(c.caseId, { step: 'closed', cause: 'real_handled' }, 'li', c.version);
    expect(c.steps.map((x) => [x.step, x.by, x.at - opened])).toEqual([
      ['open', 'gateway:gw-a', 0],
      ['confirmed', 'li', 60_000],
      ['dispatched', 'li', 180_000],
      ['handled', 'wang', 780_000],
      ['closed', 'li', 810_000],
    ]);
    expect([c.cause, c.closedAt, c.dueAt]).toEqual(['real_handled', opened + 810_000, undefined]);
    // Read back from the database, the steps keep their times.
    expect((await s.get(c.caseId))!.steps.map((x) => x.at - opened)).toEqual([0, 60_000, 180_000, 780_000, 810_000]);
    expect((await s.archive('town-1', 'SMOKE-2')).map((x) => x.caseId)).toEqual([c.caseId]);
    expect(await s.archive('town-1', '%')).toEqual([]);
  });

  it('closes a fire confirmed as a false alarm without dispatch, with its cause', async () => {
    const s = await store();
    let c = (await s.addEvent(gw, alarmEvent({ eventId: 'k1', alarmId: 'kitchen/smoke', source: 'kitchen' })))!;
    c = await s.step(c.caseId, { step: 'confirmed', confirmation: 'false_alarm', method: 'phone' }, 'li', c.version);
    await expect(s.step(c.caseId, { step: 'dispatched', to: 'x' }, 'li', c.version)).rejects.toThrow(WorkflowError);
    await expect(s.step(c.caseId, { step: 'closed', cause: 'real_handled' }, 'li', c.version)).rejects.toThrow(/confirmed as false_alarm/);
    c = await s.step(c.caseId, { step: 'closed', cause: 'false_alarm', note: '厨房油烟' }, 'li', c.version);
    expect([c.step, c.cause, c.steps.at(-1)?.note]).toEqual(['closed', 'false_alarm', '厨房油烟']);
  });

  it('gives two officers acting on one case at once one success and one clear conflict', async () => {
    const s = await store();
    const c = (await s.addEvent(gw, alarmEvent({ eventId: 'x1', alarmId: 'meter/over', source: 'meter', level: 'alarm' })))!;
    const results = await Promise.allSettled([
      s.step(c.caseId, { step: 'dispatched', to: '网格员 张' }, 'li', c.version),
      s.step(c.caseId, { step: 'dispatched', to: '网格员 刘' }, 'zhao', c.version),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toBeInstanceOf(ConflictError);
    expect(String(failed[0]!.reason.message)).toMatch(/changed by (li|zhao)/);
    const stored = (await s.get(c.caseId))!;
    expect(stored.steps.filter((x) => x.step === 'dispatched')).toHaveLength(1);
  });

  it('announces every committed change', async () => {
    const s = await store();
    const seen: string[] = [];
    s.changes.on('change', (c: AlarmCase) => seen.push(`${c.caseId}:${c.step}`));
    const c = (await s.addEvent(gw, alarmEvent({ eventId: 'n1', alarmId: 'door/open', source: 'door', level: 'warning' })))!;
    await expect.poll(() => seen).toEqual(['gw-a.n1:open']);
    await s.step(c.caseId, { step: 'dispatched', to: '物业' }, 'li', c.version);
    await expect.poll(() => seen).toEqual(['gw-a.n1:open', 'gw-a.n1:dispatched']);
  });

  it('counts closing causes per device, so its false-alarm rate can be computed', async () => {
    const s = await store();
    const since = clock;
    for (const [i, cause] of (['false_alarm', 'false_alarm', 'real_handled', 'device_fault'] as const).entries()) {
      const c = (await s.addEvent(gw, alarmEvent({ eventId: `fa-${i}`, alarmId: 'kitchen-2/smoke', source: 'kitchen-2' })))!;
      const confirmed = await s.step(c.caseId, { step: 'confirmed', confirmation: cause === 'false_alarm' ? 'false_alarm' : 'real', method: 'phone' }, 'li', c.version);
      if (cause === 'false_alarm') await s.step(c.caseId, { step: 'closed', cause, note: '油烟' }, 'li', confirmed.version);
      else {
        const d = await s.step(c.caseId, { step: 'dispatched', to: '物业' }, 'li', confirmed.version);
        const h = await s.step(c.caseId, { step: 'handled', note: 'ok' }, 'li', d.version);
        await s.step(c.caseId, { step: 'closed', cause }, 'li', h.version);
      }
      clock += 1000;
    }
    const rows = (await s.closureCauses('town-1', since)).filter((r) => r.source === 'kitchen-2');
    expect(rows).toEqual([{ gateway: 'gw-a', source: 'kitchen-2', closed: 4, falseAlarms: 2, deviceFaults: 1, falseAlarmRate: 0.5 }]);
  });

  it('imports an existing JSON-lines alarm log on first start, once', async () => {
    const s = await store();
    const dir = tempDir('jsonl');
    const file = join(dir.path, 'alarms.jsonl');
    const ev = alarmEvent({ eventId: 'old1', alarmId: 'old/smoke', source: 'old', level: 'alarm' });
    writeFileSync(
      file,
      [
        { type: 'event', ...gw, receivedAt: 5000, event: ev },
        { type: 'step', caseId: 'gw-a.old1', record: { step: 'dispatched', by: 'li', at: 6000, to: '王队' } },
        { type: 'step', caseId: 'gw-a.old1', record: { step: 'handled', by: 'li', at: 7000, note: '已处理' } },
        { type: 'step', caseId: 'gw-a.old1', record: { step: 'closed', by: 'li', at: 8000 } },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n{"type":"ev',
    );
    expect(await importJsonLines(s, file, silentLogger())).toEqual({ events: 1, steps: 3 });
    expect(await importJsonLines(s, file, silentLogger())).toBeUndefined();
    const c = (await s.get('gw-a.old1'))!;
    expect([c.step, c.closedAt, c.openedAt, c.assignee]).toEqual(['closed', 8000, 5000, '王队']);
    expect(c.steps.map((x) => x.step)).toEqual(['open', 'dispatched', 'handled', 'closed']);
    dir.remove();
  });
});

async function close(s: CaseStore, c: AlarmCase): Promise<void> {
  let x = await s.step(c.caseId, { step: 'dispatched', to: '物业' }, 'li', c.version);
  x = await s.step(c.caseId, { step: 'handled', note: 'ok' }, 'li', x.version);
  await s.step(c.caseId, { step: 'closed', cause: 'real_handled' }, 'li', x.version);
}
