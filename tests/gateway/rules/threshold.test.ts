import { describe, expect, it } from 'vitest';
import { ThresholdEvaluator } from '../../../gateway/rules/threshold/rule.js';
import { at, m, parseRule } from './helpers.js';

const rule = (extra: Record<string, unknown> = {}) => new ThresholdEvaluator(parseRule({ kind: 'threshold', point: 'level', above: 30, hysteresis: 3, ...extra }));

describe('threshold rule', () => {
  it('raises at the limit and clears only past the hysteresis band', () => {
    const r = rule();
    expect(r.measure(m('level', 29.9, 0), at(0))).toBeUndefined();
    expect(r.measure(m('level', 30, 1), at(1))).toEqual({ active: true, value: 30 });
    expect(r.measure(m('level', 28, 2), at(2))).toBeUndefined(); // inside the band: still active
    expect(r.active()).toBe(true);
    expect(r.measure(m('level', 27, 3), at(3))).toEqual({ active: false, value: 27 });
  });

  it('does not flap when the value hovers around the threshold', () => {
    const r = rule();
    const changes = [29.8, 30.1, 29.9, 30.2, 29.5, 30.0, 28.1, 30.3].map((v, i) => r.measure(m('level', v, i), at(i))).filter(Boolean);
    expect(changes).toEqual([{ active: true, value: 30.1 }]);
  });

  it('flaps without hysteresis, which is why profiles set one', () => {
    const r = rule({ hysteresis: 0 });
    const changes = [29.8, 30.1, 29.9, 30.2].map((v, i) => r.measure(m('level', v, i), at(i))).filter(Boolean);
    expect(changes).toHaveLength(3);
  });

  it('waits for the on-delay and restarts it when the value drops back', () => {
    const r = rule({ for: '5s' });
    expect(r.measure(m('level', 31, 0), at(0))).toBeUndefined();
    expect(r.tick(at(4000))).toBeUndefined();
    expect(r.measure(m('level', 29, 4500), at(4500))).toBeUndefined(); // dropped back: delay restarts
    expect(r.measure(m('level', 31, 5000), at(5000))).toBeUndefined();
    expect(r.tick(at(9999))).toBeUndefined();
    expect(r.tick(at(10_000))).toEqual({ active: true, value: 31 });
  });

  it('raises from tick() without a new measurement once the on-delay has passed', () => {
    const r = rule({ for: '5s' });
    r.measure(m('level', 40, 0), at(0));
    expect(r.tick(at(5000))?.active).toBe(true);
  });

  it('ignores missing, non-numeric and bad-quality values and keeps its state', () => {
    const r = rule({ for: '2s' });
    r.measure(m('level', 35, 0), at(0));
    expect(r.measure(m('level', 'code_7', 500), at(500))).toBeUndefined();
    expect(r.measure(m('level', 0, 600, 'bad'), at(600))).toBeUndefined();
    expect(r.measure(m('other', 0, 700), at(700))).toBeUndefined();
    expect(r.tick(at(2000))?.active).toBe(true);
  });

  it('uses the monotonic clock for the on-delay: wall-clock jumps change nothing', () => {
    const r = rule({ for: '5s' });
    r.measure(m('level', 31, 0), at(0, Date.parse('2026-11-23T12:00:00Z')));
    // Wall jumps a day forward, then back to 1970: the delay still needs 5 s of monotonic time.
    expect(r.tick(at(1000, Date.parse('2026-11-24T12:00:00Z')))).toBeUndefined();
    expect(r.tick(at(2000, 0, false))).toBeUndefined();
    expect(r.tick(at(5000, 1000, false))?.active).toBe(true);
  });

  it('handles "below" thresholds with hysteresis', () => {
    const r = new ThresholdEvaluator(parseRule({ kind: 'threshold', point: 'v', below: 198, hysteresis: 3 }));
    expect(r.measure(m('v', 198, 0), at(0))?.active).toBe(true);
    expect(r.measure(m('v', 200, 1), at(1))).toBeUndefined();
    expect(r.measure(m('v', 201, 2), at(2))?.active).toBe(false);
    // Inside the hysteresis band but above the limit, an inactive rule stays inactive.
    const fresh = new ThresholdEvaluator(parseRule({ kind: 'threshold', point: 'v', below: 198, hysteresis: 3 }));
    expect(fresh.measure(m('v', 199, 0), at(0))).toBeUndefined();
    expect(fresh.active()).toBe(false);
  });

  it('reads a boolean as 0 or 1', () => {
    const r = new ThresholdEvaluator(parseRule({ kind: 'threshold', point: 'pump', above: 1 }));
    expect(r.measure(m('pump', false, 0), at(0))).toBeUndefined();
    expect(r.measure(m('pump', true, 1), at(1))).toEqual({ active: true, value: 1 });
  });
});
