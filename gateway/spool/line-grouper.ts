// Groups the points of one reading onto one line-protocol line before they are spooled. The decoder
// emits every point of a reading synchronously with the same stamp, so collecting until the end of the
// current tick (a microtask) catches them all; a record then holds one source's points at one time.
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

export class LineGrouper {
  private groups = new Map<string, { key: string; fields: string[]; stamp: TimeStamp }>();
  private scheduled = false;

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
      group = { key, fields: [], stamp: { ts: m.ts, mono: m.mono, synced: m.timeSynced, epoch: this.epoch } };
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
    for (const group of groups.values()) this.emitLine({ ...group, measurements: group.fields.length });
  }
}
