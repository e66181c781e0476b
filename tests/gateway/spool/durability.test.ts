// append() is the spool's acknowledgment: it must wait for the datasync that covers the record, and a
// datasync that fails (EIO) must cost only that batch, rolled back on disk and in the numbering.
import { open } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Stats } from '../../../contract/stats.js';
import { silentLogger } from '../../../contract/logger.js';
import type { LaneName } from '../../../gateway/spool/lane.js';
import { Spool, type SpoolOptions, type WriteFailureReport } from '../../../gateway/spool/spool.js';
import type { FileOpener } from '../../../gateway/spool/write-io.js';
import { tempDir } from '../../helpers/peers.js';
import { waitFor } from '../../helpers/wait.js';

const dirs: { remove: () => void }[] = [];
const spools: Spool[] = [];
afterEach(async () => {
  for (const spool of spools.splice(0)) await spool.close();
  for (const dir of dirs.splice(0)) dir.remove();
});

function options(): SpoolOptions {
  const dir = tempDir('spool-durability');
  dirs.push(dir);
  return { dir: dir.path, maxBytes: 64 * 1024 * 1024, maxAgeMs: 86_400_000, syncEveryMs: 5, segmentBytes: 1024 * 1024, probeEveryMs: 20 };
}

/** Opens files for the spool; each segment's datasync goes through `datasync` (the real one is passed in). */
function opener(datasync: (real: () => Promise<void>, path: string) => Promise<void>): FileOpener {
  return async (path, flags) => {
    const handle = await open(path, flags);
    if (!path.endsWith('.seg')) return handle;
    const real = handle.datasync.bind(handle);
    return Object.assign(handle, { datasync: () => datasync(real, path) });
  };
}

const payload = (lane: string, id: number) => Buffer.from(`${lane}-${id}-${'x'.repeat(40)}`);
const idOf = (buffer: Buffer) => Number(buffer.toString().split('-')[1]);

