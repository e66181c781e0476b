// Bad bytes inside a segment (media corruption, or a tear left by an older version): logged once per
// segment with file and offset, only the bad bytes skipped, every record after them still read, and the
// reader and start-up recovery agree on their sequence numbers.
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { open as openHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Stats } from '../../../contract/stats.js';
import type { Logger } from '../../../contract/logger.js';
import type { Lane } from '../../../gateway/spool/lane.js';
import { frameRecord } from '../../../gateway/spool/record.js';
import { spoolFixture } from './fixture.js';
import { waitFor } from '../../helpers/wait.js';

const { options, open, close } = spoolFixture('spool-resync');

function capturingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

const payload = (id: number) => Buffer.from(`telemetry-${id}-${'x'.repeat(40)}`);
const idOf = (buffer: Buffer) => Number(buffer.toString().split('-')[1]);
// Garbage that looks like what a torn write or a bad sector leaves: a plausible length, text, zeros.
const GARBAGE = Buffer.concat([Buffer.from([0x31, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef]), Buffer.from('telemetry-77-xxxxxxxx'), Buffer.alloc(11)]);

/** Reads like the uplink does: small batches from where the last one ended, re-reading from the start twice. */
function readLikeTheUplink(lane: Lane): { seq: number; id: number }[] {
  let seen: { seq: number; id: number }[] = [];
  for (let pass = 0; pass < 3; pass++) {
    seen = [];
    for (let next = 0, reads = 0; next < lane.durableEnd() && reads < 1000; reads++) {
      const records = lane.read(next, 4);
      if (records.length === 0) break;
      seen.push(...records.map((r) => ({ seq: r.seq, id: idOf(r.payload) })));
      next = records.at(-1)!.seq + 1;
    }
  }
  return seen;
}

const linesAbout = (lines: Record<string, unknown>[], file: string) => lines.filter((l) => l.file === file);

