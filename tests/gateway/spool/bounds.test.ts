// The spool's bounds and its recovery probe on real files (issue 18, mutation): closed telemetry segments
// older than maxAge go only when the wall clock is plausible, with the reason the first drop had; the
// alarm lane over half the bound is reported once per time it goes over; a lane that failed a write is
// probed until it writes again, then no more, and never after close().
import { readdirSync, utimesSync, mkdirSync } from 'node:fs';
import { open as openHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Stats } from '../../../contract/stats.js';
import type { DropReport } from '../../../gateway/spool/spool.js';
import type { FileOpener } from '../../../gateway/spool/write-io.js';
import { PLAUSIBLE_EPOCH_MS } from '../../../gateway/time/honest-clock.js';
import { spoolFixture } from './fixture.js';
import { waitFor } from '../../helpers/wait.js';

const { options, open, close } = spoolFixture('spool-bounds', { maxAgeMs: 3_600_000, segmentBytes: 512 });
afterEach(() => void vi.useRealTimers());

const payload = (id: number) => Buffer.from(`telemetry-${id}-${'x'.repeat(60)}`);
const segments = (dir: string, lane: string) => readdirSync(join(dir, lane)).filter((f) => f.endsWith('.seg')).sort();
const age = (dir: string, lane: string, file: string, mtimeMs: number) => utimesSync(join(dir, lane, file), mtimeMs / 1000, mtimeMs / 1000);

describe('spool bounds', () => {
  it('by age: only closed segments strictly older than maxAge, only with a plausible clock, reason max_age', async () => {
    const opts = options();
    const stats = new Stats();
    const drops: DropReport[] = [];
    const spool = open(opts, { stats, drops });
    await Promise.all(Array.from({ length: 30 }, (_, i) => spool.append('telemetry', payload(i))));
    const files = segments(opts.dir, 'telemetry');
    expect(files.length).toBeGreaterThan(3);
    const now = PLAUSIBLE_EPOCH_MS + 400 * 86_400_000;
    const limit = now - opts.maxAgeMs;
    // The two oldest are old, the third is exactly at the limit (kept), the active one is ancient (never dropped).
    const firstKept = Number(files[2]!.replace('.seg', ''));

    // An RTC-less boot's clock (before PLAUSIBLE_EPOCH_MS), or none: age is not judged, even of files from 1970.
    for (const f of files) age(opts.dir, 'telemetry', f, 1_000_000);
    spool.enforceBounds(undefined);
    spool.enforceBounds(PLAUSIBLE_EPOCH_MS - 1);
    expect(segments(opts.dir, 'telemetry')).toEqual(files);
    expect(drops).toEqual([]);

    age(opts.dir, 'telemetry', files[0]!, limit - 10_000);
    age(opts.dir, 'telemetry', files[1]!, limit - 1);
    age(opts.dir, 'telemetry', files[2]!, limit);
    for (const f of files.slice(3)) age(opts.dir, 'telemetry', f, limit - 10_000);
    spool.enforceBounds(now);
    expect(segments(opts.dir, 'telemetry')).toEqual(files.slice(2));
    expect(drops).toEqual([{ reason: 'max_age', dropped: firstKept, totalDropped: firstKept }]);
    expect(stats.counter('spool.dropped', { lane: 'telemetry', reason: 'max_age' })).toBe(firstKept);
    expect(spool.dropped()).toBe(firstKept);
    expect(spool.telemetry.firstSeq()).toBe(firstKept);
  });

  it('over maxBytes and old in the same check: one drop report, reason max_bytes', async () => {
    const now = PLAUSIBLE_EPOCH_MS + 400 * 86_400_000;
    const opts2 = options({ maxBytes: 2048 });
    const drops2: DropReport[] = [];
    const spool2 = open(opts2, { drops: drops2 });
    // Appends held under the bound check: write straight to the lane so the spool is over maxBytes.
    await Promise.all(Array.from({ length: 60 }, (_, i) => spool2.telemetry.append(payload(i))));
    const files2 = segments(opts2.dir, 'telemetry');
    for (const f of files2) age(opts2.dir, 'telemetry', f, now - 2 * opts2.maxAgeMs);
    spool2.enforceBounds(now);
    expect(drops2).toHaveLength(1);
    expect(drops2[0]!.reason).toBe('max_bytes');
    expect(segments(opts2.dir, 'telemetry')).toEqual(files2.slice(-1));
  });

  it('alarm events over half the bound: counted and logged once each time they go over', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const stats = new Stats();
    const opts = options({ maxBytes: 2048 });
    const spool = open(opts, { log, stats });
    const over = () => stats.counter('spool.alarm_lane_over_bound');
    const overLines = () => lines.filter((l) => l.level === 50 && String(l.msg).includes('alarm events alone fill the spool')).length;
    // Half the bound in alarms but the spool within it: not over.
    await Promise.all(Array.from({ length: 14 }, (_, i) => spool.append('alarm', payload(i))));
    expect(spool.bytes()).toBeLessThanOrEqual(2048);
    expect(spool.alarm.bytes()).toBeGreaterThan(1024);
    spool.enforceBounds(undefined);
    expect(over()).toBe(0);
    await Promise.all(Array.from({ length: 30 }, (_, i) => spool.append('alarm', payload(100 + i))));
    spool.enforceBounds(undefined);
    spool.enforceBounds(undefined);
    expect(over()).toBe(1);
    expect(overLines()).toBe(1);
    // Acknowledged and gone: under again (nothing counted), then over a second time.
    spool.alarm.ack(spool.alarm.durableEnd());
    spool.enforceBounds(undefined);
    expect(over()).toBe(1);
    await Promise.all(Array.from({ length: 44 }, (_, i) => spool.append('alarm', payload(200 + i))));
    spool.enforceBounds(undefined);
    expect(over()).toBe(2);
    expect(overLines()).toBe(2);
  });

  it('telemetry over maxBytes: an append drops the oldest closed segments at once', async () => {
    const opts = options({ maxBytes: 2048 });
    const drops: DropReport[] = [];
    const spool = open(opts, { drops });
    await Promise.all(Array.from({ length: 60 }, (_, i) => spool.append('telemetry', payload(i))));
    expect(spool.bytes()).toBeLessThanOrEqual(2048 + 512);
    expect(drops.length).toBeGreaterThan(0);
    expect(drops.every((d) => d.reason === 'max_bytes')).toBe(true);
    // Alarms are never dropped to keep the bound.
    await Promise.all(Array.from({ length: 60 }, (_, i) => spool.append('alarm', payload(i))));
    expect(spool.alarm.firstSeq()).toBe(0);
  });
});

