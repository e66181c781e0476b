import { describe, expect, it } from 'vitest';
import { StaleEvaluator } from '../../../gateway/rules/stale/rule.js';
import { at, m, parseRule } from './helpers.js';

const status = (online: boolean, mono: number) => ({ source: 's1', online, mono });

describe('stale rule (sensor silent)', () => {
  it('gives a fresh gateway one full period, then raises on silence and clears on the next measurement', () => {
    const r = new StaleEvaluator(parseRule({ kind: 'stale', after: '3m', level: 'offline' }), 1000);
    expect(r.tick(at(1000 + 179_999))).toBeUndefined();
    expect(r.tick(at(1000 + 180_000))).toEqual({ active: true, value: 180 });
    expect(r.measure(m('any', 1, 200_000), at(200_000))).toEqual({ active: false, value: 0 });
  });

  it('follows the driver: offline raises at once, a measurement clears', () => {
    const r = new StaleEvaluator(parseRule({ kind: 'stale', after: '3m', level: 'offline' }), 0);
    expect(r.status(status(false, 10), at(10))?.active).toBe(true);
    expect(r.status(status(true, 20), at(20))?.active).toBe(false);
  });

  it('a point heartbeat follows only that point', () => {
    const r = new StaleEvaluator(parseRule({ kind: 'stale', point: 'battery', after: '1m' }), 0);
    r.measure(m('other', 1, 50_000), at(50_000));
    expect(r.tick(at(60_000))?.active).toBe(true);
    expect(r.status(status(false, 61_000), at(61_000))).toBeUndefined();
    expect(r.measure(m('battery', 3.1, 62_000), at(62_000))?.active).toBe(false);
  });

  it('is not fooled by wall-clock jumps (monotonic only)', () => {
    const r = new StaleEvaluator(parseRule({ kind: 'stale', after: '1m' }), 0);
    expect(r.tick(at(30_000, Date.parse('2030-01-01T00:00:00Z')))).toBeUndefined();
    expect(r.tick(at(40_000, 0, false))).toBeUndefined();
  });
});
