// The bounded recent window behind the console's charts: the last N field sections per source, for at
// most M sources (the least recently updated source is forgotten first). Without InfluxDB this is all
// there is. It runs for every accepted line, so it stores the field text as sent and parses it only when
// the console asks for a chart.
import type { GatewayIdentity } from '../registry/registry.js';
import type { CheckedLine } from './checked-line.js';
import { parseFields, type FieldValue } from './line-protocol.js';

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

interface SourceEntry {
  identity: GatewayIdentity;
  source: string;
  measurement: string;
  ts: number[];
  text: string[];
  /** Next slot to overwrite once the ring is full. */
  next: number;
  /** add() call that last moved this entry to the young end of the map. */
  touched: number;
}

/** Field values of one field section; strings are not charted, booleans become 0/1. */
function numericFields(fieldText: string): Map<string, number> {
  const out = new Map<string, number>();
  const fields: [string, FieldValue][] = fieldText.includes('"') || fieldText.includes('\\') ? parseFields(fieldText) : fieldText.split(',').map((pair) => splitSimple(pair));
  for (const [key, value] of fields) if (typeof value !== 'string') out.set(key, Number(value));
  return out;
}

function splitSimple(pair: string): [string, FieldValue] {
  const eq = pair.indexOf('=');
  const text = pair.slice(eq + 1);
  const c = text[0];
  if (c === 't' || c === 'T') return [pair.slice(0, eq), true];
  if (c === 'f' || c === 'F') return [pair.slice(0, eq), false];
  return [pair.slice(0, eq), Number(text.endsWith('i') || text.endsWith('u') ? text.slice(0, -1) : text)];
}

export class RecentWindow {
  private readonly sources = new Map<string, SourceEntry>();
  private adds = 0;

  constructor(
    private readonly pointsPerSeries: number,
    private readonly maxSources: number,
  ) {}

  add(identity: GatewayIdentity, lines: readonly CheckedLine[]): void {
    const now = ++this.adds;
    for (const line of lines) {
      const key = `${identity.gateway}\u0000${line.source}`;
      let entry = this.sources.get(key);
      if (!entry) {
        entry = { identity, source: line.source, measurement: line.measurement, ts: [], text: [], next: 0, touched: now };
        if (this.sources.size >= this.maxSources) this.sources.delete(this.sources.keys().next().value!);
        this.sources.set(key, entry);
      } else if (entry.touched !== now) {
        // Map order is the recency order for eviction; one re-insert per source per batch is enough.
        entry.touched = now;
        this.sources.delete(key);
        this.sources.set(key, entry);
      }
      if (entry.ts.length < this.pointsPerSeries) {
        entry.ts.push(line.ts);
        entry.text.push(line.fieldText);
      } else {
        entry.ts[entry.next] = line.ts;
        entry.text[entry.next] = line.fieldText;
        entry.next = (entry.next + 1) % this.pointsPerSeries;
      }
    }
  }

  list(filter: (info: SeriesInfo) => boolean): SeriesInfo[] {
    const out: SeriesInfo[] = [];
    for (const e of this.sources.values()) {
      const last = e.ts.length < this.pointsPerSeries ? e.ts.length - 1 : (e.next - 1 + this.pointsPerSeries) % this.pointsPerSeries;
      for (const [field, lastValue] of numericFields(e.text[last]!)) {
        const info = { gateway: e.identity.gateway, source: e.source, field, township: e.identity.township, compound: e.identity.compound, measurement: e.measurement, lastTs: e.ts[last]!, lastValue };
        if (filter(info)) out.push(info);
      }
    }
    return out;
  }

  points(key: SeriesKey): { info: SeriesInfo; ts: number[]; values: number[] } | undefined {
    const e = this.sources.get(`${key.gateway}\u0000${key.source}`);
    if (!e) return undefined;
    const points: [number, number][] = [];
    e.ts.forEach((ts, i) => {
      const value = numericFields(e.text[i]!).get(key.field);
      if (value !== undefined) points.push([ts, value]);
    });
    if (points.length === 0) return undefined;
    // Points may arrive out of order after a spool drain; charts want them sorted.
    points.sort((a, b) => a[0] - b[0]);
    const [lastTs, lastValue] = points[points.length - 1]!;
    return {
      info: { gateway: e.identity.gateway, source: e.source, field: key.field, township: e.identity.township, compound: e.identity.compound, measurement: e.measurement, lastTs, lastValue },
      ts: points.map((p) => p[0]),
      values: points.map((p) => p[1]),
    };
  }
}
