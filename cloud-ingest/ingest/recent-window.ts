// The bounded recent window behind the console's charts: the last N field sections per source, within a
// budget in bytes overall and per gateway (issue 13: capped by count, 128 sources of long lines took
// 553 MB). Past either budget the oldest points go, in the order they arrived (arrival-queue.ts): past a
// gateway's own budget that gateway's oldest, so one gateway's flood never evicts another gateway's (or
// township's) series; past the overall budget the oldest of all. Every source that keeps reporting keeps
// its latest points, and a source is forgotten only when all its points are older than the rest.
// (Forgetting the least recently updated source instead made sources cycle whenever their points did not
// all fit: at 1,000 gateways the 64 MiB budget holds about two dozen points of each source, and each in
// turn lost all of them, its latest value included; a gateway of 1,000 meters, one point each just within
// its own budget, forgot one source per line at its next batch, and the drain of bench:ingest spent an
// eighth of the worker in that churn.) Without InfluxDB this is all there is. It runs for every accepted
// line, so it stores the field text as sent and parses it only when the console asks for a chart.
import type { GatewayIdentity } from '../registry/registry.js';
import { ArrivalQueue } from './arrival-queue.js';
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
  /**
   * The points, a ring: while shorter than pointsPerSeries the arrays grow and the points sit in arrival
   * order from slot 0; at full length `start` is the oldest slot and fewer points than the length may be held.
   */
  ts: number[];
  text: string[];
  start: number;
  /**
   * Arrival numbers of the oldest point held and of the next point (the arrival queues refer to them):
   * the entry holds nextSeq - firstSeq points (held()).
   */
  firstSeq: number;
  nextSeq: number;
  forgotten: boolean;
  /** add() call that last moved this entry to the young end of the recency order. */
  touched: number;
  /** Estimated heap bytes of this entry (strings are UTF-16). */
  bytes: number;
  /** Its place in the recency order of all sources (list() runs through it). */
  readonly all: Link;
}

/** Neighbours in the recency order (list() gives the older first). */
interface Link {
  older: SourceEntry | undefined;
  younger: SourceEntry | undefined;
}

/** The two ends of a recency order. */
interface Ends {
  oldest: SourceEntry | undefined;
  youngest: SourceEntry | undefined;
}

/**
 * Recency as doubly linked lists through the entries themselves: moving a source to the young end is a
 * few pointer writes. It was a delete and re-insert in a Set and a Map per source per batch, which hashed
 * both times and made the tables rehash as deleted slots piled up (bench:ingest, 32,000 sources moved a
 * thousand at a time: 27 MB of table copies in a run, issue 13).
 */
function makeYoungest(ends: Ends, entry: SourceEntry): void {
  const link = entry.all;
  link.older = ends.youngest;
  link.younger = undefined;
  if (ends.youngest) ends.youngest.all.younger = entry;
  else ends.oldest = entry;
  ends.youngest = entry;
}

function unlink(ends: Ends, entry: SourceEntry): void {
  const link = entry.all;
  const { older, younger } = link;
  if (older) older.all.younger = younger;
  else ends.oldest = younger;
  if (younger) younger.all.older = older;
  else ends.youngest = older;
  link.older = link.younger = undefined;
}

function moveYoungest(ends: Ends, entry: SourceEntry): void {
  if (ends.youngest === entry) return;
  unlink(ends, entry);
  makeYoungest(ends, entry);
}

export interface WindowLimits {
  readonly pointsPerSeries: number;
  /** All sources together. */
  readonly maxBytes: number;
  /** One gateway's sources. */
  readonly maxBytesPerGateway: number;
}

/**
 * Bytes of an entry beyond its points (the entry and its links, its two arrays' first backing stores, its
 * map slot, the copied source and measurement; its key is counted in UTF-16 besides), and of one point
 * beyond its text (its slots in the two arrays and its four in the two arrival queues, their slack).
 * Measured (tests/cloud-ingest/recent-window-memory.test.ts): a source of one 5-field point holds ~800
 * heap bytes, which 256 counted as ~490, so a flood of new sources held 1.6 times its budget; a full ring's
 * point holds ~200 bytes with both queues (~180 with the overall queue alone) against 237 estimated (its
 * text is one byte a character, counted as two).
 */
const ENTRY_OVERHEAD = 768;
const POINT_OVERHEAD = 64;

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
  /** This gateway's sources by source id. */
  readonly sources: Map<string, SourceEntry>;
  /** This gateway's points in arrival order: its own budget drops from the head. */
  readonly arrivals: ArrivalQueue<SourceEntry>;
  bytes: number;
  points: number;
}

/** What a forgotten entry holds instead of its arrays (shared: nothing is ever added to a forgotten entry). */
const FORGOTTEN_TS: number[] = [];
const FORGOTTEN_TEXT: string[] = [];

/** Points an entry holds. */
function held(entry: SourceEntry): number {
  return entry.nextSeq - entry.firstSeq;
}

/** Slot of the i-th oldest point of an entry. */
function slot(entry: SourceEntry, i: number): number {
  return (entry.start + i) % entry.ts.length;
}

/** Drops an entry's oldest point; returns its text. */
function dropOldest(entry: SourceEntry, pointsPerSeries: number): string {
  let text: string;
  if (entry.ts.length < pointsPerSeries) {
    entry.ts.shift();
    text = entry.text.shift()!;
  } else {
    text = entry.text[entry.start]!;
    entry.text[entry.start] = '';
    entry.start = (entry.start + 1) % entry.ts.length;
  }
  entry.firstSeq++;
  return text;
}

