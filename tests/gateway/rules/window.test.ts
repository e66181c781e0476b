import { describe, expect, it } from 'vitest';
import { inDailyWindow, localMinutes, WindowEvaluator } from '../../../gateway/rules/window/rule.js';
import { at, m, parseRule } from './helpers.js';

const shanghai = (hhmm: string) => Date.parse(`2026-11-23T${hhmm}:00+08:00`);
const night = () => new WindowEvaluator(parseRule({ kind: 'window', point: 'power', above: 200, from: '23:00', to: '06:00', timeZone: 'Asia/Shanghai' }));

describe('window rule', () => {
  it('computes local minutes in a zone and windows across midnight', () => {
    expect(localMinutes(shanghai('23:30'), 'Asia/Shanghai')).toBe(23 * 60 + 30);
    expect(inDailyWindow(23 * 60 + 30, '23:00', '06:00')).toBe(true);
    expect(inDailyWindow(5 * 60 + 59, '23:00', '06:00')).toBe(true);
    expect(inDailyWindow(6 * 60, '23:00', '06:00')).toBe(false);
    expect(inDailyWindow(12 * 60, '09:00', '17:00')).toBe(true);
  });

  it('raises only inside the window, and clears when the window closes', () => {
    const r = night();
    expect(r.measure(m('power', 500, 0), at(0, shanghai('22:59')))).toBeUndefined();
    expect(r.tick(at(60_000, shanghai('23:00')))).toEqual({ active: true, value: 500 });
    expect(r.tick(at(2_000_000, shanghai('06:00')))).toEqual({ active: false, value: 500 });
  });

  it('neither raises nor clears while the wall clock is not synced', () => {
    const r = night();
    // An unsynced clock saying 23:30 must not decide it is night.
    expect(r.measure(m('power', 500, 0), at(0, shanghai('23:30'), false))).toBeUndefined();
    expect(r.active()).toBe(false);
    expect(r.tick(at(1000, shanghai('23:30'), true))?.active).toBe(true);
    // Clock jumps back to 1970 and loses sync: the rule holds its state.
    expect(r.tick(at(2000, 0, false))).toBeUndefined();
    expect(r.active()).toBe(true);
  });

  it('runs the on-delay on the monotonic clock even when the wall clock jumps', () => {
    const r = new WindowEvaluator(parseRule({ kind: 'window', point: 'power', above: 200, from: '00:00', to: '23:59', for: '10s', timeZone: 'Asia/Shanghai' }));
    r.measure(m('power', 300, 0), at(0, shanghai('12:00')));
    expect(r.tick(at(5000, shanghai('12:00') + 3_600_000))).toBeUndefined(); // wall +1 h, mono +5 s
    expect(r.tick(at(10_000, shanghai('12:00') - 3_600_000))?.active).toBe(true);
  });

  it('a window includes its first minute and excludes its last, by the day or across midnight', () => {
    expect(inDailyWindow(9 * 60, '09:30', '17:00')).toBe(false);
    expect(inDailyWindow(9 * 60 + 30, '09:30', '17:00')).toBe(true);
    expect(inDailyWindow(16 * 60 + 59, '09:30', '17:00')).toBe(true);
    expect(inDailyWindow(17 * 60, '09:30', '17:00')).toBe(false);
    expect(inDailyWindow(23 * 60 - 1, '23:00', '06:00')).toBe(false);
    expect(inDailyWindow(23 * 60, '23:00', '06:00')).toBe(true);
    expect(inDailyWindow(0, '23:00', '06:00')).toBe(true);
    expect(inDailyWindow(12 * 60, '23:00', '06:00')).toBe(false);
    // from = to: a window that never closes, and never a window that is never open.
    expect(inDailyWindow(12 * 60, '08:00', '08:00')).toBe(true);
    expect(inDailyWindow(7 * 60, '08:00', '08:00')).toBe(true);
  });

  it('reads the hours in the rule\'s zone, or the system\'s', () => {
    expect(localMinutes(shanghai('06:45'), 'Asia/Shanghai')).toBe(6 * 60 + 45);
    expect(localMinutes(shanghai('06:45'), 'UTC')).toBe(22 * 60 + 45);
    const wall = shanghai('06:45');
    const date = new Date(wall);
    expect(localMinutes(wall, undefined)).toBe(date.getHours() * 60 + date.getMinutes());
  });

  it('raises at exactly the limit, waits for a value, and looks only at its own point', () => {
    const r = night();
    expect(r.tick(at(0, shanghai('23:30')))).toBeUndefined();
    expect(r.measure(m('other', 900, 1), at(1, shanghai('23:30')))).toBeUndefined();
    expect(r.measure(m('power', 199, 2), at(2, shanghai('23:30')))).toBeUndefined();
    expect(r.measure(m('power', 200, 3), at(3, shanghai('23:30')))).toEqual({ active: true, value: 200 });
    expect(r.measure(m('power', 'n/a', 4), at(4, shanghai('23:30')))).toBeUndefined();
    expect(r.active()).toBe(true);
    // A point fault forgets the value: the window closing cannot clear on a value it no longer has.
    r.inputFault();
    expect(r.tick(at(5, shanghai('06:30')))).toBeUndefined();
  });

  it('keeps the last number through a non-numeric value, so the window closing still clears', () => {
    const r = night();
    expect(r.measure(m('power', 500, 0), at(0, shanghai('23:30')))).toEqual({ active: true, value: 500 });
    expect(r.measure(m('power', 'n/a', 1), at(1, shanghai('23:31')))).toBeUndefined();
    expect(r.tick(at(2, shanghai('06:00')))).toEqual({ active: false, value: 500 });
  });
});
