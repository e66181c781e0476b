import { describe, expect, it } from 'vitest';
import { RateEvaluator } from '../../../gateway/rules/rate/rule.js';
import { at, m, parseRule } from './helpers.js';

const rising = () => new RateEvaluator(parseRule({ kind: 'rate', point: 'level', risePerMinute: 2, over: '5m' }));

describe('rate rule', () => {
  it('raises when the value rises faster than the limit over the window', () => {
    const r = rising();
    const changes = [];
    for (let minute = 0; minute <= 5; minute++) changes.push(r.measure(m('level', 10 + minute * 3, minute * 60_000), at(minute * 60_000)));
    expect(changes.filter(Boolean)).toEqual([{ active: true, value: 3 }]);
  });

  it('needs samples spanning half the window: two close readings cannot fake a rise', () => {
    const r = rising();
    r.measure(m('level', 10, 0), at(0));
    expect(r.measure(m('level', 20, 1000), at(1000))).toBeUndefined();
  });

  it('does not raise on a slow rise and clears when the rise stops', () => {
    const r = rising();
    for (let minute = 0; minute <= 3; minute++) r.measure(m('level', 10 + minute * 3, minute * 60_000), at(minute * 60_000));
    expect(r.active()).toBe(true);
    let last;
    for (let minute = 4; minute <= 10; minute++) last = r.measure(m('level', 19, minute * 60_000), at(minute * 60_000)) ?? last;
    expect(last?.active).toBe(false);
    const slow = rising();
    for (let minute = 0; minute <= 5; minute++) slow.measure(m('level', 10 + minute, minute * 60_000), at(minute * 60_000));
    expect(slow.active()).toBe(false);
  });

  it('clears on tick when the samples age out (sensor went quiet)', () => {
    const r = rising();
    for (let minute = 0; minute <= 3; minute++) r.measure(m('level', minute * 5, minute * 60_000), at(minute * 60_000));
    expect(r.active()).toBe(true);
    expect(r.tick(at(20 * 60_000))?.active).toBe(false);
  });

  it('detects falls with fallPerMinute and ignores non-numeric values', () => {
    const r = new RateEvaluator(parseRule({ kind: 'rate', point: 'p', fallPerMinute: 1, over: '2m' }));
    r.measure(m('p', 10, 0), at(0));
    expect(r.measure(m('p', 'n/a', 30_000), at(30_000))).toBeUndefined();
    expect(r.measure(m('p', 7, 60_000), at(60_000))?.active).toBe(true);
  });

  it('raises at exactly the limit, per minute of the samples\' own span', () => {
    const r = new RateEvaluator(parseRule({ kind: 'rate', point: 'level', risePerMinute: 2, over: '4m' }));
    r.measure(m('level', 10, 0), at(0));
    // 2 per minute over 2 minutes (half the window): exactly the limit.
    expect(r.measure(m('level', 14, 120_000), at(120_000))).toEqual({ active: true, value: 2 });
    const below = new RateEvaluator(parseRule({ kind: 'rate', point: 'level', risePerMinute: 2, over: '4m' }));
    below.measure(m('level', 10, 0), at(0));
    expect(below.measure(m('level', 13.99, 120_000), at(120_000))).toBeUndefined();
    const fall = new RateEvaluator(parseRule({ kind: 'rate', point: 'level', fallPerMinute: 2, over: '4m' }));
    fall.measure(m('level', 14, 0), at(0));
    expect(fall.measure(m('level', 10, 120_000), at(120_000))).toEqual({ active: true, value: -2 });
    // A rise never trips a fall limit, nor a fall a rise limit.
    const up = new RateEvaluator(parseRule({ kind: 'rate', point: 'level', fallPerMinute: 2, over: '4m' }));
    up.measure(m('level', 10, 0), at(0));
    expect(up.measure(m('level', 30, 120_000), at(120_000))).toBeUndefined();
    const down = new RateEvaluator(parseRule({ kind: 'rate', point: 'level', risePerMinute: 2, over: '4m' }));
    down.measure(m('level', 30, 0), at(0));
    expect(down.measure(m('level', 10, 120_000), at(120_000))).toBeUndefined();
  });

  it('drops samples older than the window, keeps one exactly at its edge, and ignores other points and bad values', () => {
    const r = new RateEvaluator(parseRule({ kind: 'rate', point: 'level', risePerMinute: 2, over: '4m' }));
    r.measure(m('level', 0, 0), at(0));
    expect(r.measure(m('other', 1000, 1), at(1))).toBeUndefined();
    expect(r.measure(m('level', 1000, 2, 'bad'), at(2))).toBeUndefined();
    // At 4 min the first sample is exactly the window old and still counts: 8 in 4 min = 2/min.
    expect(r.measure(m('level', 8, 240_000), at(240_000))).toEqual({ active: true, value: 2 });
    const aged = new RateEvaluator(parseRule({ kind: 'rate', point: 'level', risePerMinute: 2, over: '4m' }));
    aged.measure(m('level', 10, 0), at(0));
    aged.measure(m('level', 0, 100_000), at(100_000));
    // 1 ms past the window the high first sample is gone: 0 → 8 over 140 s is a rise of 3.4/min (with it, a fall).
    expect(aged.measure(m('level', 8, 240_001), at(240_001))).toMatchObject({ active: true });
  });

  it('judges the span of its own samples at any uptime, ignores a bad value and another point after a rise, and starts again after a fault', () => {
    const T = 3_000_000_000; // a gateway up for about a month: monotonic times are large
    const r = new RateEvaluator(parseRule({ kind: 'rate', point: 'level', risePerMinute: 2, over: '4m' }));
    r.measure(m('level', 10, T), at(T));
    // Two readings 1 s apart are not a rate, whatever the clock says.
    expect(r.measure(m('level', 20, T + 1000), at(T + 1000))).toBeUndefined();
    expect(r.measure(m('level', 30, T + 150_000), at(T + 150_000))).toEqual({ active: true, value: 8 });
    expect(r.measure(m('level', 0, T + 160_000, 'bad'), at(T + 160_000))).toBeUndefined();
    expect(r.measure(m('other', 0, T + 170_000), at(T + 170_000))).toBeUndefined();
    expect(r.active()).toBe(true);
    // A point fault forgets the samples: one value after it is no rate, and the rise is over.
    r.inputFault();
    expect(r.measure(m('level', 30, T + 180_000), at(T + 180_000))).toEqual({ active: false, value: undefined });
  });
});
