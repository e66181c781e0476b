// The writer while the database is down: callers are held (no acknowledgment), memory stays bounded by
// maxPendingLines, and everything drains once a real VictoriaMetrics appears on the port.
import { describe, expect, it } from 'vitest';
import { InfluxWriter } from '../../cloud-ingest/ingest/writer.js';
import { Stats } from '../../contract/stats.js';
import { silentLogger } from '../../contract/logger.js';
import { freePort } from '../helpers/peers.js';
import { startVictoria } from '../helpers/victoria.js';

describe('InfluxWriter backpressure', () => {
  it('bounds pending lines while the database is down and drains the backlog when it comes up', async () => {
    const port = await freePort(); // nothing listens yet: every write is refused
    const stats = new Stats();
    const writer = new InfluxWriter({ url: `http://127.0.0.1:${port}`, org: 'o', bucket: 'b', flushLines: 500, maxPendingLines: 1000, writeConcurrency: 2, timeoutMs: 2000, compress: 'auto' }, undefined, silentLogger(), stats);
    const t0 = Date.now() - 60_000;
    let done = 0;
    let maxPending = 0;
    const writes = Array.from({ length: 20 }, (_, b) =>
      writer.write(Array.from({ length: 200 }, (_, l) => `water_level,source=tank-${l} level=${b} ${t0 + b}`)).then(() => done++),
    );
    const sampler = setInterval(() => (maxPending = Math.max(maxPending, writer.pending())), 5);
    await new Promise((r) => setTimeout(r, 800));
    expect(done).toBe(0);
    expect(writer.pending()).toBeLessThanOrEqual(1000);
    expect(stats.counter('ingest.backpressure_wait')).toBeGreaterThan(0);
    const vm = await startVictoria({ port });
    try {
      await Promise.all(writes);
      clearInterval(sampler);
      expect(maxPending).toBeLessThanOrEqual(1000);
      expect(done).toBe(20);
      await vm.waitForSamples('{__name__="water_level_level"}', 4000, 15_000);
    } finally {
      clearInterval(sampler);
      await writer.close();
      await vm.stop();
    }
  });
});
