// The bounded recent window behind the console's charts: the last N points per series, for at most
// M series (the least recently updated series is forgotten first). Without InfluxDB this is all there is.
import type { ParsedLine } from './line-protocol.js';

export interface SeriesKey {
  readonly gateway: string;
  readonly source: string;
  readonly field: string;
}

export interface SeriesInfo extends SeriesKey {
  readonly township: string;
  readonly compound: string;
  readonly measurement: string;
  readonly lastTs: number;
  readonly lastValue: number;
}

interface Series {
  info: SeriesInfo;
  ts: number[];
  values: number[];
}

export class RecentWindow {
  private readonly series = new Map<string, Series>();

  constructor(
    private readonly pointsPerSeries: number,
    private readonly maxSeries: number,
  ) {}

  /** Adds numeric and boolean fields of accepted lines (booleans as 0/1; strings are not charted). */
  add(lines: readonly ParsedLine[]): void {
    for (const line of lines) {
      const gateway = line.tags.get('gateway') ?? '';
      const source = line.tags.get('source') ?? '';
      for (const [field, raw] of line.fields) {
        if (typeof raw === 'string') continue;
        const value = typeof raw === 'boolean' ? Number(raw) : raw;
        const key = `${gateway}\u0000${source}\u0000${field}`;
        let s = this.series.get(key);
        if (s) this.series.delete(key);
        else s = { info: undefined as unknown as SeriesInfo, ts: [], values: [] };
        s.info = { gateway, source, field, township: line.tags.get('township') ?? '', compound: line.tags.get('compound') ?? '', measurement: line.measurement, lastTs: line.ts, lastValue: value };
        s.ts.push(line.ts);
        s.values.push(value);
        if (s.ts.length > this.pointsPerSeries) {
          s.ts.shift();
          s.values.shift();
        }
        this.series.set(key, s);
        if (this.series.size > this.maxSeries) this.series.delete(this.series.keys().next().value!);
      }
    }
  }

  list(filter: (info: SeriesInfo) => boolean): SeriesInfo[] {
    return [...this.series.values()].map((s) => s.info).filter(filter);
  }

  points(key: SeriesKey): { info: SeriesInfo; ts: number[]; values: number[] } | undefined {
    const s = this.series.get(`${key.gateway}\u0000${key.source}\u0000${key.field}`);
    if (!s) return undefined;
    // Points may arrive out of order after a spool drain; charts want them sorted.
    const order = s.ts.map((_, i) => i).sort((a, b) => s.ts[a]! - s.ts[b]!);
    return { info: s.info, ts: order.map((i) => s.ts[i]!), values: order.map((i) => s.values[i]!) };
  }
}
