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
});
