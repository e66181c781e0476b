// The alarm reserve file on a real directory (issue 18, mutation): kept when it has the right size,
// rewritten when not, given up for alarm events once, written back only when the file system says there
// is room, removed when it cannot be written, and the warning about it logged once until it is back.
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Stats } from '../../../contract/stats.js';
import { AlarmReserve } from '../../../gateway/spool/alarm-reserve.js';
import { openFile, type FileOpener } from '../../../gateway/spool/write-io.js';
import { tempDir } from '../../helpers/peers.js';

const dirs: { remove: () => void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

function setup(bytes: number, opener: FileOpener = openFile) {
  const dir = tempDir('alarm-reserve');
  dirs.push(dir);
  const path = join(dir.path, 'alarm', 'reserve');
  mkdirSync(join(dir.path, 'alarm'));
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  const stats = new Stats();
  return { path, dir: dir.path, lines, stats, reserve: new AlarmReserve(path, bytes, opener, log, stats) };
}

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('AlarmReserve', () => {
  it('with no reserve configured: an old file is removed, it counts as held, there is nothing to release or write', async () => {
    const { path, reserve, stats } = setup(0);
    writeFileSync(path, 'old reserve');
    reserve.openSync();
    expect(existsSync(path)).toBe(false);
    expect(reserve.held()).toBe(true);
    expect(reserve.release()).toBe(false);
    expect(await reserve.restore()).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(stats.counter('spool.alarm_reserve_used')).toBe(0);
  });

  it('keeps a reserve file of the right size as it is, and rewrites one of another size', () => {
    const a = setup(4096);
    const kept = Buffer.alloc(4096, 7);
    writeFileSync(a.path, kept);
    a.reserve.openSync();
    expect(a.reserve.held()).toBe(true);
    expect(readFileSync(a.path).equals(kept)).toBe(true);

    const b = setup(4096);
    writeFileSync(b.path, Buffer.alloc(100, 7));
    expect(b.reserve.held()).toBe(false);
    b.reserve.openSync();
    expect(b.reserve.held()).toBe(true);
    const written = readFileSync(b.path);
    expect(written.length).toBe(4096);
    expect(written.equals(Buffer.alloc(4096, 7))).toBe(false);
    // Random bytes, not zeros a file system could compress away.
    expect(new Set(written).size).toBeGreaterThan(100);
  });

  it('a stat failure other than ENOENT is thrown', () => {
    const { dir, stats } = setup(1024);
    writeFileSync(join(dir, 'file'), 'x');
    const reserve = new AlarmReserve(join(dir, 'file', 'reserve'), 1024, openFile, pino({ level: 'silent' }), stats);
    expect(() => reserve.openSync()).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });

  it('a reserve that cannot be written at open is not held, counted with its errno, and warned about once', () => {
    const { dir, lines, stats } = setup(1024);
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const reserve = new AlarmReserve(join(dir, 'missing-dir', 'reserve'), 1024, openFile, log, stats);
    reserve.openSync();
    reserve.openSync();
    expect(reserve.held()).toBe(false);
    expect(stats.counter('spool.alarm_reserve_unwritable', { errno: 'ENOENT' })).toBe(2);
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    expect(reserve.release()).toBe(false);
  });

  it('release() deletes the file once and counts it; restore() writes it back when there is room', async () => {
    const datasyncs: string[] = [];
    const { path, reserve, stats, lines } = setup(2048, async (p, flags) => {
      const handle = await open(p, flags);
      const datasync = handle.datasync.bind(handle);
      return Object.assign(handle, { datasync: () => (datasyncs.push(p), datasync()) });
    });
    reserve.openSync();
    expect(reserve.release()).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(reserve.held()).toBe(false);
    expect(reserve.release()).toBe(false);
    expect(stats.counter('spool.alarm_reserve_used')).toBe(1);
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    expect(await reserve.restore()).toBe(true);
    expect(statSync(path).size).toBe(2048);
    expect(datasyncs).toEqual([path]);
    expect(reserve.held()).toBe(true);
    // Held: nothing written again.
    expect(await reserve.restore()).toBe(true);
    expect(datasyncs).toEqual([path]);
  });

  it('restore() does not try while the file system has less room than the reserve', async () => {
    let opened = 0;
    const huge = 2 ** 53; // more than any test file system holds
    const { reserve } = setup(huge, (p, flags) => (opened++, open(p, flags)));
    expect(await reserve.restore()).toBe(false);
    expect(opened).toBe(0);
    expect(reserve.held()).toBe(false);
  });

  it('a failed restore removes the partial file, closes it, warns once per outage, and warns again after the reserve was back', async () => {
    let fail = true;
    let closes = 0;
    const { path, reserve, stats, lines } = setup(2048, async (p, flags) => {
      const handle = await open(p, flags);
      const close = handle.close.bind(handle);
      const datasync = handle.datasync.bind(handle);
      return Object.assign(handle, { close: () => (closes++, close()), datasync: () => (fail ? Promise.reject(enospc()) : datasync()) });
    });
    reserve.openSync();
    const warnings = () => lines.filter((l) => l.level === 40 && String(l.msg).includes('cannot write')).length;
    reserve.release();
    expect(await reserve.restore()).toBe(false);
    expect(closes).toBe(1);
    expect(existsSync(path)).toBe(false);
    expect(await reserve.restore()).toBe(false);
    expect(stats.counter('spool.alarm_reserve_unwritable', { errno: 'ENOSPC' })).toBe(2);
    expect(warnings()).toBe(1);
    fail = false;
    expect(await reserve.restore()).toBe(true);
    expect(lines.filter((l) => l.level === 30 && String(l.msg).includes('written again'))).toHaveLength(1);
    fail = true;
    reserve.release();
    expect(await reserve.restore()).toBe(false);
    expect(warnings()).toBe(2);
  });
});
