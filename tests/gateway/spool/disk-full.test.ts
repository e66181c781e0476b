// The spool on a real tmpfs far smaller than spool.maxBytes: the disk says ENOSPC first. Failed writes
// are rolled back (nothing torn, numbers given back, everything acknowledged survives a reopen), the
// owner hears about it, and alarm events get the reserve and then the room of dropped telemetry.
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Stats } from '../../../contract/stats.js';
import { silentLogger } from '../../../contract/logger.js';
import type { LaneName } from '../../../gateway/spool/lane.js';
import { readRange, scanRecords } from '../../../gateway/spool/segment-files.js';
import { Spool, type DropReport, type SpoolOptions, type WriteFailureReport } from '../../../gateway/spool/spool.js';
import { waitFor } from '../../helpers/wait.js';
import { mountTmpfs, type Tmpfs } from './tmpfs.js';

const probe = mountTmpfs(64);
const refused = 'refused' in probe ? probe.refused : undefined;
if (!('refused' in probe)) probe.unmount();

const mounts: Tmpfs[] = [];
const spools: Spool[] = [];
afterEach(async () => {
  for (const spool of spools.splice(0)) await spool.close();
  for (const fs of mounts.splice(0)) fs.unmount();
});

function mount(kib: number): Tmpfs {
  const fs = mountTmpfs(kib);
  if ('refused' in fs) throw new Error(fs.refused);
  mounts.push(fs);
  return fs;
}

function open(options: SpoolOptions, stats: Stats, hooks: ConstructorParameters<typeof Spool>[4] = {}, onDrop?: (r: DropReport) => void): Spool {
  const spool = new Spool(options, silentLogger(), stats, onDrop, hooks);
  spool.open();
  spools.push(spool);
  return spool;
}

async function closed(spool: Spool): Promise<void> {
  spools.splice(spools.indexOf(spool), 1);
  await spool.close();
}

// Alarm events are JSON of ~300 bytes; telemetry lines ~100.
const payload = (lane: string, id: number) => Buffer.from(`${lane}-${id}-${'x'.repeat(lane === 'alarm' ? 300 : 80)}`);
const idOf = (buffer: Buffer) => Number(buffer.toString().split('-')[1]);

interface Outcome {
  readonly acked: { seq: number; id: number }[];
  readonly errors: unknown[];
}

/** Appends `waves` × `size` records; each wave is appended while the previous one is still being written. */
async function appendWaves(spool: Spool, lane: LaneName, first: number, waves: number, size: number, until?: (o: Outcome) => boolean): Promise<Outcome> {
  const outcome: Outcome = { acked: [], errors: [] };
  let previous: Promise<unknown> = Promise.resolve();
  let id = first;
  for (let wave = 0; wave < waves && !until?.(outcome); wave++) {
    const current = Promise.all(
      Array.from({ length: size }, () => {
        const n = id++;
        return spool.append(lane, payload(lane, n)).then(
          (seq) => outcome.acked.push({ seq, id: n }),
          (error: unknown) => outcome.errors.push(error),
        );
      }),
    );
    await previous;
    previous = current;
  }
  await previous;
  return outcome;
}

/** Every segment of a lane scanned from disk: whole records only (no bad bytes anywhere) and how many. */
function scanLane(dir: string, lane: LaneName): { records: number; badRegions: number } {
  let records = 0;
  let badRegions = 0;
  for (const name of readdirSync(join(dir, lane)).filter((f) => f.endsWith('.seg'))) {
    const path = join(dir, lane, name);
    const scan = scanRecords(readRange(path, 0, statSync(path).size));
    records += scan.offsets.length;
    badRegions += scan.bad.length;
  }
  return { records, badRegions };
}

const KiB = 1024;
const base = { maxBytes: 64 * 1024 * KiB, maxAgeMs: 86_400_000, syncEveryMs: 5, probeEveryMs: 20 };

