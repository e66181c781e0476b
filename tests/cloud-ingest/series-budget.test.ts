// The series budget's generations and counts, directly (issue 18, mutation survivors of
// cloud-ingest/ingest/series-budget.ts): which budget refuses, known series never refused, a series seen
// again carried into the new generation (counted once), and one unseen for two periods forgotten.
import { describe, expect, it } from 'vitest';
import { SeriesBudget, seriesHash } from '../../cloud-ingest/ingest/series-budget.js';

describe('SeriesBudget', () => {
  it('refuses a new series past the gateway budget first, then past the township budget, and admits known ones', () => {
    const budget = new SeriesBudget({ maxPerGateway: 2, maxPerTownship: 3, rotateMs: 1000 }, () => 0);
    expect(budget.admit('t', 'g1', 's1')).toBeUndefined();
    expect(budget.admit('t', 'g1', 's2')).toBeUndefined();
    expect(budget.admit('t', 'g1', 's3')).toBe('series budget of gateway g1 is used up (2 series); new series are refused');
    expect(budget.admit('t', 'g1', 's1')).toBeUndefined();
    expect(budget.admit('t', 'g2', 's1')).toBeUndefined(); // per gateway: the same series text is another series
    expect(budget.admit('t', 'g2', 's2')).toBe('series budget of township t is used up (3 series); new series are refused');
    expect(budget.admit('u', 'g3', 's2')).toBeUndefined();
    expect(budget.count('g1')).toBe(2);
    expect(budget.count('g2')).toBe(1);
    expect(budget.count('nobody')).toBe(0);
    expect(budget.townshipCount('t')).toBe(3);
    expect(budget.townshipCount('u')).toBe(1);
  });

  it('keeps a series seen again after a rotation once, and forgets one unseen for two periods', () => {
    let now = 0;
    const budget = new SeriesBudget({ maxPerGateway: 2, maxPerTownship: 10, rotateMs: 1000 }, () => now);
    budget.admit('t', 'g1', 'a');
    budget.admit('t', 'g1', 'b');
    now = 999; // not yet a period
    expect(budget.admit('t', 'g1', 'c')).toMatch(/gateway g1/);
    now = 1000; // rotated: a and b are in the previous generation, still counted and still known
    expect(budget.count('g1')).toBe(2);
    expect(budget.admit('t', 'g1', 'c')).toMatch(/gateway g1/);
    expect(budget.admit('t', 'g1', 'a')).toBeUndefined(); // known: moved to the current generation
    expect(budget.count('g1')).toBe(2);
    expect(budget.townshipCount('t')).toBe(2);
    now = 2000; // the next admit rotates again: b, unseen for two periods, is forgotten
    expect(budget.admit('t', 'g1', 'c')).toBeUndefined();
    expect(budget.count('g1')).toBe(2);
    expect(budget.townshipCount('t')).toBe(2);
    expect(budget.admit('t', 'g1', 'b')).toMatch(/gateway g1/);
  });

  it('hashes deterministically into 53 bits, and distinct series apart', () => {
    expect(seriesHash('power,source=m1')).toBe(seriesHash('power,source=m1'));
    const hashes = new Set(Array.from({ length: 5000 }, (_, i) => seriesHash(`power,source=m${i}`)));
    expect(hashes.size).toBe(5000);
    for (const h of [...hashes].slice(0, 100)) expect(Number.isSafeInteger(h) && h >= 0).toBe(true);
    expect(seriesHash('ab')).not.toBe(seriesHash('ba'));
    expect(seriesHash('')).toBe(0x811c9dc5 * 0x200000 + (((0x01000193 ^ 0x5bd1e995) >>> 0) & 0x1fffff));
  });
});
