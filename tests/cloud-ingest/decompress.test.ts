// The small-batch fast path: a compound's batch is inflated synchronously, anything that inflates past
// SYNC_OUTPUT_BYTES (a gzip bomb included) goes to decompressBatch with the full limit, and data that is
// not gzip is refused the same way on both paths.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decompressTelemetry, SYNC_OUTPUT_BYTES } from '../../cloud-ingest/ingest/decompress.js';
import { MAX_BATCH_BYTES } from '../../cloud-ingest/ingest/telemetry.js';

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
