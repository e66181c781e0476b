// Counting at the edges after the drain: what the sensor was told is safe (PUBACK) against what the
// database holds, and each acknowledged alarm toggle against the township's alarm log.
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportedSeries } from '../../tests/helpers/victoria.js';
import type { Toggle } from './alarm-source.js';

export interface MeasurementCount {
  /** Sequence numbers the sensor produced. */
  readonly published: number;
  /** Distinct numbers that got a PUBACK from the gateway. */
  readonly acknowledged: number;
  /** Acknowledged numbers found in the database. */
  readonly stored: number;
  /** Acknowledged and absent from the database. */
  readonly lost: number;
  readonly lostPercent: number;
  /** Acknowledged numbers stored as more than one sample with different timestamps. */
  readonly doubled: number;
  /** Of those, numbers the sensor sent more than once (a resend after a lost PUBACK, re-stamped by the gateway). */
  readonly doubledResent: number;
  /** Extra samples identical in timestamp and value (InfluxDB would overwrite them; VictoriaMetrics keeps both). */
  readonly identicalSamples: number;
  /** Numbers in the database the sensor never got a PUBACK for (harmless: delivered, ack lost). */
  readonly storedUnacknowledged: number;
  /** Samples of two different numbers sharing one timestamp in the series (InfluxDB would keep only one). */
  readonly sharedTimestamps: number;
  /** Every sample of the sequence series, and the distinct milliseconds they are stamped with. */
  readonly samples: number;
  readonly distinctTimestamps: number;
  /** Where the losses are: runs of consecutive lost numbers, "first-last", the first 20. */
  readonly lostRanges: readonly string[];
}

export function countMeasurements(series: readonly ExportedSeries[], published: number, acked: ReadonlySet<number>, sends: ReadonlyMap<number, number>): MeasurementCount {
  const timestamps = new Map<number, Set<number>>();
  let samples = 0;
  const valuesAt = new Map<number, Set<number>>();
  for (const s of series) {
    s.values.forEach((value, i) => {
      const ts = s.timestamps[i]!;
      samples++;
      let set = timestamps.get(value);
      if (!set) timestamps.set(value, (set = new Set()));
      set.add(ts);
      let at = valuesAt.get(ts);
      if (!at) valuesAt.set(ts, (at = new Set()));
      at.add(value);
    });
  }
  let distinctSamples = 0;
  for (const set of timestamps.values()) distinctSamples += set.size;
  let stored = 0;
  let doubled = 0;
  let doubledResent = 0;
  const lostNumbers: number[] = [];
  for (const seq of acked) {
    const set = timestamps.get(seq);
    if (!set) {
      lostNumbers.push(seq);
      continue;
    }
    stored++;
    if (set.size > 1) {
      doubled++;
      if ((sends.get(seq) ?? 0) > 1) doubledResent++;
    }
  }
  let storedUnacknowledged = 0;
  for (const seq of timestamps.keys()) if (!acked.has(seq)) storedUnacknowledged++;
  let sharedTimestamps = 0;
  for (const at of valuesAt.values()) if (at.size > 1) sharedTimestamps += at.size;
  const lost = acked.size - stored;
  return {
    published,
    acknowledged: acked.size,
    stored,
    lost,
    lostPercent: acked.size === 0 ? 0 : Number(((100 * lost) / acked.size).toFixed(2)),
    doubled,
    doubledResent,
    identicalSamples: samples - distinctSamples,
    storedUnacknowledged,
    sharedTimestamps,
    samples,
    distinctTimestamps: valuesAt.size,
    lostRanges: ranges(lostNumbers.sort((a, b) => a - b), acked).slice(0, 20),
  };
}

/** Runs of lost numbers; a number never acknowledged in between does not break a run. */
function ranges(sorted: readonly number[], acked: ReadonlySet<number>): string[] {
  const out: string[] = [];
  let first: number | undefined;
  let last = 0;
  for (const n of sorted) {
    if (first !== undefined) {
      let gapAcked = false;
      for (let k = last + 1; k < n && !gapAcked; k++) gapAcked = acked.has(k);
      if (!gapAcked) {
        last = n;
        continue;
      }
      out.push(first === last ? `${first}` : `${first}-${last}`);
    }
    first = n;
    last = n;
  }
  if (first !== undefined) out.push(first === last ? `${first}` : `${first}-${last}`);
  return out;
}

/** One alarm event as the township recorded it. */
export interface TownshipEvent {
  readonly eventId: string;
  readonly alarmId: string;
  readonly transition: string;
  /** The gateway's wall clock when its alarm engine emitted the event (ms). */
  readonly ts: number;
}

/**
 * Every event of one gateway whose alarm id starts with `alarmPrefix`, from each worker's data dir: the
 * workflow database (workflow.sqlite, case_events) where cloud-ingest has one, else the alarm log
 * (alarms.jsonl). Several workers: the union (alarm events go to every worker).
 */
