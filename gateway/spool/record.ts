// On-disk record framing: [u32 length][u32 crc32(length bytes + payload)][payload], little-endian.
// The CRC covers the length too, so a torn or garbage header is caught before its length is trusted.
import { crc32 } from 'node:zlib';

export const HEADER_BYTES = 8;
/** Larger than any record we write (a telemetry line or one alarm event); a bigger length is corruption. */
export const MAX_RECORD_BYTES = 1024 * 1024;

export function frameRecord(payload: Buffer): Buffer {
  if (payload.length === 0 || payload.length > MAX_RECORD_BYTES) throw new Error(`spool record of ${payload.length} bytes is outside 1..${MAX_RECORD_BYTES}`);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload, crc32(frame.subarray(0, 4))), 4);
  payload.copy(frame, HEADER_BYTES);
  return frame;
}

export type ParsedRecord =
  | { kind: 'record'; payload: Buffer; next: number }
  /** Not enough bytes for a whole record: a torn tail, or the end of what was read so far. */
  | { kind: 'incomplete' }
  | { kind: 'corrupt'; reason: string };

/** Parses the record starting at `offset` in `buffer`. */
export function parseRecord(buffer: Buffer, offset: number): ParsedRecord {
  if (buffer.length - offset < HEADER_BYTES) return { kind: 'incomplete' };
  const length = buffer.readUInt32LE(offset);
  if (length === 0 || length > MAX_RECORD_BYTES) return { kind: 'corrupt', reason: `record length ${length} is outside 1..${MAX_RECORD_BYTES}` };
  if (buffer.length - offset - HEADER_BYTES < length) return { kind: 'incomplete' };
  const payload = buffer.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
  const expected = buffer.readUInt32LE(offset + 4);
  const actual = crc32(payload, crc32(buffer.subarray(offset, offset + 4)));
  if (expected !== actual) return { kind: 'corrupt', reason: `crc32 mismatch (stored ${expected.toString(16)}, computed ${actual.toString(16)})` };
  return { kind: 'record', payload, next: offset + HEADER_BYTES + length };
}

/**
 * Resync after bad bytes: the first offset at or after `from` where a whole record's length and CRC32
 * check out, or undefined if none does before the end of `buffer`. Most garbage fails on the length
 * (zeros, text and random words are rarely 1..1 MiB), so this is cheap; a false match needs a CRC32
 * collision on top of a plausible length.
 */
export function findRecord(buffer: Buffer, from: number): number | undefined {
  for (let at = from; at + HEADER_BYTES <= buffer.length; at++) {
    const length = buffer.readUInt32LE(at);
    if (length === 0 || length > MAX_RECORD_BYTES || buffer.length - at - HEADER_BYTES < length) continue;
    if (parseRecord(buffer, at).kind === 'record') return at;
  }
  return undefined;
}
