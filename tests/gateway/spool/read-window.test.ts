// What one read returns (issue 18, mutation): read(from, max, maxBytes) gives exactly the lane's records
// from the first kept one at or after `from`, in order, as many as `max` and the byte budget allow
// (the budget is full once the payloads reach maxBytes), across segment boundaries and across bad bytes,
// whether the reads go on from the last one (the reader resumes by position), jump ahead or go back.
// The expected records come from what the test wrote, not from the reader.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Stats } from '../../../contract/stats.js';
import { frameRecord } from '../../../gateway/spool/record.js';
import type { Lane } from '../../../gateway/spool/lane.js';
import { Prng } from '../../helpers/prng.js';
import { spoolFixture } from './fixture.js';

const { options, open, close } = spoolFixture('spool-read');

// Payloads of different lengths, so a byte budget ends at different counts.
const payload = (id: number) => Buffer.from(`telemetry-${id}-${'x'.repeat(10 + ((id * 7) % 50))}`);
const idOf = (buffer: Buffer) => Number(buffer.toString().split('-')[1]);

interface Kept {
  readonly seq: number;
  readonly id: number;
}

/** What read(from, max, maxBytes) must return, from the records the test knows the lane keeps. */
function expected(kept: readonly Kept[], from: number, max: number, maxBytes: number): Kept[] {
  const out: Kept[] = [];
  let bytes = 0;
  for (const k of kept) {
    if (k.seq < from) continue;
    if (out.length >= max || bytes >= maxBytes) break;
    out.push(k);
    bytes += payload(k.id).length;
  }
  return out;
}

const got = (lane: Lane, from: number, max: number, maxBytes: number) => lane.read(from, max, maxBytes).map((r) => ({ seq: r.seq, id: idOf(r.payload) }));

/** Every start and size in order (each read resuming near the last), then seeded random jumps, back and ahead. */
function checkEveryRead(lane: Lane, kept: readonly Kept[], end: number): void {
  for (const max of [1, 3, 16, 1000]) {
    for (const maxBytes of [1, 150, 700, 8 * 1024 * 1024]) {
      for (let from = 0; from <= end; from++) expect(got(lane, from, max, maxBytes), `read(${from}, ${max}, ${maxBytes})`).toEqual(expected(kept, from, max, maxBytes));
      // Reading on from where the last read ended, as the uplink does.
      const all: Kept[] = [];
      for (let next = 0, reads = 0; reads < 2000; reads++) {
        const records = got(lane, next, max, maxBytes);
        if (records.length === 0) break;
        all.push(...records);
        next = records.at(-1)!.seq + 1;
      }
      expect(all, `reading on with max ${max}, maxBytes ${maxBytes}`).toEqual(kept);
    }
  }
  const prng = new Prng(18);
  for (let i = 0; i < 400; i++) {
    const from = prng.below(end + 2);
    const max = 1 + prng.below(20);
    const maxBytes = 1 + prng.below(1500);
    expect(got(lane, from, max, maxBytes), `read(${from}, ${max}, ${maxBytes})`).toEqual(expected(kept, from, max, maxBytes));
  }
}

const segmentsOf = (dir: string) => readdirSync(join(dir, 'telemetry')).filter((f) => f.endsWith('.seg')).sort().map((f) => join(dir, 'telemetry', f));