describe('the bounds at open', () => {
  it('a spool reopened with a smaller maxBytes drops its oldest telemetry at open, before any append', async () => {
    const opts = options();
    const spool = open(opts);
    await Promise.all(Array.from({ length: 60 }, (_, i) => spool.append('telemetry', payload(i))));
    await close(spool);
    const files = segments(opts.dir, 'telemetry');
    expect(files.length).toBeGreaterThan(4);
    const drops: DropReport[] = [];
    const stats = new Stats();
    const smaller = open({ ...opts, maxBytes: 1024 }, { drops, stats });
    expect(smaller.bytes()).toBeLessThanOrEqual(1024 + 512);
    const kept = segments(opts.dir, 'telemetry');
    expect(kept).toEqual(files.slice(files.length - kept.length));
    const firstKept = Number(kept[0]!.replace('.seg', ''));
    expect(drops).toEqual([{ reason: 'max_bytes', dropped: firstKept, totalDropped: firstKept }]);
    expect(smaller.telemetry.firstSeq()).toBe(firstKept);
    expect(stats.counter('spool.dropped', { lane: 'telemetry', reason: 'max_bytes' })).toBe(firstKept);
  });
});

describe('the age bound at the earliest plausible time', () => {
  it('a clock reading exactly PLAUSIBLE_EPOCH_MS is believed: closed segments older than maxAge go', async () => {
    const opts = options();
    const drops: DropReport[] = [];
    const spool = open(opts, { drops });
    await Promise.all(Array.from({ length: 30 }, (_, i) => spool.append('telemetry', payload(i))));
    const files = segments(opts.dir, 'telemetry');
    for (const f of files) age(opts.dir, 'telemetry', f, 1_000_000);
    spool.enforceBounds(PLAUSIBLE_EPOCH_MS);
    expect(segments(opts.dir, 'telemetry')).toEqual(files.slice(-1));
    expect(drops.map((d) => d.reason)).toEqual(['max_age']);
  });
});

describe('close()', () => {
  it('writes and fsyncs what is still pending before it resolves', async () => {
    const opts = options({ syncEveryMs: 60_000 }); // the batching timer never fires in this test
    const spool = open(opts);
    const settled: number[] = [];
    const appends = [spool.append('alarm', payload(1)).then((seq) => settled.push(seq)), spool.append('telemetry', payload(2)).then((seq) => settled.push(seq))];
    expect(settled).toEqual([]);
    await close(spool);
    expect(settled).toEqual([0, 0]);
    await Promise.all(appends);
    const reopened = open(opts);
    expect(reopened.alarm.read(0, 10).map((r) => r.payload)).toEqual([payload(1)]);
    expect(reopened.telemetry.read(0, 10).map((r) => r.payload)).toEqual([payload(2)]);
  });
});

