// The series budget (issue 13): how many distinct series (measurement + tag set, as written) one gateway
// and one township may have. A gateway inventing a new source name per line would otherwise grow the
// database's index and the recent window without end (100,000 new series in 9 s). A line of a new series
// past either budget is rejected with its line number and a reason that says which budget; series already
// known keep flowing. Series are remembered as 53-bit hashes in two generations: a series not seen for
// one to two rotation periods is forgotten, so sources renamed over months do not use the budget up.

export interface SeriesLimits {
  readonly maxPerGateway: number;
  readonly maxPerTownship: number;
  /** A series unseen for between one and two of these is forgotten. */
  readonly rotateMs: number;
}

interface Generation {
  readonly byGateway: Map<string, Set<number>>;
  readonly byTownship: Map<string, number>;
}

function emptyGeneration(): Generation {
  return { byGateway: new Map(), byTownship: new Map() };
}

/** Two FNV-1a passes with different offsets, folded into 53 bits (exact in a double). */
export function seriesHash(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 13);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}

export class SeriesBudget {
  private current = emptyGeneration();
  private previous = emptyGeneration();
  private rotatedAt: number;

  constructor(
    private readonly limits: SeriesLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.rotatedAt = now();
  }

  /** undefined when the line's series may be written, else the refusal (which budget, its size). */
  admit(township: string, gateway: string, series: string): string | undefined {
    return this.admitHash(township, gateway, seriesHash(series));
  }

  /** admit() for a series whose seriesHash is known (a checked line carries it: one hash per head, not per line). */
  admitHash(township: string, gateway: string, hash: number): string | undefined {
    const now = this.now();
    if (now - this.rotatedAt >= this.limits.rotateMs) {
      this.previous = this.current;
      this.current = emptyGeneration();
      this.rotatedAt = now;
    }
    const mine = this.current.byGateway.get(gateway);
    if (mine?.has(hash)) return undefined;
    const old = this.previous.byGateway.get(gateway);
    const known = old?.has(hash) === true;
    if (!known) {
      if (this.count(gateway) >= this.limits.maxPerGateway) return `series budget of gateway ${gateway} is used up (${this.limits.maxPerGateway} series); new series are refused`;
      if (this.townshipCount(township) >= this.limits.maxPerTownship) return `series budget of township ${township} is used up (${this.limits.maxPerTownship} series); new series are refused`;
    }
    // Moved into the current generation (from the previous one, or new).
    if (known) old!.delete(hash);
    if (known) this.previous.byTownship.set(township, (this.previous.byTownship.get(township) ?? 1) - 1);
    const set = mine ?? new Set<number>();
    if (!mine) this.current.byGateway.set(gateway, set);
    set.add(hash);
    this.current.byTownship.set(township, (this.current.byTownship.get(township) ?? 0) + 1);
    return undefined;
  }

  /** Series hashes held, both generations (a series seen in both counts twice: that is what is held). */
  held(): number {
    let n = 0;
    for (const generation of [this.current, this.previous]) for (const set of generation.byGateway.values()) n += set.size;
    return n;
  }

  /** Series a gateway has now (both generations). */
  count(gateway: string): number {
    return (this.current.byGateway.get(gateway)?.size ?? 0) + (this.previous.byGateway.get(gateway)?.size ?? 0);
  }

  townshipCount(township: string): number {
    return (this.current.byTownship.get(township) ?? 0) + (this.previous.byTownship.get(township) ?? 0);
  }
}