describe('a lane read returns exactly its records up to the count and byte budget', () => {
  it('clean segments: every read, in order and at random', async () => {
    const opts = options({ segmentBytes: 512 });
    const spool = open(opts);
    await Promise.all(Array.from({ length: 80 }, (_, i) => spool.append('telemetry', payload(i))));
    expect(segmentsOf(opts.dir).length).toBeGreaterThan(5);
    const kept = Array.from({ length: 80 }, (_, i) => ({ seq: i, id: i }));
    checkEveryRead(spool.telemetry, kept, 80);
    // Records appended after reads are found by reads that go on from the old end.
    await Promise.all(Array.from({ length: 10 }, (_, i) => spool.append('telemetry', payload(80 + i))));
    checkEveryRead(spool.telemetry, [...kept, ...Array.from({ length: 10 }, (_, i) => ({ seq: 80 + i, id: 80 + i }))], 90);
  });

  it('after acknowledged segments are gone, a read from before them starts at the oldest kept record', async () => {
    const opts = options({ segmentBytes: 512 });
    const spool = open(opts);
    await Promise.all(Array.from({ length: 60 }, (_, i) => spool.append('telemetry', payload(i))));
    spool.telemetry.ack(30);
    const first = spool.telemetry.firstSeq();
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(30);
    const kept = Array.from({ length: 60 - first }, (_, i) => ({ seq: first + i, id: first + i }));
    checkEveryRead(spool.telemetry, kept, 60);
  });

  it('garbage between records and a record corrupted in older segments, and a torn record in the newest: every read skips exactly the lost records', async () => {
    const opts = options({ segmentBytes: 1024 });
    const spool = open(opts);
    await Promise.all(Array.from({ length: 70 }, (_, i) => spool.append('telemetry', payload(i))));
    await close(spool);
    const segments = segmentsOf(opts.dir);
    expect(segments.length).toBeGreaterThan(3);
    const baseOf = (path: string) => Number(path.split('/').pop()!.replace('.seg', ''));
    const frames = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => frameRecord(payload(from + i)).length).reduce((a, b) => a + b, 0);
    // Segment 1: garbage after its third record (nothing lost).
    const s1 = segments[1]!;
    const b1 = baseOf(s1);
    const g1 = frames(b1, b1 + 3);
    const bytes1 = readFileSync(s1);
    writeFileSync(s1, Buffer.concat([bytes1.subarray(0, g1), Buffer.from([0x31, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef]), Buffer.alloc(9), bytes1.subarray(g1)]));
    // Segment 2: its second record's payload changed (CRC mismatch: that record is lost).
    const s2 = segments[2]!;
    const b2 = baseOf(s2);
    const bytes2 = Buffer.from(readFileSync(s2));
    const inSecond = frames(b2, b2 + 1) + frameRecord(payload(b2 + 1)).length - 3;
    bytes2[inSecond] = bytes2[inSecond]! ^ 0xff;
    writeFileSync(s2, bytes2);

    const stats = new Stats();
    const reopened = open(opts, { stats });
    const kept = Array.from({ length: 70 }, (_, i) => ({ seq: i, id: i })).filter((k) => k.seq !== b2 + 1);
    checkEveryRead(reopened.telemetry, kept, 70);
    expect(stats.counter('spool.corrupt_lost', { lane: 'telemetry' })).toBe(1);
  });

  it('clean segments: reads that jump back and ahead report no damage, count no loss and leave the active segment open for appends', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const stats = new Stats();
    const opts = options({ segmentBytes: 512 });
    const spool = open(opts, { log, stats });
    await Promise.all(Array.from({ length: 45 }, (_, i) => spool.append('telemetry', payload(i))));
    const files = segmentsOf(opts.dir);
    const active = files.at(-1)!;
    expect(512 - readFileSync(active).length).toBeGreaterThanOrEqual(frameRecord(payload(45)).length); // room for the next record
    checkEveryRead(spool.telemetry, Array.from({ length: 45 }, (_, i) => ({ seq: i, id: i })), 45);
    expect(lines.filter((l) => (l.level as number) >= 40)).toEqual([]);
    expect(stats.counter('spool.corrupt_lost', { lane: 'telemetry' })).toBe(0);
    // The next record goes into the same active segment: reading sealed nothing.
    await expect(spool.append('telemetry', payload(45))).resolves.toBe(45);
    expect(segmentsOf(opts.dir)).toEqual(files);
    expect(got(spool.telemetry, 40, 10, 1 << 20)).toEqual([40, 41, 42, 43, 44, 45].map((id) => ({ seq: id, id })));
  });

  it('the last record of an older segment lost: a read from it goes on in the next segment', async () => {
    const opts = options({ segmentBytes: 512 });
    const spool = open(opts);
    await Promise.all(Array.from({ length: 40 }, (_, i) => spool.append('telemetry', payload(i))));
    await close(spool);
    const segments = segmentsOf(opts.dir);
    expect(segments.length).toBeGreaterThan(3);
    const nextBase = Number(segments[2]!.split('/').pop()!.replace('.seg', ''));
    const lost = nextBase - 1; // the last record of segment 1
    const bytes = Buffer.from(readFileSync(segments[1]!));
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0xff;
    writeFileSync(segments[1]!, bytes);

    const stats = new Stats();
    const reopened = open(opts, { stats });
    expect(got(reopened.telemetry, lost, 3, 1 << 20)).toEqual([0, 1, 2].map((i) => ({ seq: nextBase + i, id: nextBase + i })));
    expect(got(reopened.telemetry, lost, 3, 1 << 20)).toEqual([0, 1, 2].map((i) => ({ seq: nextBase + i, id: nextBase + i })));
    expect(stats.counter('spool.corrupt_lost', { lane: 'telemetry' })).toBe(1);
    checkEveryRead(reopened.telemetry, Array.from({ length: 40 }, (_, i) => ({ seq: i, id: i })).filter((k) => k.seq !== lost), 40);
    // Damage in an older segment does not seal the active one: the next record goes into it.
    expect(512 - readFileSync(segments.at(-1)!).length).toBeGreaterThanOrEqual(frameRecord(payload(40)).length);
    await expect(reopened.append('telemetry', payload(40))).resolves.toBe(40);
    expect(segmentsOf(opts.dir)).toEqual(segments);
  });
});