describe('spool durability', () => {
  for (const lane of ['alarm', 'telemetry'] as const satisfies readonly LaneName[]) {
    it(`${lane}: append() stays pending until the datasync covering the record has finished`, async () => {
      const held: (() => void)[] = [];
      const openFile = opener((real) => new Promise<void>((resolve, reject) => held.push(() => void real().then(resolve, reject))));
      const spool = new Spool(options(), silentLogger(), new Stats(), undefined, { openFile });
      spools.push(spool);
      spool.open();
      let settled = false;
      const appended = spool.append(lane, payload(lane, 1)).finally(() => (settled = true));
      await waitFor('the write to reach datasync', () => held.length > 0);
      await new Promise((resolve) => setImmediate(resolve)); // let anything not waiting on datasync settle
      expect(settled).toBe(false);
      expect(spool.lane(lane).durableEnd()).toBe(0);
      expect(spool.lane(lane).read(0, 10)).toEqual([]); // not readable (not sendable) before it is durable
      for (const release of held.splice(0)) release();
      await expect(appended).resolves.toBe(0);
      expect(spool.lane(lane).read(0, 10).map((r) => idOf(r.payload))).toEqual([1]);
    });
  }

  it('a new segment\'s directory entry is fsync\'d before records in it are acknowledged', async () => {
    const events: string[] = [];
    const opts = { ...options(), segmentBytes: 512 };
    const openFile: FileOpener = async (path, flags) => {
      const handle = await open(path, flags);
      const name = path.endsWith('.seg') ? path.slice(-20) : path === join(opts.dir, 'telemetry') ? 'dir' : undefined;
      if (!name) return handle;
      const sync = handle.sync.bind(handle);
      const datasync = handle.datasync.bind(handle);
      return Object.assign(handle, {
        sync: () => sync().then(() => void events.push(`sync ${name}`)),
        datasync: () => datasync().then(() => void events.push(`datasync ${name}`)),
      });
    };
    const spool = new Spool(opts, silentLogger(), new Stats(), undefined, { openFile });
    spools.push(spool);
    spool.open();
    const seqs = await Promise.all(Array.from({ length: 30 }, (_, i) => spool.append('telemetry', payload('telemetry', i))));
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const segments = events.filter((e) => e.startsWith('datasync')).map((e) => e.slice('datasync '.length));
    expect(new Set(segments).size).toBeGreaterThan(2); // it rolled
    // Every segment that got records had the directory fsync'd after it was made and before its datasync.
    for (const segment of new Set(segments)) {
      const firstDatasync = events.indexOf(`datasync ${segment}`);
      expect(events.slice(0, firstDatasync).filter((e) => e === 'sync dir').length).toBeGreaterThanOrEqual([...new Set(segments)].indexOf(segment) + 1);
    }
  });

  it('an EIO from datasync rejects only that batch, truncates the segment back and gives its numbers to the appends still pending', async () => {
    let hold: Promise<void> | undefined;
    let release: (() => void) | undefined;
    const openFile = opener((real) => {
      if (!hold) return real();
      const gate = hold;
      hold = undefined;
      // Held, so more appends arrive while the failing batch is in flight; then EIO.
      return gate.then(() => Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' })));
    });
    const stats = new Stats();
    const failures: WriteFailureReport[] = [];
    const opts = options();
    const spool = new Spool(opts, silentLogger(), stats, undefined, { openFile, onWriteFailure: (r) => failures.push(r) });
    spools.push(spool);
    spool.open();
    const segment = join(opts.dir, 'telemetry', '0000000000000000.seg');
    await Promise.all(Array.from({ length: 10 }, (_, i) => spool.append('telemetry', payload('telemetry', i))));
    const durableSize = statSync(segment).size;

    hold = new Promise<void>((resolve) => (release = resolve));
    const doomed = Promise.allSettled(Array.from({ length: 5 }, (_, i) => spool.append('telemetry', payload('telemetry', 10 + i))));
    const flushing = spool.telemetry.flush();
    await waitFor('the failing batch to reach its datasync', () => hold === undefined);
    const next = Promise.all(Array.from({ length: 3 }, (_, i) => spool.append('telemetry', payload('telemetry', 15 + i)))); // numbered 15..17 for now
    release!();
    await flushing;
    const rejected = await doomed;
    for (const result of rejected) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'SPOOL_WRITE_FAILED', errno: 'EIO', file: segment, records: 5 });
    }
    expect(failures).toEqual([expect.objectContaining({ lane: 'telemetry', records: 5, errno: 'EIO' })]);
    expect(stats.counter('spool.write_failed', { lane: 'telemetry', errno: 'EIO' })).toBe(5);
    expect(statSync(segment).size).toBe(durableSize); // the whole records the failed batch wrote are gone
    expect(spool.writable()).toBe(false);
    expect(spool.telemetry.durableEnd()).toBe(10);

    await expect(next).resolves.toEqual([10, 11, 12]); // the rejected batch's numbers went to them
    expect(spool.writable()).toBe(true);
    const expected = [...Array.from({ length: 10 }, (_, i) => i), 15, 16, 17];
    expect(spool.telemetry.read(0, 100).map((r) => idOf(r.payload))).toEqual(expected);
    await spool.close();
    spools.splice(0);

    const reopened = new Spool(opts, silentLogger(), new Stats());
    spools.push(reopened);
    reopened.open();
    const records = reopened.telemetry.read(0, 100);
    expect(records.map((r) => idOf(r.payload))).toEqual(expected);
    expect(records.map((r) => r.seq)).toEqual(expected.map((_, i) => i));
  });

  it('a batch that rolled to new segments and fails in a later one keeps what the earlier ones made durable, removes the new one and renumbers from there', async () => {
    const failOn = '0000000000000016.seg';
    let failing = true; // the datasyncs of segment 16 fail, until one fails with failOnce set
    let failOnce = false;
    const openFile = opener((real, path) => {
      if (!failing || !path.endsWith(failOn)) return real();
      if (failOnce) failing = false;
      return Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    });
    const failures: WriteFailureReport[] = [];
    const opts = { ...options(), segmentBytes: 8 * (8 + payload('telemetry', 10).length) }; // 8 records a segment
    const spool = new Spool(opts, silentLogger(), new Stats(), undefined, { openFile, onWriteFailure: (r) => failures.push(r) });
    spools.push(spool);
    spool.open();
    // One batch of 30: segments 0 and 8 are written and fsync'd, the datasync of segment 16 fails.
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => spool.append('telemetry', payload('telemetry', i))));
    expect(results.map((r) => r.status)).toEqual([...Array<string>(16).fill('fulfilled'), ...Array<string>(14).fill('rejected')]);
    expect(results.slice(0, 16).map((r) => (r as PromiseFulfilledResult<number>).value)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(failures).toEqual([expect.objectContaining({ lane: 'telemetry', records: 14, errno: 'EIO' })]);
    expect(spool.telemetry.durableEnd()).toBe(16);
    const dir = join(opts.dir, 'telemetry');
    expect(() => statSync(join(dir, failOn))).toThrow(/ENOENT/);
    const second = join(dir, '0000000000000008.seg');
    expect(statSync(second).size).toBe(Array.from({ length: 8 }, (_, i) => 8 + payload('telemetry', 8 + i).length).reduce((a, b) => a + b, 0));

    failing = false;
    await expect(Promise.all(Array.from({ length: 3 }, (_, i) => spool.append('telemetry', payload('telemetry', 100 + i))))).resolves.toEqual([16, 17, 18]);
    // Segment 16 now holds 3 records; a failed datasync there rolls it back to them (the truncation's own
    // datasync works), and the next records follow them in the same segment.
    failing = true;
    failOnce = true;
    await expect(spool.append('telemetry', payload('telemetry', 200))).rejects.toMatchObject({ errno: 'EIO' });
    expect(failing).toBe(false);
    await expect(Promise.all([spool.append('telemetry', payload('telemetry', 103)), spool.append('telemetry', payload('telemetry', 104))])).resolves.toEqual([19, 20]);
    expect(spool.telemetry.durableEnd()).toBe(21);
    const expected = [...Array.from({ length: 16 }, (_, i) => i), 100, 101, 102, 103, 104];
    const read = () => spool.telemetry.read(0, 100).map((r) => [r.seq, idOf(r.payload)]);
    expect(read()).toEqual(expected.map((id, seq) => [seq, id]));
    await spool.close();
    spools.splice(0);
    const reopened = new Spool(opts, silentLogger(), new Stats());
    spools.push(reopened);
    reopened.open();
    expect(reopened.telemetry.read(0, 100).map((r) => [r.seq, idOf(r.payload)])).toEqual(expected.map((id, seq) => [seq, id]));
    expect(reopened.telemetry.durableEnd()).toBe(21);
  });

  it('an EIO on the alarm lane is no lack of space: the alarm reserve stays and no telemetry is dropped for it', async () => {
    let failing = false;
    const openFile = opener((real, path) => (failing && path.includes('/alarm/') ? Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })) : real()));
    const stats = new Stats();
    const drops: unknown[] = [];
    const opts = { ...options(), segmentBytes: 512, alarmReserveBytes: 4096 };
    const spool = new Spool(opts, silentLogger(), stats, (d) => drops.push(d), { openFile });
    spools.push(spool);
    spool.open();
    await Promise.all(Array.from({ length: 40 }, (_, i) => spool.append('telemetry', payload('telemetry', i))));
    expect(spool.telemetry.oldestClosedSegment()).toBeDefined();
    const reserve = join(opts.dir, 'alarm', 'reserve');
    expect(statSync(reserve).size).toBe(4096);
    failing = true;
    await expect(spool.append('alarm', payload('alarm', 1))).rejects.toMatchObject({ errno: 'EIO', records: 1 });
    expect(statSync(reserve).size).toBe(4096);
    expect(stats.counter('spool.alarm_reserve_used')).toBe(0);
    expect(drops).toEqual([]);
    expect(spool.telemetry.firstSeq()).toBe(0);
    expect(spool.telemetry.read(0, 100)).toHaveLength(40);
  });
});
