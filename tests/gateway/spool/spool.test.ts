// The spool on a real file system: durable appends, torn and garbage tails, spool-full dropping.
import { appendFileSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool, type DropReport, type SpoolOptions } from '../../../gateway/spool/spool.js';
import { Stats } from '../../../contract/stats.js';
import { silentLogger } from '../../../contract/logger.js';
import { tempDir } from '../../helpers/peers.js';

const dirs: { remove: () => void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

function options(overrides: Partial<SpoolOptions> = {}): SpoolOptions {
  const dir = tempDir('spool');
  dirs.push(dir);
  return { dir: dir.path, maxBytes: 64 * 1024 * 1024, maxAgeMs: 86_400_000, syncEveryMs: 5, segmentBytes: 4096, ...overrides };
}

/** A logger that keeps its lines, to assert on what an installer would read. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

function record(lane: string, n: number): Buffer {
  return Buffer.from(`${lane}-${n}-${'x'.repeat(40)}`);
}

async function fill(spool: Spool, lane: 'alarm' | 'telemetry', from: number, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => spool.append(lane, record(lane, from + i))));
}

function readAll(spool: Spool, lane: 'alarm' | 'telemetry', from = 0): string[] {
  return spool.lane(lane).read(from, 1_000_000).map((r) => r.payload.toString().split('-').slice(0, 2).join('-'));
}

describe('spool', () => {
  it('acknowledges appends after fsync, keeps them across a reopen and resumes from the persisted cursor', async () => {
    const opts = options();
    const first = new Spool(opts, silentLogger(), new Stats());
    first.open();
    await fill(first, 'telemetry', 0, 300);
    expect(readdirSync(join(opts.dir, 'telemetry')).filter((f) => f.endsWith('.seg')).length).toBeGreaterThan(1);
    first.telemetry.ack(120);
    await first.close();

    const second = new Spool(opts, silentLogger(), new Stats());
    second.open();
    expect(second.telemetry.acked()).toBe(120);
    const rest = readAll(second, 'telemetry', second.telemetry.acked());
    expect(rest).toEqual(Array.from({ length: 180 }, (_, i) => `telemetry-${120 + i}`));
    await fill(second, 'telemetry', 300, 1);
    expect(second.telemetry.read(300, 10).map((r) => r.seq)).toEqual([300]);
    await second.close();
  });

  it('refuses a second spool on a dir that a live process holds, and takes over a dead one\'s lock', async () => {
    const opts = options();
    const first = new Spool(opts, silentLogger(), new Stats());
    first.open();
    expect(() => new Spool(opts, silentLogger(), new Stats()).open()).not.toThrow(); // same process: its own lock
    writeFileSync(join(opts.dir, 'lock'), '1'); // pid 1 is alive
    expect(() => new Spool(opts, silentLogger(), new Stats()).open()).toThrow(/in use by process 1/);
    writeFileSync(join(opts.dir, 'lock'), '999999999'); // no such process: a SIGKILLed gateway
    const next = new Spool(opts, silentLogger(), new Stats());
    expect(() => next.open()).not.toThrow();
    expect(readFileSync(join(opts.dir, 'lock'), 'utf8')).toBe(String(process.pid));
    await first.close();
  });

  it('cuts a torn last record, says which file and byte offset, and keeps every record before it', async () => {
    const opts = options({ segmentBytes: 1024 * 1024 });
    const spool = new Spool(opts, silentLogger(), new Stats());
    spool.open();
    await fill(spool, 'telemetry', 0, 50);
    await spool.close();
    const segment = join(opts.dir, 'telemetry', '0000000000000000.seg');
    const size = statSync(segment).size;
    truncateSync(segment, size - 20); // power cut in the middle of the last record

    const { log, lines } = capturingLogger();
    const reopened = new Spool(opts, log, new Stats());
    reopened.open();
    const cutAt = size - (8 + record('telemetry', 49).length); // where the torn record began
    const warning = lines.find((l) => typeof l.msg === 'string' && l.msg.includes('truncated'));
    expect(warning?.file).toBe(segment);
    expect(warning?.offset).toBe(cutAt);
    expect(String(warning?.msg)).toContain(`${segment} at byte ${cutAt}`);
    expect(readAll(reopened, 'telemetry')).toEqual(Array.from({ length: 49 }, (_, i) => `telemetry-${i}`));
    await fill(reopened, 'telemetry', 49, 1); // appends continue after the cut with the next number
    expect(readAll(reopened, 'telemetry').at(-1)).toBe('telemetry-49');
    expect(reopened.telemetry.read(49, 1)[0]?.seq).toBe(49);
    await reopened.close();
  });

  it('cuts garbage appended after the last good record', async () => {
    const opts = options({ segmentBytes: 1024 * 1024 });
    const spool = new Spool(opts, silentLogger(), new Stats());
    spool.open();
    await fill(spool, 'alarm', 0, 10);
    await spool.close();
    const segment = join(opts.dir, 'alarm', '0000000000000000.seg');
    const good = statSync(segment).size;
    appendFileSync(segment, Buffer.from([0x20, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, ...Buffer.from('garbage garbage garbage garbage!')]));

    const { log, lines } = capturingLogger();
    const stats = new Stats();
    const reopened = new Spool(opts, log, stats);
    reopened.open();
    expect(lines.some((l) => l.file === segment && l.offset === good && String(l.reason).includes('crc32'))).toBe(true);
    expect(statSync(segment).size).toBe(good);
    expect(stats.counter('spool.torn_tail', { lane: 'alarm' })).toBe(1);
    expect(readAll(reopened, 'alarm')).toEqual(Array.from({ length: 10 }, (_, i) => `alarm-${i}`));
    await reopened.close();
  });

  it('loses only the corrupt record of an older segment (bit rot): logged once with file and offset, later records keep their numbers', async () => {
    const opts = options({ segmentBytes: 1024 });
    const spool = new Spool(opts, silentLogger(), new Stats());
    spool.open();
    await fill(spool, 'telemetry', 0, 60);
    await spool.close();
    const segments = readdirSync(join(opts.dir, 'telemetry')).filter((f) => f.endsWith('.seg')).sort();
    const first = join(opts.dir, 'telemetry', segments[0]!);
    const frame = 8 + record('telemetry', 0).length; // records 0..9 have the same length
    const bytes = readFileSync(first);
    bytes.writeUInt8(bytes.readUInt8(2 * frame + 11) ^ 0xff, 2 * frame + 11); // flip one payload byte of record 2
    writeFileSync(first, bytes);

    const { log, lines } = capturingLogger();
    const stats = new Stats();
    const reopened = new Spool(opts, log, stats);
    reopened.open();
    const records = reopened.telemetry.read(0, 1_000_000);
    const expected = Array.from({ length: 60 }, (_, i) => i).filter((i) => i !== 2);
    expect(records.map((r) => r.seq)).toEqual(expected);
    expect(records.map((r) => r.payload.toString().split('-')[1])).toEqual(expected.map(String));
    for (let i = 0; i < 20; i++) reopened.telemetry.read(i, 5); // the uplink reads again and again
    expect(stats.counter('spool.corrupt_lost', { lane: 'telemetry' })).toBe(1);
    expect(lines.filter((l) => l.file === first)).toEqual([expect.objectContaining({ offset: 2 * frame, lost: 1, resumeAt: 3 * frame })]);
    await reopened.close();
  });

  it('when full, drops only the oldest telemetry, counts it right, and keeps every alarm event', async () => {
    const reports: DropReport[] = [];
    const opts = options({ segmentBytes: 2048, maxBytes: 8 * 1024 });
    const stats = new Stats();
    const spool = new Spool(opts, silentLogger(), stats, (r) => reports.push(r));
    spool.open();
    await fill(spool, 'alarm', 0, 40); // ~2.2 KB of alarm events that must all survive
    for (let i = 0; i < 400; i += 20) await fill(spool, 'telemetry', i, 20);
    await spool.flush();

    expect(spool.bytes()).toBeLessThanOrEqual(opts.maxBytes);
    const kept = readAll(spool, 'telemetry');
    const firstKept = Number(kept[0]!.split('-')[1]);
    expect(firstKept).toBeGreaterThan(0);
    // What is left is exactly the newest telemetry, without gaps: only the oldest went.
    expect(kept).toEqual(Array.from({ length: 400 - firstKept }, (_, i) => `telemetry-${firstKept + i}`));
    expect(spool.dropped()).toBe(firstKept);
    expect(reports.at(-1)?.totalDropped).toBe(firstKept);
    expect(reports.reduce((sum, r) => sum + r.dropped, 0)).toBe(firstKept);
    expect(stats.counter('spool.dropped', { lane: 'telemetry', reason: 'max_bytes' })).toBe(firstKept);
    expect(readAll(spool, 'alarm')).toEqual(Array.from({ length: 40 }, (_, i) => `alarm-${i}`));
    await spool.close();
  });

  it('counts only records not yet sent when it drops, and moves the cursor past them', async () => {
    const opts = options({ segmentBytes: 2048, maxBytes: 6 * 1024 });
    const spool = new Spool(opts, silentLogger(), new Stats());
    spool.open();
    await fill(spool, 'telemetry', 0, 40);
    spool.telemetry.ack(10); // the uplink already delivered 0..9
    for (let i = 40; i < 200; i += 20) await fill(spool, 'telemetry', i, 20);
    const firstKept = spool.telemetry.read(0, 1)[0]!.seq;
    expect(spool.dropped()).toBe(firstKept - 10);
    expect(spool.telemetry.acked()).toBe(firstKept);
    await spool.close();
  });

  it('drops telemetry segments older than maxAge only when the wall clock is good', async () => {
    const opts = options({ segmentBytes: 2048, maxAgeMs: 60_000 });
    const spool = new Spool(opts, silentLogger(), new Stats());
    spool.open();
    await fill(spool, 'telemetry', 0, 100);
    const segments = () => readdirSync(join(opts.dir, 'telemetry')).filter((f) => f.endsWith('.seg')).length;
    const before = segments();
    spool.enforceBounds(undefined); // clock not synced: ages mean nothing
    spool.enforceBounds(5_000); // a 1970 clock: ignored as well
    expect(segments()).toBe(before);
    spool.enforceBounds(Date.now() + 120_000);
    expect(segments()).toBe(1);
    expect(spool.dropped()).toBeGreaterThan(0);
    await spool.close();
  });
});
