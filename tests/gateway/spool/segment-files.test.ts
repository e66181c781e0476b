// Segment files on their own (issue 18, mutation survivors of gateway/spool/segment-files.ts): which files
// are a lane's segments and how many records each holds, where a scan finds whole records and bad bytes,
// how a damaged segment's records are numbered (one bad region, several, more readable records than the
// count), bounded reads of a file, and recovery of the newest segment on disk. The expected offsets and
// numbers come from the frames the test wrote, not from the code under test.
import { statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../contract/logger.js';
import { frameRecord } from '../../../gateway/spool/record.js';
import { listSegments, mapDamage, readRange, recoverSegment, scanRecords, segmentName, type RecordScan } from '../../../gateway/spool/segment-files.js';
import { tempDir } from '../../helpers/peers.js';

const dirs: { remove: () => void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});
function folder(): string {
  const dir = tempDir('spool-segments');
  dirs.push(dir);
  return dir.path;
}

const frame = (id: number) => frameRecord(Buffer.from(`record-${id}-${'y'.repeat(id % 7)}`));
// Bytes no scan takes for a record: a plausible length with a wrong CRC, then zeros.
const GARBAGE = Buffer.concat([Buffer.from([0x20, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef]), Buffer.alloc(13)]);

/** Concatenates parts; returns the bytes and the offset at which each part starts. */
function layout(parts: Buffer[]): { bytes: Buffer; at: number[] } {
  const at: number[] = [];
  let offset = 0;
  for (const part of parts) {
    at.push(offset);
    offset += part.length;
  }
  return { bytes: Buffer.concat(parts), at };
}

/** A scan with readable records at `offsets` and bad regions starting at `bad` (mapDamage reads only these). */
const scanOf = (offsets: number[], bad: number[]): RecordScan => ({ offsets, bad: bad.map((offset) => ({ offset, resume: offset + 1, reason: 'test' })), end: 0 });

describe('listSegments', () => {
  it('takes only <16 digits>.seg files, oldest first by number, each counting up to the next base', () => {
    const dir = folder();
    const names = [segmentName(120), segmentName(7), segmentName(1000), segmentName(0)];
    for (const [i, name] of names.entries()) writeFileSync(join(dir, name), Buffer.alloc(10 + i));
    for (const other of ['cursor', `${segmentName(50)}.tmp`, '123.seg', `x${segmentName(60)}`, '00000000000000001.seg']) writeFileSync(join(dir, other), 'x');
    const segments = listSegments(dir);
    expect(segments.map((s) => [s.base, s.path, s.bytes, s.durableBytes, s.count])).toEqual([
      [0, join(dir, segmentName(0)), 13, 13, 7],
      [7, join(dir, segmentName(7)), 11, 11, 113],
      [120, join(dir, segmentName(120)), 10, 10, 880],
      [1000, join(dir, segmentName(1000)), 12, 12, 0],
    ]);
    expect(segments.every((s) => s.damage === undefined)).toBe(true);
    expect(listSegments(folder())).toEqual([]);
  });
});

describe('scanRecords', () => {
  it('finds every whole record, each bad stretch with where reading resumes, and the end of the last record', () => {
    const { bytes, at } = layout([frame(0), frame(1), GARBAGE, frame(2), frame(3), GARBAGE, GARBAGE, frame(4), frame(5).subarray(0, 11)]);
    const scan = scanRecords(bytes);
    expect(scan.offsets).toEqual([at[0], at[1], at[3], at[4], at[7]]);
    expect(scan.bad.map((b) => [b.offset, b.resume])).toEqual([
      [at[2], at[3]],
      [at[5], at[7]],
      [at[8], undefined],
    ]);
    expect(scan.end).toBe(at[8]);
    // The stretch cut short is told apart from a corrupt one.
    expect(scan.bad[2]!.reason).not.toBe(scan.bad[0]!.reason);
  });

  it('a clean buffer has no bad stretch and ends at its length; an empty one has nothing', () => {
    const { bytes, at } = layout([frame(0), frame(1), frame(2)]);
    expect(scanRecords(bytes)).toEqual({ offsets: at, bad: [], end: bytes.length });
    expect(scanRecords(Buffer.alloc(0))).toEqual({ offsets: [], bad: [], end: 0 });
  });

  it('bad bytes at the very start: the first record after them is found, and nothing readable means end 0', () => {
    const { bytes, at } = layout([GARBAGE, frame(0), frame(1)]);
    const scan = scanRecords(bytes);
    expect(scan.offsets).toEqual([at[1], at[2]]);
    expect(scan.bad.map((b) => [b.offset, b.resume])).toEqual([[0, at[1]]]);
    expect(scan.end).toBe(bytes.length);
    const none = scanRecords(GARBAGE);
    expect(none).toMatchObject({ offsets: [], end: 0 });
    expect(none.bad.map((b) => [b.offset, b.resume])).toEqual([[0, undefined]]);
  });
});

