// The bounded recent window behind the console's charts: the last N field sections per source, within a
// budget in bytes overall and per gateway (issue 13: capped by count, 128 sources of long lines took
// 553 MB). Past its own budget a gateway forgets its own least recently updated source, so one gateway's
// flood never evicts another gateway's (or township's) series; past the overall budget the least recently
// updated source of all goes. Without InfluxDB this is all there is. It runs for every accepted line, so
// it stores the field text as sent and parses it only when the console asks for a chart.
import type { GatewayIdentity } from '../registry/registry.js';
import type { CheckedLine } from './checked-line.js';
import { own } from './head-cache.js';
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
  /** Estimated heap bytes of this entry (strings are UTF-16). */
  bytes: number;
}

export interface WindowLimits {
  readonly pointsPerSeries: number;
  /** All sources together. */
  readonly maxBytes: number;
  /** One gateway's sources. */
  readonly maxBytesPerGateway: number;
}

/** Bytes of an entry beyond its points (object, arrays, key), and of one point beyond its text. */
const ENTRY_OVERHEAD = 256;
const POINT_OVERHEAD = 32;

function pointBytes(fieldText: string): number {
  return POINT_OVERHEAD + 2 * fieldText.length;
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

interface GatewayEntry {
  /** This gateway's sources by source id, least recently updated first. */
  readonly sources: Map<string, SourceEntry>;
  bytes: number;
}

export class RecentWindow {
  /**
   * Every source, least recently updated first. A set of the entries themselves: an entry found through
   * its gateway moves young with no key to build (a key string made per line and hashed afresh was most
   * of add()'s cost at 1,000 gateways, issue 19).
   */
  private readonly sources = new Set<SourceEntry>();
  /** Each gateway's sources in the same order, and their bytes. */
  private readonly gateways = new Map<string, GatewayEntry>();
  private totalBytes = 0;
  private adds = 0;

  constructor(private readonly limits: WindowLimits) {}

  /** Estimated bytes held, overall and for one gateway. */
  bytes(gateway?: string): number {
    return gateway === undefined ? this.totalBytes : (this.gateways.get(gateway)?.bytes ?? 0);
  }

  /** Sources held (all gateways). */
  sourceCount(): number {
    return this.sources.size;
  }

  add(identity: GatewayIdentity, lines: readonly CheckedLine[]): void {
    const now = ++this.adds;
    const pointsPerSeries = this.limits.pointsPerSeries;
    let gateway = this.gateways.get(identity.gateway);
    if (!gateway) this.gateways.set(identity.gateway, (gateway = { sources: new Map(), bytes: 0 }));
    for (const line of lines) {
      let entry = gateway.sources.get(line.source);
      if (!entry) {
        const source = own(line.source);
        entry = { identity, source, measurement: own(line.measurement), ts: [], text: [], next: 0, touched: now, bytes: 0 };
        this.sources.add(entry);
        gateway.sources.set(source, entry);
        // From 0: grow() adds to the entry too (seeded with its overhead, each entry counted it twice and
        // each eviction freed an overhead more than it had added, so a gateway cycling sources held ever more).
        this.grow(gateway, entry, ENTRY_OVERHEAD + 2 * (identity.gateway.length + 1 + source.length));
      } else if (entry.touched !== now) {
        // Insertion order is the recency order for eviction; one re-insert per source per batch is enough.
        entry.touched = now;
        this.moveYoung(gateway, entry);
      }
      const fieldText = own(line.fieldText);
      if (entry.ts.length < pointsPerSeries) {
        entry.ts.push(line.ts);
        entry.text.push(fieldText);
        this.grow(gateway, entry, pointBytes(line.fieldText));
      } else {
        const old = entry.text[entry.next]!;
        entry.ts[entry.next] = line.ts;
        entry.text[entry.next] = fieldText;
        entry.next = (entry.next + 1) % pointsPerSeries;
        this.grow(gateway, entry, 2 * (line.fieldText.length - old.length));
      }
      this.evict(gateway, entry);
    }
  }

  private grow(gateway: { bytes: number }, entry: SourceEntry, bytes: number): void {
    entry.bytes += bytes;
    gateway.bytes += bytes;
    this.totalBytes += bytes;
  }

  private moveYoung(gateway: GatewayEntry, entry: SourceEntry): void {
    this.sources.delete(entry);
    this.sources.add(entry);
    gateway.sources.delete(entry.source);
    gateway.sources.set(entry.source, entry);
  }

  /** Forgets sources until both budgets hold; never the entry just written unless it alone is over. */
  private evict(gateway: GatewayEntry, keep: SourceEntry): void {
    while (gateway.bytes > this.limits.maxBytesPerGateway && gateway.sources.size > 1) this.forget(gateway.sources.values().next().value!, keep);
    while (this.totalBytes > this.limits.maxBytes && this.sources.size > 1) this.forget(this.sources.values().next().value!, keep);
    // One source over a budget by itself (very long field sections): its oldest points go.
    while ((gateway.bytes > this.limits.maxBytesPerGateway || this.totalBytes > this.limits.maxBytes) && keep.ts.length > 1) this.dropOldestPoint(gateway, keep);
  }

  private forget(entry: SourceEntry, keep: SourceEntry): void {
    const gateway = this.gateways.get(entry.identity.gateway)!;
    if (entry === keep) {
      // The entry being written is kept; it moves young (in both orders) and the next oldest goes instead.
      this.moveYoung(gateway, entry);
      return;
    }
    this.sources.delete(entry);
    gateway.sources.delete(entry.source);
    gateway.bytes -= entry.bytes;
    this.totalBytes -= entry.bytes;
    if (gateway.sources.size === 0) this.gateways.delete(entry.identity.gateway);
  }

  private dropOldestPoint(gateway: { bytes: number }, entry: SourceEntry): void {
    // Unroll the ring into time order, then drop the first.
    const start = entry.ts.length < this.limits.pointsPerSeries ? 0 : entry.next;
    const ts = [...entry.ts.slice(start), ...entry.ts.slice(0, start)];
    const text = [...entry.text.slice(start), ...entry.text.slice(0, start)];
    ts.shift();
    const dropped = text.shift()!;
    entry.ts = ts;
    entry.text = text;
    entry.next = 0;
    this.grow(gateway, entry, -pointBytes(dropped));
  }

  list(filter: (info: SeriesInfo) => boolean): SeriesInfo[] {
    const out: SeriesInfo[] = [];
    for (const e of this.sources.values()) {
      const n = this.limits.pointsPerSeries;
      const last = e.ts.length < n ? e.ts.length - 1 : (e.next - 1 + n) % n;
      for (const [field, lastValue] of numericFields(e.text[last]!)) {
        const info = { gateway: e.identity.gateway, source: e.source, field, township: e.identity.township, compound: e.identity.compound, measurement: e.measurement, lastTs: e.ts[last]!, lastValue };
        if (filter(info)) out.push(info);
      }
    }
    return out;
  }

  points(key: SeriesKey): { info: SeriesInfo; ts: number[]; values: number[] } | undefined {
    const e = this.gateways.get(key.gateway)?.sources.get(key.source);
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
