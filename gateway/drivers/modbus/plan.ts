// Read coalescing: the points of one source merged into the fewest Modbus requests, each within the
// protocol limit (125 registers / 2000 bits) and the device's own limit from its profile
// (an SDM630 refuses more than 80 registers), spanning at most `maxGap` unused registers.
import type { ReadFunction } from '../../../config/profile.js';
import type { ResolvedPoint } from '../../devices/resolve.js';

export interface ReadRequest {
  readonly function: ReadFunction;
  readonly address: number;
  readonly count: number;
  /** Points fully inside this request. */
  readonly points: readonly string[];
}

export interface PlanLimits {
  readonly maxRegistersPerRead: number;
  readonly maxBitsPerRead: number;
  readonly maxGap: number;
}

export function planReads(points: readonly ResolvedPoint[], limits: PlanLimits): ReadRequest[] {
  const requests: ReadRequest[] = [];
  const byFunction = new Map<ReadFunction, ResolvedPoint[]>();
  for (const point of points) {
    const list = byFunction.get(point.function) ?? [];
    list.push(point);
    byFunction.set(point.function, list);
  }
  for (const fn of [...byFunction.keys()].sort()) {
    const limit = fn === 1 || fn === 2 ? limits.maxBitsPerRead : limits.maxRegistersPerRead;
    const sorted = byFunction.get(fn)!.sort((a, b) => a.address - b.address || b.width - a.width);
    let start = -1;
    let end = -1; // exclusive
    let members: string[] = [];
    const flush = () => {
      if (members.length > 0) requests.push({ function: fn, address: start, count: end - start, points: members });
    };
    for (const point of sorted) {
      const pointEnd = point.address + point.width;
      const fits = members.length > 0 && point.address - end <= limits.maxGap && Math.max(end, pointEnd) - start <= limit;
      if (fits) {
        end = Math.max(end, pointEnd);
        members.push(point.id);
        continue;
      }
      flush();
      start = point.address;
      end = pointEnd;
      members = [point.id];
    }
    flush();
  }
  return requests;
}
