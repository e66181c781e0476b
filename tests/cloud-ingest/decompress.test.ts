// The small-batch fast path: a compound's batch is inflated synchronously, anything that inflates past
// SYNC_OUTPUT_BYTES (a gzip bomb included) goes to decompressBatch with the full limit, and data that is
// not gzip is refused the same way on both paths.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkTelemetry, decompressTelemetry, SYNC_INPUT_BYTES, SYNC_OUTPUT_BYTES } from '../../cloud-ingest/ingest/decompress.js';
import { SeriesBudget } from '../../cloud-ingest/ingest/series-budget.js';
import { BatchDecodeError, checkBatch, MAX_BATCH_BYTES } from '../../cloud-ingest/ingest/telemetry.js';

describe('decompressTelemetry', () => {
  it('inflates a small batch, a batch larger than the synchronous cap, and refuses a bomb and non-gzip', async () => {
    const text = 'power,source=m1 voltage=230 1700000000000\n'.repeat(12);
    expect((await decompressTelemetry(gzipSync(text))).toString()).toBe(text);
    const large = Buffer.alloc(SYNC_OUTPUT_BYTES * 3, 'a');
    expect((await decompressTelemetry(gzipSync(large))).equals(large)).toBe(true);
    await expect(decompressTelemetry(gzipSync(Buffer.alloc(MAX_BATCH_BYTES + 1)))).rejects.toThrow(/larger than/);
    await expect(decompressTelemetry(Buffer.from('not gzip at all'))).rejects.toThrow(/header/);
  });
});

describe('checkTelemetry (issue 13: a batch inflated as a stream, never held whole)', () => {
  const identity = { gateway: 'gw-1', township: 'town-1', compound: 'c-1' };
  const now = Date.UTC(2026, 11, 2);

  it('checks a streamed batch exactly as the same text in memory, across piece boundaries', async () => {
    // Multi-byte labels, CRLF, comments, empty lines and lines over the limit, past 64 KiB pieces.
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      if (i % 997 === 0) lines.push(`power,source=m1 v=1,note="${'号'.repeat(30_000)}" ${now}`);
      else if (i % 113 === 0) lines.push('# comment');
      else if (i % 101 === 0) lines.push('');
      else if (i % 89 === 0) lines.push('garbage line');
      else lines.push(`power,source=m${i % 50},building=楼${i % 7} voltage=${230 + (i % 10) / 10} ${now - i}${i % 3 === 0 ? '\r' : ''}`);
    }
    lines.splice(5, 0, `power,source=m1 v=1,note="${'x'.repeat(200_000)}" ${now}`);
    lines.push(`power,source=m2,building=楼2 voltage=1 ${now + 5}`);
    const text = lines.join('\n');
    const payload = gzipSync(text);
    expect(payload.length).toBeGreaterThan(SYNC_INPUT_BYTES);
    const streamed = await checkTelemetry(identity, payload, now, new SeriesBudget({ maxPerGateway: 40, maxPerTownship: 1000, rotateMs: 1e9 }));
    const inMemory = await checkBatch(identity, text, now, new SeriesBudget({ maxPerGateway: 40, maxPerTownship: 1000, rotateMs: 1e9 }));
    expect(streamed.lines).toEqual(inMemory.lines);
    expect(streamed.rejected).toEqual(inMemory.rejected);
    expect(streamed.rejectedCount).toBe(inMemory.rejectedCount);
    expect(streamed.seriesRefused).toBeGreaterThan(0);
    expect(streamed.seriesRefused).toBe(inMemory.seriesRefused);
    expect(streamed.rejected.some((r) => /65536-byte limit/.test(r.reason) && r.line === 6)).toBe(true);
    expect(streamed.lines.at(-1)).toMatch(/^power,source=m2,building=楼2,.* voltage=1 /);
  });

  it('checks a small payload that inflates past the synchronous cap on the streamed path, not refusing it', async () => {
    const line = `power,source=m1,building=1 voltage=230.1 ${now}`;
    const text = Array<string>(Math.ceil((SYNC_OUTPUT_BYTES * 1.5) / line.length)).fill(line).join('\n');
    const payload = gzipSync(text);
    expect(payload.length).toBeLessThan(SYNC_INPUT_BYTES); // tried synchronously first
    expect(Buffer.byteLength(text)).toBeGreaterThan(SYNC_OUTPUT_BYTES);
    const checked = await checkTelemetry(identity, payload, now);
    expect(checked.rejectedCount).toBe(0);
    expect(checked.lines).toHaveLength(text.split('\n').length);
    expect(checked.lines[0]).toMatch(/^power,source=m1,building=1,.*gateway=gw-1 voltage=230.1 /);
  });

  it('refuses a bomb whole as it inflates, using none of the series budget; non-gzip too', async () => {
    const budget = new SeriesBudget({ maxPerGateway: 10, maxPerTownship: 100, rotateMs: 1e9 });
    const bomb = gzipSync(Buffer.concat([Buffer.from(`power,source=early v=1 ${now}\n`), Buffer.alloc(MAX_BATCH_BYTES, '\n')]));
    await expect(checkTelemetry(identity, bomb, now, budget)).rejects.toThrow(BatchDecodeError);
    await expect(checkTelemetry(identity, bomb, now, budget)).rejects.toThrow(/larger than/);
    expect(budget.count('gw-1')).toBe(0);
    await expect(checkTelemetry(identity, Buffer.from('not gzip at all'), now, budget)).rejects.toThrow(BatchDecodeError);
    const noisy = Array.from({ length: 20_000 }, (_, i) => `power,source=m${(i * 7919) % 1009} v=${(i * 104_729) % 99_991} ${now - i * 37}`).join('\n');
    const truncated = gzipSync(noisy).subarray(0, -20);
    expect(truncated.length).toBeGreaterThan(SYNC_INPUT_BYTES);
    await expect(checkTelemetry(identity, truncated, now, budget)).rejects.toThrow(BatchDecodeError);
  });
});
