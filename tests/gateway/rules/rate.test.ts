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
});