export async function readTownshipEvents(dataDirs: readonly string[], gateway: string, alarmPrefix: string): Promise<TownshipEvent[]> {
  const events: TownshipEvent[] = [];
  for (const dir of dataDirs) {
    const sqlite = join(dir, 'workflow.sqlite');
    const jsonl = join(dir, 'alarms.jsonl');
    if (existsSync(sqlite)) events.push(...(await readSqliteEvents(sqlite, gateway, alarmPrefix)));
    else if (existsSync(jsonl)) events.push(...readJsonlEvents(jsonl, gateway, alarmPrefix));
  }
  return events;
}

async function readSqliteEvents(file: string, gateway: string, alarmPrefix: string): Promise<TownshipEvent[]> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT event_key, alarm_id, transition, ts FROM case_events WHERE event_key LIKE ? AND alarm_id LIKE ?').all(`${gateway}/%`, `${alarmPrefix}%`) as { event_key: string; alarm_id: string; transition: string; ts: number }[];
    return rows.map((r) => ({ eventId: r.event_key.slice(gateway.length + 1), alarmId: r.alarm_id, transition: r.transition, ts: Number(r.ts) }));
  } finally {
    db.close();
  }
}

function readJsonlEvents(file: string, gateway: string, alarmPrefix: string): TownshipEvent[] {
  const events: TownshipEvent[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    let record: { type?: string; gateway?: string; event?: { eventId?: unknown; alarmId?: unknown; transition?: unknown; ts?: unknown } };
    try {
      record = JSON.parse(line);
    } catch (_error) {
      continue; // a torn last line after a SIGKILL; cloud-ingest skips it the same way
    }
    const e = record.event;
    if (record.type !== 'event' || record.gateway !== gateway || typeof e?.eventId !== 'string' || typeof e.alarmId !== 'string' || !e.alarmId.startsWith(alarmPrefix)) continue;
    events.push({ eventId: e.eventId, alarmId: e.alarmId, transition: String(e.transition), ts: Number(e.ts) });
  }
  return events;
}

export const ALARM_LOSS_DEFINITION =
  'An alarm transition is lost when its toggle got a PUBACK from the gateway, was not uncertain, and the township (every ' +
  "cloud-ingest worker's alarm store, after the drain) has no event of that transition (raise or clear) for the alarm stamped " +
  'between that toggle being sent and the next toggle being sent. Doubled: more than one event id in that window. ' +
  'A lost raise also costs the clear after it (the gateway has nothing to clear).';

export interface AlarmCount {
  readonly definition: string;
  readonly toggles: number;
  readonly transitionsAcknowledged: number;
  readonly arrived: number;
  readonly lost: number;
  readonly doubled: number;
  /** Acknowledged toggles sent while the gateway's alarm state was unknown (excluded above). */
  readonly uncertain: number;
  /** A few lost transitions as "raise@<seconds into the run>". */
  readonly lostSample: readonly string[];
}

/** Slack for the event stamp against the send time (both read Date.now() on this host). */
const STAMP_SLACK_MS = 5;

export function countAlarms(toggles: readonly Toggle[], events: readonly TownshipEvent[], runStartMs: number): AlarmCount {
  const sorted = [...events].sort((a, b) => a.ts - b.ts);
  let arrived = 0;
  let doubled = 0;
  let expected = 0;
  const lostSample: string[] = [];
  toggles.forEach((t, k) => {
    if (!t.acked || t.uncertain) return;
    expected++;
    const from = t.sentAt - STAMP_SLACK_MS;
    const to = toggles[k + 1]?.sentAt ?? Number.POSITIVE_INFINITY;
    const ids = new Set(sorted.filter((e) => e.transition === t.transition && e.ts >= from && e.ts < to).map((e) => e.eventId));
    if (ids.size === 0) {
      if (lostSample.length < 10) lostSample.push(`${t.transition}@${((t.sentAt - runStartMs) / 1000).toFixed(1)}s`);
      return;
    }
    arrived++;
    if (ids.size > 1) doubled++;
  });
  return {
    definition: ALARM_LOSS_DEFINITION,
    toggles: toggles.length,
    transitionsAcknowledged: expected,
    arrived,
    lost: expected - arrived,
    doubled,
    uncertain: toggles.filter((t) => t.acked && t.uncertain).length,
    lostSample,
  };
}

/** How many times a log file says something (e.g. the corrupt-record livelock of issue 11); reads in chunks. */
export function countInFile(file: string, needle: string): number {
  if (!existsSync(file)) return 0;
  const pattern = Buffer.from(needle);
  const fd = openSync(file, 'r');
  const chunk = Buffer.alloc(8 << 20);
  let count = 0;
  let carry = Buffer.alloc(0);
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      const text = Buffer.concat([carry, chunk.subarray(0, n)]);
      let at = text.indexOf(pattern);
      let end = 0;
      while (at !== -1) {
        count++;
        end = at + pattern.length;
        at = text.indexOf(pattern, end);
      }
      carry = Buffer.from(text.subarray(Math.max(end, text.length - pattern.length + 1)));
    }
  } finally {
    closeSync(fd);
  }
  return count;
}
