import { describe, expect, it } from 'vitest';
import { CombinationEvaluator } from '../../../gateway/rules/combination/rule.js';
import type { RuleTime } from '../../../gateway/rules/types.js';
import { at, parseRule } from './helpers.js';

function lookupOf(states: Record<string, { active: boolean; last?: number }>) {
  return {
    lastActive: (key: string, time: RuleTime) => {
      const s = states[key];
      if (!s) return undefined;
      return s.active ? time.mono : s.last;
    },
  };
}

describe('combination rule', () => {
  it('is active when all members are active now or within the window, and expires by time', () => {
    const states: Record<string, { active: boolean; last?: number }> = { 'smoke-1/smoke': { active: true }, 'temp-1/hot': { active: false } };
    const r = new CombinationEvaluator(parseRule({ kind: 'combination', level: 'fire', all: ['smoke', 'temp-1/hot'], within: '5m' }), { source: 'smoke-1', lookup: lookupOf(states) });
    expect(r.members).toEqual(['smoke-1/smoke', 'temp-1/hot']);
    expect(r.tick(at(0))).toBeUndefined();
    states['temp-1/hot'] = { active: true };
    expect(r.tick(at(1000))).toEqual({ active: true, value: undefined });
    // Smoke clears; it was active 1 s ago, so the combination holds until `within` runs out.
    states['smoke-1/smoke'] = { active: false, last: 2000 };
    expect(r.tick(at(2000 + 299_000))).toBeUndefined();
    expect(r.tick(at(2000 + 300_001))?.active).toBe(false);
  });

  it('needs every member', () => {
    const r = new CombinationEvaluator(parseRule({ kind: 'combination', all: ['a', 'b'] }), { source: 's', lookup: lookupOf({ 's/a': { active: true } }) });
    expect(r.tick(at(0))).toBeUndefined();
  });
});
