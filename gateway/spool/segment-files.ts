// Segment files of one spool lane: `<base seq, 16 digits>.seg`, append-only. A segment's record count is
// the next segment's base minus its own; only the newest segment needs a scan at start-up, and a torn
// record at its end (power cut mid-write) is cut off there, keeping everything before it.
import { closeSync, fsyncSync, ftruncateSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../shared/logger.js';
import { parseRecord } from './record.js';

export interface Segment {
  readonly base: number;
  readonly path: string;
  /** Bytes on disk that are whole records. */
  bytes: number;
  /** Bytes known to be fsync'd (readers never go past this). */
  durableBytes: number;
  /** Records in the segment (kept for the newest; derived from the next base for the others). */
  count: number;
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

const SCAN_CHUNK = 1024 * 1024;

/**
 * Scans one segment from the start, counts whole records and truncates the file after the last good one.
 * Returns the number of good records. Logs the file and byte offset of anything cut off.
 */
export function recoverSegment(segment: Segment, log: Logger): { count: number; truncatedBytes: number } {
  const fd = openSync(segment.path, 'r+');
  try {
    const size = statSync(segment.path).size;
    let count = 0;
    let offset = 0; // file offset of the next record
    let carry = Buffer.alloc(0);
    let bad: string | undefined;
    let position = 0;
    while (position < size && bad === undefined) {
      const chunk = Buffer.allocUnsafe(Math.min(SCAN_CHUNK, size - position));
      const read = readSync(fd, chunk, 0, chunk.length, position);
      position += read;
      const buffer = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, read)]) : chunk.subarray(0, read);
      let at = 0;
      for (;;) {
        const parsed = parseRecord(buffer, at);
        if (parsed.kind === 'record') {
          count++;
          at = parsed.next;
          continue;
        }
        if (parsed.kind === 'corrupt') bad = parsed.reason;
        break;
      }
      offset += at;
      carry = Buffer.from(buffer.subarray(at));
      if (read === 0) break;
    }
    const truncatedBytes = size - offset;
    if (truncatedBytes > 0) {
      const why = bad ?? 'torn record at the end (write cut short)';
      log.warn({ file: segment.path, offset, truncatedBytes, reason: why }, `spool: truncated ${segment.path} at byte ${offset} (${truncatedBytes} bytes dropped: ${why}); the ${count} records before it are kept`);
      ftruncateSync(fd, offset);
      fsyncSync(fd);
    }
    segment.bytes = offset;
    segment.durableBytes = offset;
    segment.count = count;
    return { count, truncatedBytes };
  } finally {
    closeSync(fd);
  }
}