export class RecentWindow {
  /**
   * Every source, least recently updated first, through the entries' `all` links (list() gives them in
   * that order): an entry found through its gateway moves young with no key to build (a key string made
   * per line and hashed afresh was most of add()'s cost at 1,000 gateways, issue 19).
   */
  private readonly all: Ends = { oldest: undefined, youngest: undefined };
  private count = 0;
  /** Each gateway's sources, its points in arrival order, and their bytes. */
  private readonly gateways = new Map<string, GatewayEntry>();
  private totalBytes = 0;
  private adds = 0;
  /** Every point held, in arrival order: the overall budget drops from its head. */
  private readonly arrivals = new ArrivalQueue<SourceEntry>();
  private heldPoints = 0;

  constructor(private readonly limits: WindowLimits) {}

  /** Estimated bytes held, overall and for one gateway. */
  bytes(gateway?: string): number {
    return gateway === undefined ? this.totalBytes : (this.gateways.get(gateway)?.bytes ?? 0);
  }

  /** Sources held (all gateways). */
  sourceCount(): number {
    return this.count;
  }

  add(identity: GatewayIdentity, lines: readonly CheckedLine[]): void {
    const now = ++this.adds;
    const pointsPerSeries = this.limits.pointsPerSeries;
    let gateway = this.gateways.get(identity.gateway);
    if (!gateway) this.gateways.set(identity.gateway, (gateway = { sources: new Map(), arrivals: new ArrivalQueue(), bytes: 0, points: 0 }));
    for (const line of lines) {
      let entry = gateway.sources.get(line.source);
      if (!entry) {
        const source = own(line.source);
        entry = { identity, source, measurement: own(line.measurement), ts: [], text: [], start: 0, firstSeq: 0, nextSeq: 0, forgotten: false, touched: now, bytes: 0, all: { older: undefined, younger: undefined } };
        makeYoungest(this.all, entry);
        this.count++;
        gateway.sources.set(source, entry);
        // From 0: grow() adds to the entry too (seeded with its overhead, each entry counted it twice and
        // each eviction freed an overhead more than it had added, so a gateway cycling sources held ever more).
        this.grow(gateway, entry, ENTRY_OVERHEAD + 2 * (identity.gateway.length + 1 + source.length));
      } else if (entry.touched !== now) {
        // One move per source per batch is enough for list()'s order.
        entry.touched = now;
        moveYoungest(this.all, entry);
      }
      const fieldText = own(line.fieldText);
      if (entry.ts.length < pointsPerSeries) {
        entry.ts.push(line.ts);
        entry.text.push(fieldText);
      } else {
        // Full length: a full ring overwrites its oldest point.
        if (held(entry) === pointsPerSeries) this.dropOldestPoint(gateway, entry);
        const at = slot(entry, held(entry));
        entry.ts[at] = line.ts;
        entry.text[at] = fieldText;
      }
      const seq = entry.nextSeq++;
      this.arrivals.push(entry, seq);
      gateway.arrivals.push(entry, seq);
      this.grow(gateway, entry, pointBytes(line.fieldText), 1);
      this.evict(gateway, entry);
    }
  }

  private grow(gateway: GatewayEntry, entry: SourceEntry, bytes: number, points = 0): void {
    entry.bytes += bytes;
    gateway.bytes += bytes;
    gateway.points += points;
    this.totalBytes += bytes;
    this.heldPoints += points;
  }

  /** Brings both budgets back; never drops the point just written. */
  private evict(gateway: GatewayEntry, keep: SourceEntry): void {
    while (gateway.bytes > this.limits.maxBytesPerGateway && this.dropFrom(gateway.arrivals, keep));
    while (this.totalBytes > this.limits.maxBytes && this.dropFrom(this.arrivals, keep));
    this.arrivals.sweep(this.heldPoints);
    gateway.arrivals.sweep(gateway.points);
  }

  /** Drops the oldest point of a queue, forgetting its source if it was the source's last; false if that is the point just written. */
  private dropFrom(arrivals: ArrivalQueue<SourceEntry>, keep: SourceEntry): boolean {
    const entry = arrivals.oldest();
    if (!entry || (entry === keep && held(entry) === 1)) return false;
    arrivals.shift();
    const gateway = this.gateways.get(entry.identity.gateway)!;
    if (held(entry) === 1) this.forget(gateway, entry);
    else this.dropOldestPoint(gateway, entry);
    return true;
  }

  private forget(gateway: GatewayEntry, entry: SourceEntry): void {
    unlink(this.all, entry);
    this.count--;
    entry.forgotten = true;
    this.heldPoints -= held(entry);
    gateway.points -= held(entry);
    gateway.sources.delete(entry.source);
    gateway.bytes -= entry.bytes;
    this.totalBytes -= entry.bytes;
    if (gateway.sources.size === 0) this.gateways.delete(entry.identity.gateway);
    // Stale arrival-queue references outlive it until the next sweep (up to a quarter of the points held,
    // which the estimate does not count): they keep the bare entry and nothing of its own. Nothing reads a
    // forgotten entry but its arrival numbers and its flag.
    entry.ts = FORGOTTEN_TS;
    entry.text = FORGOTTEN_TEXT;
    entry.source = '';
    entry.measurement = '';
  }

  private dropOldestPoint(gateway: GatewayEntry, entry: SourceEntry): void {
    this.grow(gateway, entry, -pointBytes(dropOldest(entry, this.limits.pointsPerSeries)), -1);
  }

  list(filter: (info: SeriesInfo) => boolean): SeriesInfo[] {
    const out: SeriesInfo[] = [];
    for (let e = this.all.oldest; e; e = e.all.younger) {
      const last = slot(e, held(e) - 1);
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
    for (let i = 0, n = held(e); i < n; i++) {
      const at = slot(e, i);
      const value = numericFields(e.text[at]!).get(key.field);
      if (value !== undefined) points.push([e.ts[at]!, value]);
    }
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
