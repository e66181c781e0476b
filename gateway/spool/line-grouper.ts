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

export class LineGrouper {
  private groups = new Map<string, { key: string; fields: string[]; stamp: TimeStamp; deviceTime: boolean }>();
  private scheduled = false;
  /** Series key → the last millisecond a synced line of it was stamped with. */
  private readonly lastMs = new Map<string, number>();

  constructor(
    private readonly epoch: string,
    private readonly emitLine: (line: GroupedLine) => void,
  ) {}

  /** Adds one measurement; throws (naming source and point) when its value cannot be encoded. */
  add(m: Measurement): void {
    const field = encodeField(m.point, m.value);
    const key = seriesKey(m);
    const groupKey = `${key}\u0000${m.mono}\u0000${m.ts}\u0000${m.timeSynced}`;
    let group = this.groups.get(groupKey);
    if (!group) {
      group = { key, fields: [], stamp: { ts: m.ts, mono: m.mono, synced: m.timeSynced, epoch: this.epoch }, deviceTime: m.deviceTime === true };
      this.groups.set(groupKey, group);
    }
    // A point repeated within one stamp replaces the earlier value (InfluxDB would keep the last one too).
    const name = escapeKey(m.point);
    const existing = group.fields.findIndex((f) => f.startsWith(`${name}=`));
    if (existing >= 0) group.fields[existing] = field;
    else group.fields.push(field);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    const groups = this.groups;
    this.groups = new Map();
    for (const { key, fields, stamp, deviceTime } of groups.values()) {
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