describe('mapDamage', () => {
  it('no bad region: the records are base, base + 1, ... and none is lost', () => {
    expect(mapDamage(40, 3, scanOf([0, 20, 45], []), 60)).toEqual({ offsets: [0, 20, 45], seqs: [40, 41, 42], lost: 0, scannedBytes: 60, count: 3 });
  });

  it('one bad region: records before it from the front, after it from the end, the rest lost', () => {
    // 10 records; 3 before the bad bytes, 5 after: records 103 and 104 are lost.
    const map = mapDamage(100, 10, scanOf([0, 10, 20, 60, 70, 80, 90, 100], [30]), 110);
    expect(map).toEqual({ offsets: [0, 10, 20, 60, 70, 80, 90, 100], seqs: [100, 101, 102, 105, 106, 107, 108, 109], lost: 2, scannedBytes: 110, count: 10 });
  });

  it('several bad regions: only the first splits front from back; numbers stay unique, in order and inside the segment', () => {
    const map = mapDamage(0, 9, scanOf([0, 10, 40, 50, 80], [20, 60]), 90);
    expect(map.seqs).toEqual([0, 1, 6, 7, 8]);
    expect(map.offsets).toEqual([0, 10, 40, 50, 80]);
    expect(map.lost).toBe(4);
  });

  it('bad bytes first: every record is numbered from the end', () => {
    expect(mapDamage(10, 5, scanOf([30, 40], [0]), 50)).toMatchObject({ seqs: [13, 14], offsets: [30, 40], lost: 3 });
  });

  it('more readable records than the count: the front keeps its numbers, the rest follow it, nothing past the count', () => {
    const map = mapDamage(20, 4, scanOf([0, 10, 30, 40, 50, 60], [20]), 70);
    expect(map).toEqual({ offsets: [0, 10, 30, 40], seqs: [20, 21, 22, 23], lost: 0, scannedBytes: 70, count: 4 });
    // As many readable as the count: all of them, numbered to the end exactly.
    expect(mapDamage(20, 6, scanOf([0, 10, 30, 40, 50, 60], [20]), 70).seqs).toEqual([20, 21, 22, 23, 24, 25]);
  });
});

describe('readRange', () => {
  it('reads the asked range, fewer bytes past the end, and nothing for no length', () => {
    const path = join(folder(), 'file');
    const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 251));
    writeFileSync(path, bytes);
    expect(readRange(path, 0, 300)).toEqual(bytes);
    expect(readRange(path, 17, 40)).toEqual(bytes.subarray(17, 57));
    expect(readRange(path, 250, 100)).toEqual(bytes.subarray(250));
    expect(readRange(path, 300, 10)).toEqual(Buffer.alloc(0));
    expect(readRange(path, 5, 0)).toEqual(Buffer.alloc(0));
    expect(readRange(path, 5, -3)).toEqual(Buffer.alloc(0));
    expect(() => readRange(join(folder(), 'missing'), 0, 1)).toThrow(/ENOENT/);
    expect(readRange(join(folder(), 'missing'), 0, 0)).toEqual(Buffer.alloc(0)); // no length: the file is not even opened
  });
});

describe('recoverSegment', () => {
  const segmentAt = (dir: string, bytes: Buffer) => {
    writeFileSync(join(dir, segmentName(50)), bytes);
    return listSegments(dir)[0]!;
  };

  it('a clean segment is left as it is and counted', () => {
    const dir = folder();
    const { bytes } = layout([frame(0), frame(1), frame(2)]);
    const segment = segmentAt(dir, bytes);
    expect(recoverSegment(segment, silentLogger())).toEqual({ count: 3, truncatedBytes: 0, damaged: false });
    expect(segment).toMatchObject({ bytes: bytes.length, durableBytes: bytes.length, count: 3 });
    expect(segment.damage).toBeUndefined();
    expect(readFileSync(segment.path)).toEqual(bytes);
  });

  it('a torn tail is cut off on disk; the records before it are kept', () => {
    const dir = folder();
    const { bytes, at } = layout([frame(0), frame(1), frame(2).subarray(0, 9)]);
    const segment = segmentAt(dir, bytes);
    expect(recoverSegment(segment, silentLogger())).toEqual({ count: 2, truncatedBytes: bytes.length - at[2]!, damaged: false });
    expect(statSync(segment.path).size).toBe(at[2]);
    expect(segment).toMatchObject({ bytes: at[2], durableBytes: at[2], count: 2 });
    expect(segment.damage).toBeUndefined();
  });

  it('bad bytes with records after them are kept on disk and mapped; a garbage tail after them is cut', () => {
    const dir = folder();
    const { bytes, at } = layout([frame(0), GARBAGE, frame(1), frame(2), GARBAGE]);
    const segment = segmentAt(dir, bytes);
    expect(recoverSegment(segment, silentLogger())).toEqual({ count: 3, truncatedBytes: GARBAGE.length, damaged: true });
    expect(readFileSync(segment.path)).toEqual(bytes.subarray(0, at[4]));
    expect(segment).toMatchObject({ bytes: at[4], durableBytes: at[4], count: 3 });
    // Recovery counts what it can read (nothing pins the newest segment's count), so nothing is lost.
    expect(segment.damage).toEqual({ offsets: [at[0], at[2], at[3]], seqs: [50, 51, 52], lost: 0, scannedBytes: at[4], count: 3 });
  });
});
