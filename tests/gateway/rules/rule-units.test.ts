// rule-units.ts on its own: which rules compare numbers (threshold, rate, window), the unit their limits
// are in, what is wrong with a rule's unit for its point, and a measurement expressed in the rule's unit.
import { describe, expect, it } from 'vitest';
import type { Rule } from '../../../config/sections/rules.js';
import type { ResolvedPoint } from '../../../gateway/devices/resolve.js';
import { resolvedPoint } from '../../helpers/resolved-point.js';
import type { Measurement } from '../../../gateway/pipeline/types.js';
import { inRuleUnit, ruleUnit, ruleUnitProblems } from '../../../gateway/rules/rule-units.js';

const point = (fields: Partial<ResolvedPoint>): ResolvedPoint => resolvedPoint({ id: 'level', class: 'water_level', ...fields });

const text = { zh: '积水', en: 'Water' };
const threshold = (unit?: string): Rule => ({ id: 'high', kind: 'threshold', point: 'level', above: 30, level: 'warning', text, ...(unit ? { unit } : {}) }) as Rule;
const rate = (unit?: string): Rule => ({ id: 'rise', kind: 'rate', point: 'level', rise: 10, per: '1m', level: 'warning', text, ...(unit ? { unit } : {}) }) as unknown as Rule;
const windowRule = (unit?: string): Rule => ({ id: 'avg', kind: 'window', point: 'level', window: '5m', stat: 'mean', above: 30, level: 'warning', text, ...(unit ? { unit } : {}) }) as unknown as Rule;
const state: Rule = { id: 'open', kind: 'state', point: 'level', equals: ['open'], level: 'warning', text } as unknown as Rule;
const stale: Rule = { id: 'silent', kind: 'stale', after: '10m', level: 'warning', text } as unknown as Rule;

const m = (value: Measurement['value'], unit: string | undefined): Measurement => ({ source: 's', point: 'level', value, unit, ts: 1, mono: 1 }) as Measurement;

describe('ruleUnit', () => {
  it('is the rule\'s own unit, else the point\'s, for the three numeric kinds only', () => {
    const cm = point({ unit: 'cm' });
    for (const rule of [threshold(), rate(), windowRule()]) expect(ruleUnit(rule, cm), rule.kind).toBe('cm');
    for (const rule of [threshold('m'), rate('m'), windowRule('m')]) expect(ruleUnit(rule, cm), rule.kind).toBe('m');
    expect(ruleUnit(threshold(), undefined)).toBeUndefined();
    expect(ruleUnit(threshold('m'), undefined)).toBe('m');
    expect(ruleUnit(state, cm)).toBeUndefined();
    expect(ruleUnit(stale, cm)).toBeUndefined();
  });
});

describe('ruleUnitProblems', () => {
  it('has nothing to say for unitless kinds, a rule without a point, or like units', () => {
    expect(ruleUnitProblems(state, point({ unitFrom: { point: 'code', map: { '1': 'm' } } }))).toEqual([]);
    expect(ruleUnitProblems(stale, point({}))).toEqual([]);
    expect(ruleUnitProblems(threshold('cm'), undefined)).toEqual([]);
    expect(ruleUnitProblems(threshold(), point({}))).toEqual([]);
    expect(ruleUnitProblems(threshold('cm'), point({ unit: 'm' }))).toEqual([]);
    expect(ruleUnitProblems(rate('cm'), point({ unitFrom: { point: 'code', map: { '1': 'm', '2': 'mm' } } }))).toEqual([]);
  });

  it('wants a unit on a rule whose point takes its unit from a unit-code register', () => {
    expect(ruleUnitProblems(windowRule(), point({ unitFrom: { point: 'code', map: { '1': 'm' } } }))).toEqual([
      'point "level" takes its unit from a unit-code register, so the rule must say which unit its limits are in ("unit: cm")',
    ]);
  });

  it('names a point with no unit against a rule that has one, and every unit that does not convert, once', () => {
    expect(ruleUnitProblems(threshold('cm'), point({}))).toEqual(['point "level" has no unit, so the rule\'s cm cannot be compared with it']);
    expect(ruleUnitProblems(threshold('cm'), point({ unit: 'V' }))).toEqual(['point "level" can report V, which does not convert to the rule\'s cm']);
    expect(ruleUnitProblems(threshold('cm'), point({ unitFrom: { point: 'code', map: { '1': 'm', '2': 'V', '3': 'V', '4': 'A' } } }))).toEqual([
      'point "level" can report V, which does not convert to the rule\'s cm',
      'point "level" can report A, which does not convert to the rule\'s cm',
    ]);
  });
});

describe('inRuleUnit', () => {
  it('passes values through for a unitless rule, a non-number and the same unit', () => {
    const same = m(5, 'cm');
    expect(inRuleUnit(same, undefined)).toBe(same);
    expect(inRuleUnit(same, 'cm')).toBe(same);
    const open = m('open', undefined);
    expect(inRuleUnit(open, 'cm')).toBe(open);
  });

  it('converts to the rule\'s unit, and refuses a value without a unit or in one that does not convert', () => {
    expect(inRuleUnit(m(1.37, 'm'), 'cm')).toMatchObject({ value: 137, unit: 'cm' });
    expect(inRuleUnit(m(5, undefined), 'cm')).toBeUndefined();
    expect(inRuleUnit(m(5, 'V'), 'cm')).toBeUndefined();
  });
});