describe('an older segment cut short at a record boundary', () => {
  it('its missing records are counted lost, every other record is read with its number', async () => {
    const opts = options({ segmentBytes: 512 });
    const spool = open(opts);
    await Promise.all(Array.from({ length: 40 }, (_, i) => spool.append('telemetry', payload(i))));
    await close(spool);
    const segments = segmentsOf(opts.dir);
    const baseOf = (path: string) => Number(path.split('/').pop()!.replace('.seg', ''));
    const [b1, b2] = [baseOf(segments[1]!), baseOf(segments[2]!)];
    expect(b2 - b1).toBeGreaterThan(3);
    // No bad bytes at all, only fewer whole records than the next segment's name says (a repaired file system).
    const frames = Array.from({ length: 3 }, (_, i) => frameRecord(payload(b1 + i)));
    writeFileSync(segments[1]!, readFileSync(segments[1]!).subarray(0, Buffer.concat(frames).length));
    const stats = new Stats();
    const reopened = open(opts, { stats });
    const kept = Array.from({ length: 40 }, (_, i) => ({ seq: i, id: i })).filter((k) => k.seq < b1 + 3 || k.seq >= b2);
    checkEveryRead(reopened.telemetry, kept, 40);
    expect(stats.counter('spool.corrupt_lost', { lane: 'telemetry' })).toBe(b2 - b1 - 3);
  });
});

describe('a read longer than one read-ahead window', () => {
  // A read takes at most (what the byte budget still allows + one largest record) from the file at once.
  // With 2-byte payloads the 8-byte headers fill that window long before the budget is full, so one read
  // must go on past the window, by position in a clean segment and by the damage map in a damaged one.
  const RECORDS = 140_000;
  const MAX_BYTES = 270_000; // 135,000 two-byte payloads
  const small = (id: number) => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(id % 65_536);
    return b;
  };
  /** The index of the first record that is not record `first + i` (seq and payload), or -1. */
  const firstWrong = (records: { seq: number; payload: Buffer }[], first: number) => records.findIndex((r, i) => r.seq !== first + i || r.payload.readUInt16LE() !== (first + i) % 65_536);

  for (const damaged of [false, true]) {
    it(damaged ? 'a damaged segment: every record up to the budget, in order, then reading on' : 'a clean segment: every record up to the budget, in order, then reading on', () => {
      const opts = options({ segmentBytes: 64 * 1024 * 1024 });
      const dir = join(opts.dir, 'telemetry');
      mkdirSync(dir, { recursive: true });
      const frames = Array.from({ length: RECORDS }, (_, i) => frameRecord(small(i)));
      // Damaged: garbage after the first record; the next segment's name pins the count, so nothing is lost.
      if (damaged) frames.splice(1, 0, Buffer.from([0x31, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0]));
      writeFileSync(join(dir, '0000000000000000.seg'), Buffer.concat(frames));
      writeFileSync(join(dir, `${String(RECORDS).padStart(16, '0')}.seg`), Buffer.concat([frameRecord(small(RECORDS)), frameRecord(small(RECORDS + 1))]));
      const stats = new Stats();
      const lines: Record<string, unknown>[] = [];
      const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
      const lane = open(opts, { stats, log }).telemetry;
      const records = lane.read(0, 1_000_000, MAX_BYTES);
      expect(records.length).toBe(MAX_BYTES / 2);
      expect(firstWrong(records, 0)).toBe(-1);
      const rest = lane.read(MAX_BYTES / 2, 1_000_000, MAX_BYTES);
      expect(rest.length).toBe(RECORDS + 2 - MAX_BYTES / 2);
      expect(firstWrong(rest, MAX_BYTES / 2)).toBe(-1);
      expect(stats.counter('spool.corrupt_lost', { lane: 'telemetry' })).toBe(0);
      // The end of a window is not bad bytes: only the garbage of the damaged segment is reported.
      expect(lines.filter((l) => (l.level as number) >= 50)).toHaveLength(damaged ? 1 : 0);
    });
  }
});
