// Segment files of one spool lane: `<base seq, 16 digits>.seg`, append-only. A segment's record count is
// the next segment's base minus its own; only the newest segment needs a scan at start-up, and a torn
// record at its end (power cut mid-write) is cut off there, keeping everything before it.
//
// Sequence numbers are positions: record i of a clean segment is base + i. In a segment with bad bytes
// (media corruption, or a tear left by a version that did not roll failed writes back), reading resyncs
// at the next offset where a whole record's length and CRC32 check out, and numbers records like this:
// - records before the first bad bytes: base, base + 1, ... (counted from the front, exact);
// - records after it: counted from the segment's end, so the last one is base + count - 1 (exact when
//   the segment has one bad region, as a tear or one bad sector gives; with several regions the records
//   between them may be numbered a few too high, still unique and in order);
// - lost = count - readable records, all charged to the bad bytes (counted as `spool.corrupt_lost`).
// `count` is pinned by the next segment's name for closed segments. For the newest segment at start-up
// nothing pins it, so recovery takes count = readable records (lost = 0) and the lane seals the segment
// (the next write starts a new one), which pins that numbering for good.
import { closeSync, fsyncSync, ftruncateSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../contract/logger.js';
import { findRecord, parseRecord } from './record.js';

export interface Segment {
  readonly base: number;
  readonly path: string;
  /** Bytes on disk that are whole records. */
  bytes: number;
  /** Bytes known to be fsync'd (readers never go past this). */
  durableBytes: number;
  /** Records in the segment (kept for the newest; derived from the next base for the others). */
  count: number;
  /** Set once bad bytes were found in this segment: where its readable records are. */
  damage?: DamageMap;
}

/** Where the readable records of a segment with bad bytes are, and which sequence number each has. */
export interface DamageMap {
  readonly offsets: readonly number[];
  readonly seqs: readonly number[];
  /** Records the segment's count says it holds that cannot be read. */
  readonly lost: number;
  /** The bytes scanned and the count numbered for; the map is rebuilt if either changes. */
  readonly scannedBytes: number;
  readonly count: number;
}

/** One stretch of bytes that are not records: where it starts, where reading resumes (none: to the end). */
export interface BadBytes {
  readonly offset: number;
  readonly resume: number | undefined;
  readonly reason: string;
}

export interface RecordScan {
  /** File offset of every whole, CRC-checked record, in file order. */
  readonly offsets: number[];
  readonly bad: BadBytes[];
  /** End of the last whole record: anything after it is a torn or garbage tail. */
  readonly end: number;
}

const SEGMENT_RE = /^(\d{16})\.seg$/;

export function segmentName(base: number): string {
  return `${String(base).padStart(16, '0')}.seg`;
}

/** Lists a lane's segments oldest first, without reading them. */
export function listSegments(dir: string): Segment[] {
  const segments: Segment[] = [];
  for (const name of readdirSync(dir)) {
    const match = SEGMENT_RE.exec(name);
    if (!match) continue;
    const path = join(dir, name);
    const bytes = statSync(path).size;
    segments.push({ base: Number(match[1]), path, bytes, durableBytes: bytes, count: 0 });
  }
  segments.sort((a, b) => a.base - b.base);
  for (let i = 0; i + 1 < segments.length; i++) segments[i]!.count = segments[i + 1]!.base - segments[i]!.base;
  return segments;
}

/** Finds every readable record in `buffer` (a segment's bytes from offset 0), resyncing after bad bytes. */
export function scanRecords(buffer: Buffer): RecordScan {
  const offsets: number[] = [];
  const bad: BadBytes[] = [];
  let at = 0;
  let end = 0;
  while (at < buffer.length) {
    const parsed = parseRecord(buffer, at);
    if (parsed.kind === 'record') {
      offsets.push(at);
      at = end = parsed.next;
      continue;
    }
    const resume = findRecord(buffer, at + 1);
    bad.push({ offset: at, resume, reason: parsed.kind === 'corrupt' ? parsed.reason : 'record cut short' });
    if (resume === undefined) break;
    at = resume;
  }
  return { offsets, bad, end };
}

/** Numbers a damaged segment's readable records as the header of this file says (front, then from the end). */
export function mapDamage(base: number, count: number, scan: RecordScan, scannedBytes: number): DamageMap {
  const firstBad = scan.bad[0]?.offset ?? Infinity;
  let front = 0;
  while (front < scan.offsets.length && scan.offsets[front]! < firstBad) front++;
  const after = scan.offsets.length - front;
  // Never below the front records: a segment with more readable records than its count keeps order.
  const backStart = Math.max(base + front, base + count - after);
  const offsets: number[] = [];
  const seqs: number[] = [];
  for (let i = 0; i < scan.offsets.length; i++) {
    const seq = i < front ? base + i : backStart + (i - front);
    if (seq >= base + count) break;
    offsets.push(scan.offsets[i]!);
    seqs.push(seq);
  }
  return { offsets, seqs, lost: count - seqs.length, scannedBytes, count };
}

/** Reads up to `length` bytes of `path` from `start` (fewer if the file is shorter). */
export function readRange(path: string, start: number, length: number): Buffer {
  if (length <= 0) return Buffer.alloc(0);
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, buffer, read, length - read, start + read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/**
 * Scans the newest segment at start-up. A torn or garbage tail (no whole record after it) is cut off;
 * bad bytes with readable records after them are kept around (never cut: the records after a tear were
 * acknowledged too), logged once with file and offset, and the segment gets a damage map. Returns the
 * number of readable records, the bytes cut and whether the segment is damaged (the lane then seals it).
 */
export function recoverSegment(segment: Segment, log: Logger): { count: number; truncatedBytes: number; damaged: boolean } {
  const size = statSync(segment.path).size;
  const scan = scanRecords(readRange(segment.path, 0, size));
  const count = scan.offsets.length;
  const truncatedBytes = size - scan.end;
  const inner = scan.bad.filter((b) => b.resume !== undefined);
  if (inner.length > 0) {
    const first = inner[0]!;
    const badBytes = inner.reduce((sum, b) => sum + b.resume! - b.offset, 0);
    log.warn(
      { file: segment.path, offset: first.offset, resumeAt: first.resume, regions: inner.length, badBytes, reason: first.reason, kept: count },
      `spool: ${badBytes} unreadable bytes in ${segment.path} from byte ${first.offset} (${first.reason}); reading resumes at byte ${first.resume}, all ${count} readable records are kept`,
    );
  }
  if (truncatedBytes > 0) {
    // Bytes after the last whole record always end the scan as one last bad stretch with no resume.
    const tail = scan.bad.at(-1)?.reason ?? 'record cut short';
    const why = tail === 'record cut short' ? 'torn record at the end (write cut short)' : tail;
    log.warn({ file: segment.path, offset: scan.end, truncatedBytes, reason: why }, `spool: truncated ${segment.path} at byte ${scan.end} (${truncatedBytes} bytes dropped: ${why}); the ${count} records before it are kept`);
    const fd = openSync(segment.path, 'r+');
    try {
      ftruncateSync(fd, scan.end);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  segment.bytes = scan.end;
  segment.durableBytes = scan.end;
  segment.count = count;
  if (inner.length > 0) segment.damage = mapDamage(segment.base, count, { ...scan, bad: inner }, scan.end);
  return { count, truncatedBytes, damaged: inner.length > 0 };
}
