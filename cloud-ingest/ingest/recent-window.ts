// The bounded recent window behind the console's charts: the last N points per field of each source, for
// at most M sources (the least recently updated source is forgotten first). Without InfluxDB this is
// all there is. Ring buffers, one map lookup per line: it runs on every accepted line.
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

/** Last-N points; grows by push until full, then overwrites the oldest (most sources never fill it). */
class Ring {
  readonly ts: number[] = [];
  readonly values: number[] = [];
  next = 0;

  constructor(private readonly size: number) {}

  get count(): number {
    return this.ts.length;
  }

  push(ts: number, value: number): void {
    if (this.ts.length < this.size) {
      this.ts.push(ts);
      this.values.push(value);
      return;
    }
    this.ts[this.next] = ts;
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.size;
  }

  last(): [number, number] {
    const i = this.ts.length < this.size ? this.ts.length - 1 : (this.next - 1 + this.size) % this.size;
    return [this.ts[i]!, this.values[i]!];
  }

  /** Indices oldest first. */
  order(): number[] {
    const start = this.ts.length < this.size ? 0 : this.next;
    return Array.from({ length: this.ts.length }, (_, i) => (start + i) % this.ts.length);
  }
}

interface SourceEntry {
  gateway: string;
  source: string;
  township: string;
  compound: string;
  measurement: string;
  fields: Map<string, Ring>;
}

export class RecentWindow {
  private readonly sources = new Map<string, SourceEntry>();

  constructor(
    private readonly pointsPerSeries: number,
    private readonly maxSources: number,
  ) {}

  /** Adds numeric and boolean fields of accepted lines (booleans as 0/1; strings are not charted). */
  add(lines: readonly ParsedLine[]): void {
    let previous: SourceEntry | undefined;
    let previousKey = '';
    for (const line of lines) {
      const gateway = line.tags.get('gateway') ?? '';
      const source = line.tags.get('source') ?? '';
      const key = `${gateway}\u0000${source}`;
      let entry = key === previousKey ? previous : this.sources.get(key);
      if (!entry) {
        entry = { gateway, source, township: line.tags.get('township') ?? '', compound: line.tags.get('compound') ?? '', measurement: line.measurement, fields: new Map() };
        if (this.sources.size >= this.maxSources) this.sources.delete(this.sources.keys().next().value!);
      } else if (key !== previousKey) {
        this.sources.delete(key); // re-insert: Map order is the recency order for eviction
      }
      if (key !== previousKey) this.sources.set(key, entry);
      previous = entry;
      previousKey = key;
      for (const [field, raw] of line.fields) {
        if (typeof raw === 'string') continue;
        let ring = entry.fields.get(field);
        if (!ring) entry.fields.set(field, (ring = new Ring(this.pointsPerSeries)));
        ring.push(line.ts, typeof raw === 'boolean' ? Number(raw) : raw);
      }
    }
  }

  list(filter: (info: SeriesInfo) => boolean): SeriesInfo[] {
    const out: SeriesInfo[] = [];
    for (const e of this.sources.values()) {
      for (const [field, ring] of e.fields) {
        const [lastTs, lastValue] = ring.last();
        const info = { gateway: e.gateway, source: e.source, field, township: e.township, compound: e.compound, measurement: e.measurement, lastTs, lastValue };
        if (filter(info)) out.push(info);
      }
    }
    return out;
  }

  points(key: SeriesKey): { info: SeriesInfo; ts: number[]; values: number[] } | undefined {
    const e = this.sources.get(`${key.gateway}\u0000${key.source}`);
    const ring = e?.fields.get(key.field);
    if (!e || !ring) return undefined;
    const [lastTs, lastValue] = ring.last();
    const idx = ring.order();
    // Points may arrive out of order after a spool drain; charts want them sorted.
    idx.sort((a, b) => ring.ts[a]! - ring.ts[b]!);
    return {
      info: { gateway: e.gateway, source: e.source, field: key.field, township: e.township, compound: e.compound, measurement: e.measurement, lastTs, lastValue },
      ts: idx.map((i) => ring.ts[i]!),
      values: idx.map((i) => ring.values[i]!),
    };
  }
}
