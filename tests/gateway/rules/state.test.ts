import { describe, expect, it } from 'vitest';
import { StateEvaluator } from '../../../gateway/rules/state/rule.js';
import { at, m, parseRule } from './helpers.js';

describe('state rule', () => {
  it('raises on a listed state and clears on any other', () => {
    const r = new StateEvaluator(parseRule({ kind: 'state', point: 'smoke_alarm', equals: ['smoke'] }));
    expect(r.measure(m('smoke_alarm', 'normal', 0), at(0))).toBeUndefined();
    expect(r.measure(m('smoke_alarm', 'smoke', 1), at(1))).toEqual({ active: true, value: 'smoke' });
    expect(r.measure(m('smoke_alarm', 'smoke', 2), at(2))).toBeUndefined();
    expect(r.measure(m('smoke_alarm', 'normal', 3), at(3))).toEqual({ active: false, value: 'normal' });
  });

  it('matches booleans and numbers by value', () => {
    const r = new StateEvaluator(parseRule({ kind: 'state', point: 'tamper', equals: [1] }));
    expect(r.measure(m('tamper', true, 0), at(0))?.active).toBe(true);
    expect(r.measure(m('tamper', false, 1), at(1))?.active).toBe(false);
  });

  it('honours the on-delay (detector removed for 5 s) and resets it when the state returns', () => {
    const r = new StateEvaluator(parseRule({ kind: 'state', point: 'mounted', equals: ['removed'], for: '5s' }));
    r.measure(m('mounted', 'removed', 0), at(0));
    r.measure(m('mounted', 'mounted', 3000), at(3000));
    expect(r.tick(at(6000))).toBeUndefined();
    r.measure(m('mounted', 'removed', 7000), at(7000));
    expect(r.tick(at(11_999))).toBeUndefined();
    expect(r.tick(at(12_000))).toEqual({ active: true, value: 'removed' });
  });

  it('ignores bad-quality values', () => {
    const r = new StateEvaluator(parseRule({ kind: 'state', point: 'p', equals: ['smoke'] }));
    expect(r.measure(m('p', 'smoke', 0, 'bad'), at(0))).toBeUndefined();
  });

  it('matches a listed value by its text form too, any of several, and only its own point', () => {
    const r = new StateEvaluator(parseRule({ kind: 'state', point: 'code', equals: [3, 'fault'] }));
    expect(r.measure(m('other', 3, 0), at(0))).toBeUndefined();
    expect(r.measure(m('code', '3', 1), at(1))).toEqual({ active: true, value: '3' });
    expect(r.measure(m('code', 'ok', 2), at(2))).toEqual({ active: false, value: 'ok' });
    expect(r.measure(m('code', 'fault', 3), at(3))).toEqual({ active: true, value: 'fault' });
  });
});
