// The alarm board (gateway/alarms/board.ts) folds 'alarm' events into the current set that the
// actuators, notices and console read: what sounds and what shows follows from it.
import { describe, expect, it } from 'vitest';
import { isShowing, isSounding } from '../../../gateway/alarms/alarm.js';
import { AlarmBoard } from '../../../gateway/alarms/board.js';
import type { AlarmEvent, AlarmTransition, AlarmState } from '../../../gateway/pipeline/types.js';

let n = 0;
function event(alarmId: string, transition: AlarmTransition, state: AlarmState, extra: Partial<AlarmEvent> = {}): AlarmEvent {
  n++;
  return {
    eventId: `e-${n}`,
    alarmId,
    transition,
    state,
    level: 'alarm',
    source: 'level-1',
    point: 'level',
    rule: 'water_alarm',
    value: 40 + n,
    text: { zh: `水位 ${n}`, en: `level ${n}` },
    tags: { building: '3' },
    ts: 1_000 * n,
    mono: n,
    timeSynced: true,
    by: undefined,
    ...extra,
  };
}

describe('alarm board', () => {
  it('follows one alarm through its transitions: silenced until unsilenced or sounded anew, acknowledged by whom, raised when first seen', () => {
    const board = new AlarmBoard();
    const raised = board.apply(event('a', 'raise', 'raised'));
    expect(raised).toMatchObject({ state: 'raised', silenced: false, raisedTs: 1_000, acknowledgedBy: undefined, test: false });
    expect(isSounding(raised)).toBe(true);
    const silenced = board.apply(event('a', 'silence', 'raised', { by: 'button:b1' }));
    expect(silenced).toMatchObject({ silenced: true, raisedTs: 1_000, acknowledgedBy: undefined });
    expect(isSounding(silenced)).toBe(false);
    expect(isShowing(silenced)).toBe(true);
    // A transition that says nothing about the silence keeps it.
    expect(board.apply(event('a', 'acknowledge', 'acknowledged', { by: 'township:zhang' }))).toMatchObject({ silenced: true, acknowledgedBy: 'township:zhang', raisedTs: 1_000 });
    expect(board.apply(event('a', 'unsilence', 'acknowledged'))).toMatchObject({ silenced: false, acknowledgedBy: 'township:zhang' });
    board.apply(event('a', 'silence', 'acknowledged'));
    // The condition came back on a latched alarm: it sounds again.
    const back = event('a', 'raise', 'raised');
    const again = board.apply(back);
    // The value and text are the newest event's; the time raised stays the first one's.
    expect(again).toMatchObject({ silenced: false, raisedTs: 1_000, value: back.value, text: back.text });
    expect(isSounding(again)).toBe(true);
    board.apply(event('a', 'silence', 'raised'));
    expect(board.apply(event('a', 'escalate', 'raised', { level: 'fire' }))).toMatchObject({ silenced: false, level: 'fire' });
    const cleared = board.apply(event('a', 'clear', 'cleared'));
    expect(cleared.state).toBe('cleared');
    expect(isShowing(cleared)).toBe(false);
    expect(isSounding(cleared)).toBe(false);
    expect(board.get('a')).toBeUndefined();
    expect(board.list()).toEqual([]);
  });

  it('lists the alarms not yet cleared, most urgent first and oldest first within a level', () => {
    const board = new AlarmBoard();
    board.apply(event('meter', 'raise', 'raised', { level: 'warning', ts: 1 }));
    board.apply(event('late-water', 'raise', 'raised', { ts: 300 }));
    board.apply(event('smoke', 'raise', 'raised', { level: 'fire', ts: 500 }));
    board.apply(event('early-water', 'raise', 'raised', { ts: 200 }));
    board.apply(event('gone', 'raise', 'raised', { level: 'fire', ts: 100 }));
    board.apply(event('gone', 'reset', 'cleared', { level: 'fire' }));
    expect(board.list().map((a) => a.alarmId)).toEqual(['smoke', 'early-water', 'late-water', 'meter']);
    expect(board.get('smoke')).toMatchObject({ level: 'fire', raisedTs: 500 });
  });

  it('marks test alarms by their rule, and an acknowledged alarm does not sound', () => {
    const board = new AlarmBoard();
    expect(board.apply(event('gw-1._.test_alarm', 'raise', 'raised', { rule: 'test_alarm' })).test).toBe(true);
    expect(isSounding({ state: 'acknowledged', silenced: false })).toBe(false);
    expect(isShowing({ state: 'acknowledged' })).toBe(true);
  });

  it('takes an alarm whose first event is not a raise (a latched alarm restored as acknowledged after a restart)', () => {
    const board = new AlarmBoard();
    const view = board.apply(event('smoke', 'acknowledge', 'acknowledged', { by: 'button:b1', level: 'fire', ts: 5_000 }));
    expect(view).toMatchObject({ state: 'acknowledged', silenced: false, acknowledgedBy: 'button:b1', raisedTs: 5_000 });
    expect(board.list().map((a) => a.alarmId)).toEqual(['smoke']);
  });
});
