// The writer against a real HTTP peer speaking the InfluxDB v2 write API (tests/helpers/influx-receiver.ts):
// group commit within the linger and at once for a full group, groups bounded by flushLines, writes in
// flight bounded by writeConcurrency, a refused write isolated down to the refused lines, retries with a
// growing back-off for 5xx, 429 and 408, backpressure past maxPendingLines, and close(). No database
// start: each test is a few hundred milliseconds (the mutation run's unit set for writer.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GROUP_LINGER_MS, InfluxWriter, WriteRefusedError } from '../../cloud-ingest/ingest/writer.js';
import type { InfluxConfig } from '../../cloud-ingest/config.js';
import { silentLogger } from '../../contract/logger.js';
import { Stats } from '../../contract/stats.js';
import { InfluxReceiver } from '../helpers/influx-receiver.js';
import { waitFor } from '../helpers/wait.js';

const lines = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `m,source=${prefix}-${i} v=${i} 1700000000000`);

describe('InfluxWriter against an InfluxDB v2 write endpoint', () => {
  let receiver: InfluxReceiver;
  let stats: Stats;
  const writers: InfluxWriter[] = [];
  const writer = (overrides: Partial<InfluxConfig> = {}) => {
    const w = new InfluxWriter({ url: receiver.url, org: 'town-org', bucket: 'town-bucket', flushLines: 1000, maxPendingLines: 100_000, writeConcurrency: 2, timeoutMs: 5000, compress: 'auto', ...overrides }, undefined, silentLogger(), stats);
    writers.push(w);
    return w;
  };

  beforeEach(async () => {
    receiver = await InfluxReceiver.start();
    stats = new Stats();
  });

  afterEach(async () => {
    vi.useRealTimers();
    for (const w of writers.splice(0)) await w.close();
    await receiver.close();
  });

  it('writes concurrent batches in one request to the org and bucket, in ms precision, and counts them', async () => {
    const w = writer();
    const a = lines('a', 3);
    const b = lines('b', 2);
    expect(await Promise.all([w.write(a), w.write(b)])).toEqual([{ refusedLines: 0 }, { refusedLines: 0 }]);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]).toMatchObject({ org: 'town-org', bucket: 'town-bucket', precision: 'ms', lines: [...a, ...b] });
    expect(stats.counter('ingest.lines_written')).toBe(5);
    expect(stats.counter('ingest.write_requests')).toBe(1);
    expect(w.pending()).toBe(0);
    expect(stats.gauge('ingest.pending_lines')).toBe(0);
  });

  it('sends bodies to a database on this host as they are, and gzips them when told to (compress)', async () => {
    const many = lines('a', 40); // well over the 1,000 bytes from which a body is gzip'd at all
    await writer().write(many);
    await writer({ compress: 'gzip' }).write(many);
    expect(receiver.requests.map((r) => [r.gzip, r.lines.length])).toEqual([[false, 40], [true, 40]]);
  });

  it('an empty write resolves at once without a request', async () => {
    expect(await writer().write([])).toEqual({ refusedLines: 0 });
    expect(receiver.requests).toHaveLength(0);
  });

  it('a partial group waits GROUP_LINGER_MS; a full group goes at once, taking the lingering lines with it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const w = writer({ flushLines: 4 });
    let firstDone = false;
    const first = w.write(lines('a', 1)).then((o) => ((firstDone = true), o));
    await new Promise((r) => setImmediate(r));
    expect(receiver.requests).toHaveLength(0);
    expect(w.pending()).toBe(1);
    expect(stats.gauge('ingest.pending_lines')).toBe(1);
    // Three more make it full: sent without the linger timer ever firing (the fake clock never moves).
    const second = w.write(lines('b', 3));
    expect(await Promise.all([first, second])).toEqual([{ refusedLines: 0 }, { refusedLines: 0 }]);
    expect(firstDone).toBe(true);
    expect(receiver.requests.map((r) => r.lines.length)).toEqual([4]);
    // A partial group alone goes only when the linger has passed.
    let thirdDone = false;
    const third = w.write(lines('c', 2)).then(() => (thirdDone = true));
    await vi.advanceTimersByTimeAsync(GROUP_LINGER_MS - 1);
    await sleep(50); // real time (node:timers/promises is not faked): a request sent would have arrived
    expect(receiver.requests).toHaveLength(1);
    expect(thirdDone).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await third;
    expect(receiver.requests.map((r) => r.lines)).toEqual([[...lines('a', 1), ...lines('b', 3)], lines('c', 2)]);
  });

  it('a group holds at most flushLines (a larger batch goes whole, alone), and at most writeConcurrency writes are in flight', async () => {
    receiver.answer = () => 'hold';
    const w = writer({ flushLines: 4, writeConcurrency: 1 });
    const x = w.write(lines('x', 4));
    await waitFor('the first write', () => receiver.held.length === 1);
    const rest = [w.write(lines('b', 2)), w.write(lines('c', 2)), w.write(lines('d', 2)), w.write(lines('e', 5)), w.write(lines('f', 1))];
    expect(w.pending()).toBe(16);
    receiver.answer = () => ({ status: 204 });
    receiver.held.shift()!.release();
    await Promise.all([x, ...rest]);
    expect(receiver.requests.map((r) => r.lines)).toEqual([lines('x', 4), [...lines('b', 2), ...lines('c', 2)], lines('d', 2), lines('e', 5), lines('f', 1)]);
  });

  it('a batch larger than flushLines is held until the database stored it (not resolved while it answers 503)', async () => {
    receiver.answer = (_r, n) => (n < 2 ? { status: 503 } : { status: 204 });
    const w = writer({ flushLines: 3, writeConcurrency: 1 });
    let resolved = false;
    const big = lines('big', 4);
    const done = w.write(big).then((o) => ((resolved = true), o));
    await waitFor('two refused attempts', () => receiver.requests.length >= 2);
    expect(resolved).toBe(false);
    expect(w.pending()).toBe(4);
    expect(await done).toEqual({ refusedLines: 0 });
    expect(receiver.stored).toEqual(big);
  });

  it('two writes in flight with writeConcurrency 2, the third waits for a free slot', async () => {
    receiver.answer = () => 'hold';
    const w = writer({ flushLines: 1, writeConcurrency: 2 });
    const writes = [w.write(lines('a', 1)), w.write(lines('b', 1)), w.write(lines('c', 1))];
    await waitFor('two writes in flight', () => receiver.held.length === 2);
    await sleep(50);
    expect(receiver.requests).toHaveLength(2);
    receiver.answer = () => ({ status: 204 });
    receiver.held.shift()!.release();
    await waitFor('the third write', () => receiver.requests.length === 3);
    receiver.held.shift()!.release();
    await Promise.all(writes);
    expect(receiver.stored.sort()).toEqual([...lines('a', 1), ...lines('b', 1), ...lines('c', 1)].sort());
  });

  it('a refused group is isolated: other batches are stored, a batch is split down to the refused line', async () => {
    receiver.answer = (r) => (r.lines.some((l) => l.includes('bad')) ? { status: 400, message: 'unable to parse bad line' } : { status: 204 });
    const w = writer();
    const mixed = ['m,source=g1 v=1 1', 'm,source=bad v=x 1', 'm,source=g2 v=2 1', 'm,source=g3 v=3 1'];
    const clean = lines('h', 2);
    const [outcome, other] = await Promise.all([w.write(mixed), w.write(clean)]);
    expect(outcome).toEqual({ refusedLines: 1, firstRefusal: expect.stringMatching(/HTTP 400.*unable to parse bad line/) });
    expect(other).toEqual({ refusedLines: 0 });
    expect([...receiver.stored].sort()).toEqual([...clean, 'm,source=g1 v=1 1', 'm,source=g2 v=2 1', 'm,source=g3 v=3 1'].sort());
    expect(stats.counter('ingest.lines_refused')).toBe(1);
    // The group, the mixed batch, its first half [g1, bad], and the bad line itself were refused.
    expect(stats.counter('ingest.write_refused')).toBe(4);
    expect(stats.counter('ingest.lines_written')).toBe(5);
    expect(w.pending()).toBe(0);
    expect(stats.counter('ingest.write_retry')).toBe(0);
  });

  it('a batch whose every line is refused rejects with WriteRefusedError (a single line too); 404 is a refusal', async () => {
    receiver.answer = (r) => (r.lines.some((l) => l.includes('bad')) ? { status: 404, message: 'bucket not found' } : { status: 204 });
    const w = writer();
    const all = w.write(['m,source=bad1 v=1 1', 'm,source=bad2 v=1 1', 'm,source=bad3 v=1 1']);
    await expect(all).rejects.toBeInstanceOf(WriteRefusedError);
    await expect(all).rejects.toThrow(/HTTP 404.*bucket not found/);
    const one = w.write(['m,source=bad v=1 1']);
    await expect(one).rejects.toThrow(/database refused the line \(HTTP 404\)/);
    expect(stats.counter('ingest.lines_refused')).toBe(4);
    expect(receiver.stored).toEqual([]);
    expect(w.pending()).toBe(0);
  });

  it('two halves that each keep one good line resolve with the count refused and the first reason', async () => {
    receiver.answer = (r) => {
      const bad = r.lines.find((l) => l.includes('bad'));
      return bad ? { status: 400, message: `refused ${bad.split(' ')[0]}` } : { status: 204 };
    };
    const w = writer({ writeConcurrency: 1 });
    const batch = ['m,source=bad-a v=1 1', 'm,source=ok-a v=1 1', 'm,source=bad-b v=1 1', 'm,source=ok-b v=1 1'];
    expect(await w.write(batch)).toEqual({ refusedLines: 2, firstRefusal: expect.stringContaining('refused m,source=bad-a') });
    expect([...receiver.stored].sort()).toEqual(['m,source=ok-a v=1 1', 'm,source=ok-b v=1 1']);
  });

  it('retries 5xx, 429 and 408 with a back-off that grows from 200 ms, holding the caller until stored', async () => {
    const statuses = [503, 429, 408];
    const times: number[] = [];
    receiver.answer = (_r, n) => {
      times.push(Date.now());
      return n < statuses.length ? { status: statuses[n]! } : { status: 204 };
    };
    const w = writer();
    const batch = lines('r', 3);
    expect(await w.write(batch)).toEqual({ refusedLines: 0 });
    expect(receiver.requests.map((r) => r.lines)).toEqual([batch, batch, batch, batch]);
    expect(receiver.stored).toEqual(batch);
    expect(stats.counter('ingest.write_retry')).toBe(3);
    expect(stats.counter('ingest.write_refused')).toBe(0);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(195);
    expect(gaps[1]).toBeGreaterThanOrEqual(395);
    expect(gaps[2]).toBeGreaterThanOrEqual(795);
  });

  it('after a success the back-off starts again from 200 ms', async () => {
    const times: number[] = [];
    receiver.answer = (_r, n) => {
      times.push(Date.now());
      return n === 0 || n === 1 || n === 3 ? { status: 500 } : { status: 204 };
    };
    const w = writer();
    await w.write(lines('a', 1));
    await w.write(lines('b', 1));
    expect(receiver.requests).toHaveLength(5);
    const retryGap = times[4]! - times[3]!;
    expect(retryGap).toBeGreaterThanOrEqual(195);
    expect(retryGap).toBeLessThan(700); // 800 ms had the back-off gone on doubling
  });

  it('past maxPendingLines a caller waits to enqueue, and is let in once lines are written', async () => {
    receiver.answer = () => 'hold';
    const w = writer({ flushLines: 2, maxPendingLines: 4, writeConcurrency: 1 });
    const a = w.write(lines('a', 2));
    const b = w.write(lines('b', 2));
    let cQueued = false;
    const c = w.write(lines('c', 2)).then((o) => ((cQueued = true), o));
    await waitFor('the first write held', () => receiver.held.length === 1);
    expect(stats.counter('ingest.backpressure_wait')).toBe(1);
    expect(w.pending()).toBe(4);
    expect(cQueued).toBe(false);
    receiver.answer = () => ({ status: 204 });
    receiver.held.shift()!.release();
    expect(await Promise.all([a, b, c])).toEqual([{ refusedLines: 0 }, { refusedLines: 0 }, { refusedLines: 0 }]);
    expect(receiver.requests.map((r) => r.lines)).toEqual([lines('a', 2), lines('b', 2), lines('c', 2)]);
  });

  it('a batch larger than maxPendingLines is taken when nothing else is pending', async () => {
    const w = writer({ flushLines: 2, maxPendingLines: 3 });
    expect(await w.write(lines('big', 5))).toEqual({ refusedLines: 0 });
    expect(stats.counter('ingest.backpressure_wait')).toBe(0);
  });

  it('close() rejects queued and waiting callers, and sends nothing more', async () => {
    receiver.answer = () => ({ status: 503 });
    const w = writer({ flushLines: 2, maxPendingLines: 2 });
    const queued = w.write(lines('a', 2));
    const waiting = w.write(lines('b', 2));
    await waitFor('a failed attempt', () => stats.counter('ingest.write_retry') >= 1);
    await w.close();
    await expect(queued).rejects.toThrow(/writer closed before the write succeeded/);
    await expect(waiting).rejects.toThrow(/writer closed/);
    const sent = receiver.requests.length;
    await sleep(300);
    expect(receiver.requests.length).toBe(sent);
    expect(receiver.stored).toEqual([]);
  });
});
