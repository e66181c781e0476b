// The recent window's byte budget must count what it really holds (issue 19): the points it keeps are
// copies, never slices that keep their whole batch text alive. Each batch here carries a 200 KB comment
// line (V8 slices strings of 13 characters or more); kept as slices, 100 batches' points would hold 20 MB of text against an estimate of kilobytes.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { RecentWindow } from '../../cloud-ingest/ingest/recent-window.js';
import { checkBatch } from '../../cloud-ingest/ingest/telemetry.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('recent window memory', () => {
  it('holds its points without their batch text', async () => {
    const window = new RecentWindow({ pointsPerSeries: 120, maxBytes: 64 * 1024 * 1024, maxBytesPerGateway: 1024 * 1024 });
    const identity = { gateway: 'gw-1', township: 't', compound: 'c' };
    const padding = `# ${'x'.repeat(200_000)}`;
    const ts0 = Date.now() - 3_600_000;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let seq = 0; seq < 100; seq++) {
      // A fresh padding string per batch (one shared string would be held once, whatever happens).
      const text = `${padding}${seq}\npower,source=meter-${seq % 3},building=1 voltage=${220 + seq},current=1.5,active_power=330,power_factor=0.95 ${ts0 + seq * 1000}`;
      const batch = await checkBatch(identity, text, Date.now());
      expect(batch.checked).toHaveLength(1);
      window.add(identity, batch.checked);
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(window.bytes()).toBeLessThan(100_000);
    // 100 batch texts would be 20 MB; the points themselves are a few kilobytes.
    expect(grown).toBeLessThan(5_000_000);
  });
});
