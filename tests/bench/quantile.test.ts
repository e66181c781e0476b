// The benchmarks' quantile method: nearest rank, ceil(q·n), so a p99 of 30 or 40 samples is the largest.
import { describe, expect, it } from 'vitest';
import { nearestRank, quantiles } from '../../bench/quantile.js';

const oneTo = (n: number) => Array.from({ length: n }, (_, i) => n - i); // unsorted on purpose

describe('nearest-rank quantiles', () => {
  it('takes rank ceil(q·n)', () => {
    expect(nearestRank(oneTo(30), 0.99)).toBe(30);
    expect(nearestRank(oneTo(40), 0.99)).toBe(40);
    expect(nearestRank(oneTo(200), 0.99)).toBe(198);
    expect(nearestRank(oneTo(10), 0.5)).toBe(5);
    expect(nearestRank(oneTo(11), 0.5)).toBe(6);
    expect(nearestRank([7], 0.01)).toBe(7);
  });

  it('prints n beside the figures, and refuses no samples or q outside (0, 1]', () => {
    expect(quantiles([3.14159, 1, 2])).toEqual({ method: 'nearest-rank (ceil q·n)', n: 3, p50: 2, p99: 3.142, max: 3.142 });
    expect(() => nearestRank([], 0.5)).toThrow('no samples');
    expect(() => nearestRank([1], 0)).toThrow('outside');
    expect(() => nearestRank([1], 1.5)).toThrow('outside');
  });
});