describe('spool resync after bad bytes', () => {
  it('garbage inside an older segment: one log line for it, only the garbage skipped, every record read with its number', async () => {
    const opts = options({ segmentBytes: 1024 });
    const spool = open(opts);
    await Promise.all(Array.from({ length: 60 }, (_, i) => spool.append('telemetry', payload(i))));
    await close(spool);
    const first = join(opts.dir, 'telemetry', readdirSync(join(opts.dir, 'telemetry')).filter((f) => f.endsWith('.seg')).sort()[0]!);
    const bytes = readFileSync(first);
    const at = 4 * frameRecord(payload(0)).length; // between records 3 and 4
    writeFileSync(first, Buffer.concat([bytes.subarray(0, at), GARBAGE, bytes.subarray(at)]));

    const { log, lines } = capturingLogger();
    const stats = new Stats();
    const reopened = open(opts, { log, stats });
    const seen = readLikeTheUplink(reopened.telemetry);
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => ({ seq: i, id: i })));
    expect(linesAbout(lines, first)).toEqual([expect.objectContaining({ offset: at, resumeAt: at + GARBAGE.length, lost: 0 })]);
    expect(stats.counter('spool.corrupt_lost', { lane: 'telemetry' })).toBe(0);
  });

  it('a tear inside the newest segment (left by an older version): recovery keeps every record after it and the numbering holds across restarts', async () => {
    const opts = options({ segmentBytes: 1024 * 1024 });
    mkdirSync(join(opts.dir, 'telemetry'), { recursive: true });
    const segment = join(opts.dir, 'telemetry', '0000000000000000.seg');
    const frames = (ids: number[]) => ids.map((i) => frameRecord(payload(i)));
    const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    // Records 0..19, then record 20 cut short by a failed write, then 21..49 appended after it.
    writeFileSync(segment, Buffer.concat([...frames(ids(0, 20)), frameRecord(payload(20)).subarray(0, 15), ...frames(ids(21, 50))]));

    const { log, lines } = capturingLogger();
    const stats = new Stats();
    const spool = open(opts, { log, stats });
    const kept = [...ids(0, 20), ...ids(21, 50)];
    const expected = kept.map((id, seq) => ({ seq, id }));
    expect(readLikeTheUplink(spool.telemetry)).toEqual(expected);
    expect(stats.counter('spool.torn_tail', { lane: 'telemetry' })).toBe(0);
    expect(linesAbout(lines, segment)).toEqual([expect.objectContaining({ offset: Buffer.concat(frames(ids(0, 20))).length, kept: 49 })]);
    // The damaged segment is sealed: the next record starts a new one, so its numbering can never shift.
    await expect(spool.append('telemetry', payload(50))).resolves.toBe(49);
    expect(readdirSync(join(opts.dir, 'telemetry')).filter((f) => f.endsWith('.seg')).sort()).toEqual(['0000000000000000.seg', '0000000000000049.seg']);
    await close(spool);

    const again = open(opts);
    expect(readLikeTheUplink(again.telemetry)).toEqual([...expected, { seq: 49, id: 50 }]);
  });

  it('a sealed segment stays sealed when the roll away from it fails (directory fsync EIO)', async () => {
    const opts = options({ segmentBytes: 1024 * 1024 });
    mkdirSync(join(opts.dir, 'telemetry'), { recursive: true });
    const segment = join(opts.dir, 'telemetry', '0000000000000000.seg');
    writeFileSync(segment, Buffer.concat([frameRecord(payload(0)), GARBAGE, frameRecord(payload(1))]));
    let failDirSync = true;
    const spool = open(opts, {
      hooks: {
        openFile: async (path, flags) => {
          const handle = await openHandle(path, flags);
          if (path !== join(opts.dir, 'telemetry')) return handle;
          const sync = handle.sync.bind(handle);
          return Object.assign(handle, { sync: () => (failDirSync ? ((failDirSync = false), Promise.reject(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }))) : sync()) });
        },
      },
    });
    const size = statSync(segment).size;
    await expect(spool.append('telemetry', payload(2))).rejects.toMatchObject({ code: 'SPOOL_WRITE_FAILED', errno: 'EIO' });
    await expect(spool.append('telemetry', payload(2))).resolves.toBe(2);
    expect(statSync(segment).size).toBe(size); // never appended to
    expect(readdirSync(join(opts.dir, 'telemetry')).filter((f) => f.endsWith('.seg')).sort()).toEqual(['0000000000000000.seg', '0000000000000002.seg']);
    expect(readLikeTheUplink(spool.telemetry)).toEqual([0, 1, 2].map((i) => ({ seq: i, id: i })));
  });

  it('a record corrupted in the active segment while running: read on past it with exact numbers, and recovery agrees after a restart', async () => {
    const opts = options({ segmentBytes: 1024 * 1024 });
    const { log, lines } = capturingLogger();
    const stats = new Stats();
    const spool = open(opts, { log, stats });
    await Promise.all(Array.from({ length: 30 }, (_, i) => spool.append('telemetry', payload(i))));
    const segment = join(opts.dir, 'telemetry', '0000000000000000.seg');
    const bytes = readFileSync(segment);
    const frame = frameRecord(payload(0)).length; // records 0..9 have this length
    bytes.writeUInt8(bytes.readUInt8(9 * frame + 12) ^ 0xff, 9 * frame + 12); // one payload byte of record 9
    writeFileSync(segment, bytes);

    const expected = Array.from({ length: 30 }, (_, i) => i)
      .filter((i) => i !== 9)
      .map((i) => ({ seq: i, id: i }));
    expect(readLikeTheUplink(spool.telemetry)).toEqual(expected);
    expect(linesAbout(lines, segment)).toEqual([expect.objectContaining({ offset: 9 * frame, lost: 1 })]);
    expect(stats.counter('spool.corrupt_lost', { lane: 'telemetry' })).toBe(1);
    await expect(spool.append('telemetry', payload(30))).resolves.toBe(30);
    await close(spool);

    const again = open(opts);
    expect(readLikeTheUplink(again.telemetry)).toEqual([...expected, { seq: 30, id: 30 }]);
  });

  it('bad bytes found in the active segment while a write into it is in flight: the records of that write are read too, and the loss counted once', async () => {
    const opts = options({ segmentBytes: 1024 * 1024 });
    let hold: Promise<void> | undefined;
    let held = false;
    const stats = new Stats();
    const spool = open(opts, {
      stats,
      hooks: {
        openFile: async (path, flags) => {
          const handle = await openHandle(path, flags);
          if (!path.endsWith('.seg')) return handle;
          const datasync = handle.datasync.bind(handle);
          return Object.assign(handle, {
            datasync: async () => {
              if (hold) {
                held = true;
                await hold;
              }
              return datasync();
            },
          });
        },
      },
    });
    await Promise.all(Array.from({ length: 10 }, (_, i) => spool.append('telemetry', payload(i))));
    const segment = join(opts.dir, 'telemetry', '0000000000000000.seg');
    const frame = frameRecord(payload(0)).length;
    const bytes = readFileSync(segment);
    bytes.writeUInt8(bytes.readUInt8(5 * frame + 12) ^ 0xff, 5 * frame + 12); // a payload byte of record 5
    writeFileSync(segment, bytes);

    let release: () => void = () => undefined;
    hold = new Promise<void>((resolve) => (release = resolve));
    const inFlight = Promise.all(Array.from({ length: 5 }, (_, i) => spool.append('telemetry', payload(10 + i))));
    const flushing = spool.telemetry.flush();
    await waitFor('the write to reach its datasync', () => held);
    // The read meets the bad bytes while records 10..14 are written but not yet durable.
    const early = spool.telemetry.read(0, 100).map((r) => idOf(r.payload));
    expect(early).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9]);
    hold = undefined;
    release();
    await flushing;
    await expect(inFlight).resolves.toEqual([10, 11, 12, 13, 14]);
    const records = spool.telemetry.read(0, 100);
    const expected = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14];
    expect(records.map((r) => [r.seq, idOf(r.payload)])).toEqual(expected.map((i) => [i, i]));
    expect(stats.counter('spool.corrupt_lost', { lane: 'telemetry' })).toBe(1);
  });
});
