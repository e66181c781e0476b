// Read coalescing: fewest requests within the 125-register protocol limit, the profile's own limit and
// maxGap; overlapping points share registers; function codes never mix.
import { describe, expect, it } from 'vitest';
import type { ReadFunction } from '../../../../config/profile.js';
import { ProfileIndex } from '../../../../gateway/devices/profile-index.js';
import { resolveProfile, type ResolvedPoint } from '../../../../gateway/devices/resolve.js';
import { planReads, type PlanLimits, type ReadRequest } from '../../../../gateway/drivers/modbus/plan.js';

const PROTOCOL: PlanLimits = { maxRegistersPerRead: 125, maxBitsPerRead: 2000, maxGap: 0 };

/** Only the fields the planner looks at; the rest of a resolved point does not matter here. */
function pt(id: string, fn: ReadFunction, address: number, width = 1): ResolvedPoint {
  return { id, function: fn, address, width } as ResolvedPoint;
}

function floats(n: number, fn: ReadFunction = 4, from = 0): ResolvedPoint[] {
  return Array.from({ length: n }, (_, i) => pt(`f${i}`, fn, from + 2 * i, 2));
}

/** Every point lies inside exactly the request that lists it, and every request respects the limits. */
function checkCovers(points: readonly ResolvedPoint[], plan: readonly ReadRequest[], limits: PlanLimits): void {
  for (const point of points) {
    const holders = plan.filter((r) => r.points.includes(point.id));
    expect(holders, point.id).toHaveLength(1);
    const r = holders[0]!;
    expect(r.function).toBe(point.function);
    expect(point.address).toBeGreaterThanOrEqual(r.address);
    expect(point.address + point.width).toBeLessThanOrEqual(r.address + r.count);
  }
  for (const r of plan) {
    expect(r.count).toBeLessThanOrEqual(r.function <= 2 ? limits.maxBitsPerRead : limits.maxRegistersPerRead);
  }
}

/** Fewest requests by dynamic programming over address-sorted runs (the planner is greedy). */
function optimum(points: readonly ResolvedPoint[], limits: PlanLimits): number {
  let total = 0;
  for (const fn of [1, 2, 3, 4] as const) {
    const sorted = points.filter((p) => p.function === fn).sort((a, b) => a.address - b.address || b.width - a.width);
    const limit = fn <= 2 ? limits.maxBitsPerRead : limits.maxRegistersPerRead;
    const best: number[] = [0];
    for (let j = 1; j <= sorted.length; j++) {
      best[j] = Infinity;
      for (let i = j - 1; i >= 0; i--) {
        // Can sorted[i..j-1] be one request?
        let end = sorted[i]!.address + sorted[i]!.width;
        let ok = true;
        for (let k = i + 1; k < j && ok; k++) {
          ok = sorted[k]!.address - end <= limits.maxGap;
          end = Math.max(end, sorted[k]!.address + sorted[k]!.width);
        }
        if (ok && end - sorted[i]!.address <= limit) best[j] = Math.min(best[j]!, best[i]! + 1);
      }
    }
    total += best[sorted.length]!;
  }
  return total;
}

describe('planReads', () => {
  it('reads contiguous points in one request', () => {
    const plan = planReads(floats(10), PROTOCOL);
    expect(plan).toEqual([{ function: 4, address: 0, count: 20, points: floats(10).map((p) => p.id) }]);
  });

  it('splits at the 125-register protocol limit without cutting a float in half', () => {
    const points = floats(70); // 140 registers
    const plan = planReads(points, PROTOCOL);
    expect(plan.map((r) => [r.address, r.count])).toEqual([
      [0, 124],
      [124, 16],
    ]);
    checkCovers(points, plan, PROTOCOL);
  });

  it("keeps to the profile's own limit (meters that refuse more than 80 registers)", () => {
    const limits = { ...PROTOCOL, maxRegistersPerRead: 80 };
    const points = floats(70);
    const plan = planReads(points, limits);
    expect(plan.map((r) => [r.address, r.count])).toEqual([
      [0, 80],
      [80, 60],
    ]);
    checkCovers(points, plan, limits);
  });

  it('spans unused registers only up to maxGap', () => {
    const points = [pt('a', 3, 0), pt('b', 3, 10)]; // 9 unused registers between them
    expect(planReads(points, PROTOCOL)).toHaveLength(2);
    expect(planReads(points, { ...PROTOCOL, maxGap: 8 })).toHaveLength(2);
    expect(planReads(points, { ...PROTOCOL, maxGap: 9 })).toEqual([{ function: 3, address: 0, count: 11, points: ['a', 'b'] }]);
  });

  it('lets overlapping points (bits and bitfields of one register, a float over two u16) share registers', () => {
    const points = [pt('flags', 3, 11), pt('loop1', 3, 11), pt('loop2', 3, 11), pt('float', 3, 12, 2), pt('hi', 3, 12), pt('lo', 3, 13)];
    const plan = planReads(points, PROTOCOL);
    expect(plan).toHaveLength(1);
    expect(plan[0]).toMatchObject({ function: 3, address: 11, count: 3 });
    checkCovers(points, plan, PROTOCOL);
  });

  it('never mixes function codes, even at the same addresses', () => {
    const points = [pt('hr', 3, 0), pt('ir', 4, 0), pt('coil', 1, 0), pt('di', 2, 0), pt('di2', 2, 1)];
    const plan = planReads(points, PROTOCOL);
    expect(plan.map((r) => [r.function, r.address, r.count])).toEqual([
      [1, 0, 1],
      [2, 0, 2],
      [3, 0, 1],
      [4, 0, 1],
    ]);
  });

  it('limits bit reads by maxBitsPerRead', () => {
    const points = Array.from({ length: 30 }, (_, i) => pt(`di${i}`, 2, i));
    const limits = { ...PROTOCOL, maxBitsPerRead: 16 };
    const plan = planReads(points, limits);
    expect(plan.map((r) => r.count)).toEqual([16, 14]);
    checkCovers(points, plan, limits);
  });

  it('plans the real profiles in the fewest requests', () => {
    const index = ProfileIndex.load();
    const expected: Record<string, number> = { 'eastron/sdm120': 3, 'acrel/aim-r100': 3, 'generic/xy-md02': 1, 'generic/qdy30a': 1, 'calectro/uniguard-ug3-mb': 1 };
    for (const [id, count] of Object.entries(expected)) {
      const profile = index.get(id)!;
      const limits = profile.modbus ?? PROTOCOL;
      const points = resolveProfile(profile).points;
      const plan = planReads(points, limits);
      expect(plan, id).toHaveLength(count);
      expect(plan.length, id).toBe(optimum(points, limits));
      checkCovers(points, plan, limits);
    }
  });

  it('matches the optimum on random point sets', () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const limits = { maxRegistersPerRead: 1 + random(125), maxBitsPerRead: 1 + random(40), maxGap: random(6) };
      const points = Array.from({ length: 1 + random(25) }, (_, i) => {
        const fn = (1 + random(4)) as ReadFunction;
        return pt(`p${i}`, fn, random(200), fn <= 2 ? 1 : 1 + random(2));
      });
      const plan = planReads(points, limits);
      checkCovers(points, plan, limits);
      expect(plan.length).toBe(optimum(points, limits));
    }
  });
});
