// Groups the points of one reading onto one line-protocol line before they are spooled. The decoder
// emits every point of a reading synchronously with the same stamp, so collecting until the end of the
// current tick (a microtask) catches them all; a record then holds one source's points at one time.
// Lines of one series get distinct milliseconds: InfluxDB keeps one sample per series and timestamp, so
// two readings of a source stamped in the same millisecond (a device flushing its backlog, messages
// that arrived together) would silently overwrite each other. A later one is stamped 1 ms after the
// last; only stamps taken with a synced clock are adjusted (the others are placed when sent), and never
// a device's own time (a resend must keep it, so the database folds the copy).
import { encodeField, seriesKey } from '../line-protocol/encode.js';
import { escapeKey } from '../line-protocol/escape.js';
import type { Measurement } from '../pipeline/types.js';
import type { TimeStamp } from '../time/placement.js';

export interface GroupedLine {
  readonly key: string;
  readonly fields: string[];
  readonly stamp: TimeStamp;
  /** How many measurements the line carries (for counting). */
  readonly measurements: number;
}

/** Series remembered for distinct stamps; past it the memory starts again (a collision then is merely possible). */
const MAX_SERIES_REMEMBERED = 20_000;

interface Group {
  readonly key: string;
  readonly fields: string[];
  /** The escaped field name of each entry in fields (a point repeated within one stamp replaces the earlier value). */
  readonly names: string[];
  readonly stamp: TimeStamp;
  readonly deviceTime: boolean;
}

export class LineGrouper {
  /** This tick's groups in the order they began, and the same groups by series key. */
  private groups: Group[] = [];
  private byKey = new Map<string, Group[]>();
  private scheduled = false;
  /** Series key → the last millisecond a synced line of it was stamped with. */
  private readonly lastMs = new Map<string, number>();
  /**
   * Series keys of frozen tag sets (a source's tags are frozen once at start), by source and class:
   * building the key for every measurement was half of the gateway's allocation at saturation (issue 12).
   */
  private readonly keys = new WeakMap<object, Map<string, Map<string, string>>>();

  constructor(
    private readonly epoch: string,
    private readonly emitLine: (line: GroupedLine) => void,
  ) {}

  /** Adds one measurement; throws (naming source and point) when its value cannot be encoded. */
  add(m: Measurement): void {
    const field = encodeField(m.point, m.value);
    const key = this.seriesKeyOf(m);
    let sameKey = this.byKey.get(key);
    if (!sameKey) {
      sameKey = [];
      this.byKey.set(key, sameKey);
    }
    // Plain loops, no closure or map per measurement: a line holds one reading's points, a few dozen at most.
    let group: Group | undefined;
    for (const g of sameKey) {
      if (sameNumber(g.stamp.mono, m.mono) && sameNumber(g.stamp.ts, m.ts) && g.stamp.synced === m.timeSynced) {
        group = g;
        break;
      }
    }
    if (!group) {
      group = { key, fields: [], names: [], stamp: { ts: m.ts, mono: m.mono, synced: m.timeSynced, epoch: this.epoch }, deviceTime: m.deviceTime === true };
      sameKey.push(group);
      this.groups.push(group);
    }
    // A point repeated within one stamp replaces the earlier value (InfluxDB would keep the last one too).
    const name = escapeKey(m.point);
    const existing = group.names.indexOf(name);
    if (existing >= 0) group.fields[existing] = field;
    else {
      group.names.push(name);
      group.fields.push(field);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private seriesKeyOf(m: Measurement): string {
    if (!Object.isFrozen(m.tags)) return seriesKey(m);
    let bySource = this.keys.get(m.tags);
    if (!bySource) {
      bySource = new Map();
      this.keys.set(m.tags, bySource);
    }
    let byClass = bySource.get(m.source);
    if (!byClass) {
      byClass = new Map();
      bySource.set(m.source, byClass);
    }
    let key = byClass.get(m.class);
    if (key === undefined) {
      key = seriesKey(m);
      byClass.set(m.class, key);
    }
    return key;
  }

  flush(): void {
    this.scheduled = false;
    const groups = this.groups;
    this.groups = [];
    this.byKey = new Map();
    for (const { key, fields, stamp, deviceTime } of groups) {
      this.emitLine({ key, fields, stamp: deviceTime ? stamp : this.distinct(key, stamp), measurements: fields.length });
    }
  }

  private distinct(key: string, stamp: TimeStamp): TimeStamp {
    if (!stamp.synced) return stamp;
    const last = this.lastMs.get(key);
    const ms = Math.max(Math.round(stamp.ts), last === undefined ? -Infinity : last + 1);
    if (this.lastMs.size >= MAX_SERIES_REMEMBERED && last === undefined) this.lastMs.clear();
    this.lastMs.set(key, ms);
    return ms === stamp.ts ? stamp : { ...stamp, ts: ms };
  }
}

/** Equal as the former string group key compared them: NaN matches NaN, and -0 matches 0. */
function sameNumber(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}