describe('alarm events over the bound at open', () => {
  it('a spool that opens with alarm events alone over its bound reports it at open, once', async () => {
    const opts = options({ maxBytes: 2048 });
    const spool = open(opts);
    await Promise.all(Array.from({ length: 44 }, (_, i) => spool.append('alarm', payload(i))));
    expect(spool.alarm.bytes()).toBeGreaterThan(2048);
    await close(spool);
    const stats = new Stats();
    const reopened = open(opts, { stats });
    expect(stats.counter('spool.alarm_lane_over_bound')).toBe(1);
    reopened.enforceBounds(undefined);
    expect(stats.counter('spool.alarm_lane_over_bound')).toBe(1);
    expect(reopened.alarm.read(0, 100)).toHaveLength(44); // never dropped
  });
});

describe('the recovery probe', () => {
  it('a lane that failed a write is probed until it writes, then the probe stops; none after close()', async () => {
    const opts = options({ probeEveryMs: 20 });
    mkdirSync(opts.dir, { recursive: true });
    let failing = true;
    const probes: string[] = [];
    const eio = () => Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    const stats = new Stats();
    const failures: string[] = [];
    const spool = open(opts, {
      stats,
      hooks: {
        onWriteFailure: (f) => failures.push(`${f.lane}:${f.errno}`),
        openFile: async (path, flags) => {
          const handle = await openHandle(path, flags);
          if (path.endsWith('probe')) probes.push(path);
          const datasync = handle.datasync.bind(handle);
          return Object.assign(handle, { datasync: () => (failing && path.includes('alarm') ? Promise.reject(eio()) : datasync()) });
        },
      },
    });
    await expect(spool.append('alarm', payload(1))).rejects.toMatchObject({ errno: 'EIO' });
    expect(failures).toEqual(['alarm:EIO']);
    expect(spool.writable('alarm')).toBe(false);
    expect(spool.writable()).toBe(false);
    expect(spool.writable('telemetry')).toBe(true);
    await waitFor('failed probes', () => stats.counter('spool.write_probe_failed', { lane: 'alarm', errno: 'EIO' }) >= 2);
    failing = false;
    await waitFor('the alarm lane writable again by a probe', () => spool.writable('alarm'));
    expect(spool.writable()).toBe(true);
    const after = probes.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(probes.length).toBe(after);
    // Closed while failing again: no probe runs after close().
    failing = true;
    await expect(spool.append('alarm', payload(2))).rejects.toMatchObject({ errno: 'EIO' });
    await close(spool);
    const closedAt = probes.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(probes.length).toBe(closedAt);
  });

  it('one probe timer however many writes fail, stopped once both lanes write; a write failing in close()\'s last flush starts none, and after open() again a failure probes again', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let failing = false;
    const openFile: FileOpener = async (path, flags) => {
      const handle = await openHandle(path, flags);
      const datasync = handle.datasync.bind(handle);
      return Object.assign(handle, { datasync: () => (failing ? Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })) : datasync()) });
    };
    const opts = options({ probeEveryMs: 250 });
    const writableAgain: string[] = [];
    const spool = open(opts, { hooks: { openFile, onWritable: (lane) => writableAgain.push(lane) } });
    expect(vi.getTimerCount()).toBe(0); // no reserve configured: nothing to wait for
    await spool.append('alarm', payload(0));
    expect(writableAgain).toEqual([]); // a write on a healthy lane is no recovery
    failing = true;
    await expect(spool.append('alarm', payload(1))).rejects.toMatchObject({ errno: 'EIO' });
    await expect(spool.append('telemetry', payload(2))).rejects.toMatchObject({ errno: 'EIO' });
    await expect(spool.append('alarm', payload(3))).rejects.toMatchObject({ errno: 'EIO' });
    expect(vi.getTimerCount()).toBe(1);
    failing = false;
    vi.advanceTimersByTime(250); // probeEveryMs, not the 1 s default
    await waitFor('both lanes writable after the probe', () => spool.writable());
    await waitFor('the probe timer stopped', () => vi.getTimerCount() === 0, 10_000, () => vi.getTimerCount());
    expect(writableAgain.sort()).toEqual(['alarm', 'telemetry']); // each lane once

    failing = true;
    const last = spool.append('alarm', payload(4));
    const rejected = expect(last).rejects.toMatchObject({ errno: 'EIO' });
    await close(spool);
    await rejected;
    expect(vi.getTimerCount()).toBe(0);

    spool.open();
    try {
      await expect(spool.append('alarm', payload(5))).rejects.toMatchObject({ errno: 'EIO' });
      expect(vi.getTimerCount()).toBe(1);
    } finally {
      failing = false;
      await spool.close();
    }
    expect(vi.getTimerCount()).toBe(0);
  });
});