describe.skipIf(refused !== undefined)(`spool on a tmpfs smaller than maxBytes${refused ? ` (skipped: ${refused})` : ''}`, () => {
  it('rolls failed writes back: ENOSPC named with the file, nothing torn, numbers given back, writable again when space returns', async () => {
    const fs = mount(1024);
    const dir = join(fs.path, 'spool');
    const stats = new Stats();
    const failures: WriteFailureReport[] = [];
    const writableAgain: LaneName[] = [];
    const options: SpoolOptions = { ...base, dir, segmentBytes: 64 * KiB, alarmReserveBytes: 128 * KiB };
    const spool = open(options, stats, { onWriteFailure: (r) => failures.push(r), onWritable: (lane) => writableAgain.push(lane) });
    const filler = join(fs.path, 'filler');
    writeFileSync(filler, Buffer.alloc(fs.free() - 40 * KiB, 1)); // ~400 records fit, then ENOSPC mid-segment

    const full = await appendWaves(spool, 'telemetry', 0, 40, 25);
    expect(full.acked.length).toBeGreaterThan(100);
    expect(full.errors.length).toBeGreaterThan(100);
    for (const error of full.errors) {
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ code: 'SPOOL_WRITE_FAILED', errno: 'ENOSPC', lane: 'telemetry' });
      const { file, message } = error as { file: string; message: string };
      expect(file.startsWith(join(dir, 'telemetry'))).toBe(true);
      expect(message).toContain(file);
    }
    expect(failures.every((f) => f.lane === 'telemetry' && f.errno === 'ENOSPC' && f.error.errno === 'ENOSPC')).toBe(true);
    expect(failures.reduce((sum, f) => sum + f.records, 0)).toBe(full.errors.length);
    expect(stats.counter('spool.write_failed', { lane: 'telemetry', errno: 'ENOSPC' })).toBe(full.errors.length);
    expect(spool.writable()).toBe(false);
    expect(spool.writable('telemetry')).toBe(false);

    // Numbers of rejected records were given back: what was acknowledged is 0..n-1, in append order.
    const acked = [...full.acked].sort((a, b) => a.seq - b.seq);
    expect(acked.map((a) => a.seq)).toEqual(acked.map((_, i) => i));
    expect(acked.map((a) => a.id)).toEqual([...acked.map((a) => a.id)].sort((a, b) => a - b));
    expect(spool.telemetry.durableEnd()).toBe(acked.length);
    // On disk right now: whole records only, exactly the acknowledged ones; the uplink reads just those.
    expect(scanLane(dir, 'telemetry')).toEqual({ records: acked.length, badRegions: 0 });
    expect(spool.telemetry.read(0, 1_000_000).map((r) => [r.seq, idOf(r.payload)])).toEqual(acked.map((a) => [a.seq, a.id]));

    rmSync(filler); // space returns
    await waitFor('the telemetry lane to be writable again (probe write)', () => spool.writable(), 20_000);
    expect(writableAgain).toContain('telemetry');
    const after = await appendWaves(spool, 'telemetry', 100_000, 8, 25);
    expect(after.errors).toEqual([]);
    expect(after.acked.map((a) => a.seq).sort((a, b) => a - b)).toEqual(after.acked.map((_, i) => acked.length + i));
    await closed(spool);

    const reopenedStats = new Stats();
    const reopened = open(options, reopenedStats);
    expect(reopenedStats.counter('spool.torn_tail', { lane: 'telemetry' })).toBe(0);
    const records = reopened.telemetry.read(0, 1_000_000);
    const expected = [...acked.map((a) => a.id), ...[...after.acked].sort((a, b) => a.seq - b.seq).map((a) => a.id)];
    expect(records.map((r) => idOf(r.payload))).toEqual(expected);
    expect(records.map((r) => r.seq)).toEqual(expected.map((_, i) => i));
    expect(reopenedStats.counter('spool.corrupt_lost', { lane: 'telemetry' })).toBe(0);
    expect(scanLane(dir, 'telemetry')).toEqual({ records: expected.length, badRegions: 0 });
  });

  it('alarm events still go in while telemetry fails for space: the reserve first, then dropped telemetry; never an alarm lost', async () => {
    const fs = mount(1024);
    const dir = join(fs.path, 'spool');
    const stats = new Stats();
    const drops: DropReport[] = [];
    const reserve = join(dir, 'alarm', 'reserve');
    const options: SpoolOptions = { ...base, dir, segmentBytes: 32 * KiB, alarmReserveBytes: 128 * KiB };
    const spool = open(options, stats, {}, (r) => drops.push(r));
    expect(statSync(reserve).size).toBe(128 * KiB);

    const telemetry = await appendWaves(spool, 'telemetry', 0, 400, 50, (o) => o.errors.length > 0);
    expect(telemetry.errors.length).toBeGreaterThan(0);
    expect(spool.writable('telemetry')).toBe(false);
    expect(existsSync(reserve)).toBe(true); // telemetry never spends the reserve

    // ~90 KB of alarm events: they fit in the reserve.
    const first = await appendWaves(spool, 'alarm', 0, 12, 25);
    expect(first.errors).toEqual([]);
    expect(stats.counter('spool.alarm_reserve_used')).toBe(1);
    expect(existsSync(reserve)).toBe(false);
    expect(spool.writable('alarm')).toBe(true);
    // While the reserve is spent, telemetry is refused rather than eating the room alarm events need.
    await expect(spool.append('telemetry', payload('telemetry', 999_999))).rejects.toMatchObject({ code: 'SPOOL_WRITE_FAILED', errno: 'ENOSPC' });
    expect(drops).toEqual([]);

    // ~180 KB more: past the reserve, so the oldest telemetry segments make room, counted as disk_full.
    const second = await appendWaves(spool, 'alarm', 300, 24, 25);
    expect(second.errors).toEqual([]);
    expect(drops.length).toBeGreaterThan(0);
    expect(drops.every((d) => d.reason === 'disk_full')).toBe(true);
    const dropped = drops.reduce((sum, d) => sum + d.dropped, 0);
    expect(stats.counter('spool.dropped', { lane: 'telemetry', reason: 'disk_full' })).toBe(dropped);
    expect(spool.telemetry.acked()).toBe(dropped); // the cursor moved past exactly what was dropped
    const alarms = spool.alarm.read(0, 1_000_000);
    expect(alarms.map((r) => idOf(r.payload))).toEqual(Array.from({ length: 900 }, (_, i) => i));

    // The uplink delivers the telemetry: space returns, the reserve is written again, telemetry flows.
    spool.telemetry.ack(spool.telemetry.durableEnd());
    await waitFor('the alarm reserve to be written again', () => existsSync(reserve) && statSync(reserve).size === 128 * KiB && spool.writable('telemetry'), 20_000);
    await expect(spool.append('telemetry', payload('telemetry', 1_000_000))).resolves.toBe(telemetry.acked.length);
    await closed(spool);

    const reopened = open(options, new Stats());
    expect(reopened.alarm.read(0, 1_000_000).map((r) => idOf(r.payload))).toEqual(Array.from({ length: 900 }, (_, i) => i));
  });

  it('a reserve that does not fit at open is made by the probe once space returns, with no failed write to start it', async () => {
    const fs = mount(256);
    const dir = join(fs.path, 'spool');
    const filler = join(fs.path, 'filler');
    writeFileSync(filler, Buffer.alloc(Math.max(0, fs.free() - 24 * KiB)));
    const stats = new Stats();
    const spool = open({ ...base, dir, segmentBytes: 8 * KiB, alarmReserveBytes: 64 * KiB }, stats);
    const reserve = join(dir, 'alarm', 'reserve');
    expect(existsSync(reserve)).toBe(false);
    expect(stats.counter('spool.alarm_reserve_unwritable', { errno: 'ENOSPC' })).toBe(1);
    // No write has failed yet, but telemetry would be refused: the spool says so.
    expect(spool.writable('telemetry')).toBe(false);
    expect(spool.writable('alarm')).toBe(true);
    expect(spool.writable()).toBe(false);
    rmSync(filler);
    await waitFor('the reserve made by the probe', () => existsSync(reserve) && statSync(reserve).size === 64 * KiB && spool.writable());
    // close() waits for the probe that is writing it; opened again, the reserve is there and telemetry goes in.
    await closed(spool);
    const again = open({ ...base, dir, segmentBytes: 8 * KiB, alarmReserveBytes: 64 * KiB }, new Stats());
    await expect(again.append('telemetry', payload('telemetry', 2))).resolves.toBe(0);
    expect(statSync(reserve).size).toBe(64 * KiB);
  });

  it('a lane\'s probe fails while the disk has less room than the probe write, and passes once it has', async () => {
    const fs = mount(256);
    const dir = join(fs.path, 'spool');
    const stats = new Stats();
    const spool = open({ ...base, dir, segmentBytes: 8 * KiB, alarmReserveBytes: 0 }, stats);
    const filler = join(fs.path, 'filler');
    writeFileSync(filler, Buffer.alloc(Math.max(0, fs.free() - 16 * KiB))); // room for records, not for 64 KiB
    await expect(spool.append('telemetry', payload('telemetry', 1))).resolves.toBe(0);
    await expect(spool.telemetry.probe()).resolves.toBe(false);
    expect(stats.counter('spool.write_probe_failed', { lane: 'telemetry', errno: 'ENOSPC' })).toBe(1);
    rmSync(filler);
    await expect(spool.telemetry.probe()).resolves.toBe(true);
    expect(existsSync(join(dir, 'telemetry', 'probe'))).toBe(false);
  });
});
