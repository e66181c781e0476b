// Reading a lane's durable records by sequence number. Clean segments are read by position (record i of
// a segment is base + i), continuing from where the last read stopped. The first bad bytes found in a
// segment turn it into a damaged one: it is scanned once, its readable records numbered (segment-files.ts),
// the loss logged once with file and offset and counted as `spool.corrupt_lost`; later reads use that map,
// so a bad record costs neither a log line per read nor the records after it.
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import { HEADER_BYTES, MAX_RECORD_BYTES, parseRecord } from './record.js';
import { mapDamage, readRange, scanRecords, type DamageMap, type Segment } from './segment-files.js';

export interface ReadPosition {
  /** The sequence number of the record at `offset` in the segment named by `base`. */
  readonly seq: number;
  readonly base: number;
  readonly offset: number;
}

export interface LaneView {
  readonly segments: readonly Segment[];
  /** Records below this are fsync'd; nothing at or above it is read. */
  readonly durable: number;
  readonly position: ReadPosition;
  readonly lane: string;
  readonly log: Logger;
  readonly stats: Stats;
}

export interface ReadResult {
  readonly records: { seq: number; payload: Buffer }[];
  readonly position: ReadPosition;
  /** Bad bytes were found in the active segment by this read (the lane then seals it). */
  readonly damagedActive: boolean;
}

interface Budget {
  readonly records: { seq: number; payload: Buffer }[];
  bytes: number;
  readonly max: number;
  readonly maxBytes: number;
}

const full = (b: Budget) => b.records.length >= b.max || b.bytes >= b.maxBytes;

export function readRecords(view: LaneView, from: number, max: number, maxBytes: number): ReadResult {
  const budget: Budget = { records: [], bytes: 0, max, maxBytes };
  let position = view.position;
  let damagedActive = false;
  let seq = from;
  while (!full(budget) && seq < view.durable) {
    const index = segmentIndexOf(view.segments, seq);
    if (index < 0) break;
    const segment = view.segments[index]!;
    const end = index + 1 < view.segments.length ? view.segments[index + 1]!.base : view.durable;
    if (seq >= end) {
      seq = end;
      continue;
    }
    const mark = { seq, position, records: budget.records.length, damage: segment.damage };
    if (!segment.damage) {
      const clean = readClean(segment, end, seq, position, budget);
      ({ seq, position } = clean);
      if (clean.damaged) {
        damageMapOf(view, segment, end);
        if (index === view.segments.length - 1) damagedActive = true;
      }
    } else {
      seq = readDamaged(segment, damageMapOf(view, segment, end), end, seq, budget);
    }
    // Every pass reads, skips or maps bad bytes; only a file changed under us (never seen) could stall,
    // and that must cost an empty read, never a spinning one.
    if (seq === mark.seq && position === mark.position && budget.records.length === mark.records && segment.damage === mark.damage) break;
  }
  return { records: budget.records, position, damagedActive };
}

/**
 * Reads records by position from `position` (if it is in this segment at or before `seq`) or from the
 * start, until the budget is full, the segment ends, or bad bytes are met (`damaged`).
 */
function readClean(segment: Segment, end: number, seq: number, position: ReadPosition, budget: Budget): { seq: number; position: ReadPosition; damaged: boolean } {
  const resume = position.base === segment.base && position.seq <= seq && position.seq >= segment.base;
  const start = resume ? position.offset : 0;
  let at = resume ? position.seq : segment.base; // the sequence number of the record at `offset`
  let offset = 0;
  const rest = segment.durableBytes - start;
  // Room for what the budget still takes plus one largest record, so at least one record always fits.
  const buffer = readRange(segment.path, start, Math.min(rest, budget.maxBytes - budget.bytes + MAX_RECORD_BYTES + HEADER_BYTES));
  const wholeRest = buffer.length >= rest;
  let damaged = false;
  while (!full(budget) && at < end) {
    const parsed = parseRecord(buffer, offset);
    if (parsed.kind === 'corrupt' || (parsed.kind === 'incomplete' && wholeRest)) {
      damaged = true;
      break;
    }
    if (parsed.kind === 'incomplete') break;
    if (at >= seq) {
      budget.records.push({ seq: at, payload: Buffer.from(parsed.payload) });
      budget.bytes += parsed.payload.length;
      seq = at + 1;
    }
    at++;
    offset = parsed.next;
  }
  return { seq: Math.max(seq, at), position: { seq: at, base: segment.base, offset: start + offset }, damaged };
}

/** Reads through a damaged segment's map: records at or after `seq`; returns where to read on. */
function readDamaged(segment: Segment, map: DamageMap, end: number, seq: number, budget: Budget): number {
  let i = lowerBound(map.seqs, seq);
  if (i >= map.seqs.length) return end;
  const start = map.offsets[i]!;
  const buffer = readRange(segment.path, start, Math.min(segment.durableBytes - start, budget.maxBytes - budget.bytes + MAX_RECORD_BYTES + HEADER_BYTES));
  for (; i < map.seqs.length && !full(budget); i++) {
    const parsed = parseRecord(buffer, map.offsets[i]! - start);
    if (parsed.kind !== 'record') break; // past this window: the next pass reads on from here
    budget.records.push({ seq: map.seqs[i]!, payload: Buffer.from(parsed.payload) });
    budget.bytes += parsed.payload.length;
    seq = map.seqs[i]! + 1;
  }
  return i >= map.seqs.length ? end : seq;
}

/** The segment's damage map, built (scan, log once, count) the first time and rebuilt if the segment grew. */
function damageMapOf(view: LaneView, segment: Segment, end: number): DamageMap {
  const count = end - segment.base;
  const old = segment.damage;
  if (old && old.count === count && old.scannedBytes === segment.durableBytes) return old;
  const scan = scanRecords(readRange(segment.path, 0, segment.durableBytes));
  const map = mapDamage(segment.base, count, scan, segment.durableBytes);
  segment.damage = map;
  const newlyLost = map.lost - (old?.lost ?? 0);
  if (newlyLost > 0) view.stats.inc('spool.corrupt_lost', { lane: view.lane }, newlyLost);
  if (!old) {
    const first = scan.bad[0];
    const offset = first?.offset ?? segment.durableBytes;
    const reason = first?.reason ?? `the segment ends before its ${count} records`;
    const resumeAt = first?.resume;
    view.log.error(
      { file: segment.path, offset, reason, lost: map.lost, resumeAt, regions: scan.bad.length },
      `spool: corrupt record in ${segment.path} at byte ${offset} (${reason}); ${map.lost} records lost, ${resumeAt === undefined ? 'none readable after it' : `reading goes on at byte ${resumeAt}`}`,
    );
  }
  return map;
}

function segmentIndexOf(segments: readonly Segment[], seq: number): number {
  for (let i = segments.length - 1; i >= 0; i--) if (segments[i]!.base <= seq) return i;
  return -1;
}

function lowerBound(values: readonly number[], target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
