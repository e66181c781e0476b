// The oversize-line poison across two gateways (issue 13 item 3), against a real VictoriaMetrics: a line
// over its 256 KiB limit made the database refuse the whole grouped write, and ingest dropped every batch
// in the group (2,300 acknowledged lines of another gateway lost). Now the writer splits a refused group
// per batch and bisects a refused batch to the refused line, and ingest rejects a line over 64 KiB, with
// its line number, before it reaches the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxWriter, WriteRefusedError } from '../../cloud-ingest/ingest/writer.js';
import { Stats } from '../../contract/stats.js';
import { silentLogger } from '../../contract/logger.js';
import type { CloudIngest } from '../../cloud-ingest/service.js';
import { startVictoria, type Victoria } from '../helpers/victoria.js';
import { connectGateway, provision, publishBatch, Receipts, startService, testConfig } from '../cloud-ingest/fixture.js';

const t0 = Date.now() - 60_000;

/** Distinct (series, timestamp) pairs. */
async function distinctSamples(vm: Victoria, match: string): Promise<number> {
  const series = await vm.exportSeries(match);
  return series.reduce((n, s) => n + new Set(s.timestamps).size, 0);
}
const honestLines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `power,source=meter-${i % 50},gateway=honest voltage=${230 + (i % 10) / 10} ${t0 + from + i}`);
const poison = `power,source=evil,gateway=hostile note="${'p'.repeat(300 * 1024)}" ${t0}`;

describe('oversize-line poison', () => {
  let vm: Victoria;
  beforeAll(async () => {
    vm = await startVictoria();
  });
  afterAll(async () => {
    await vm?.stop();
  });

  it('writer: one gateway\'s refused line in a grouped write costs the other gateway nothing, nor its own good lines', async () => {
    const stats = new Stats();
    // gzip'd, as a write that crosses a network is: VictoriaMetrics then refuses the whole group for the
    // one long line (HTTP 400). A plain body it takes with 204 when the long line is not its first (it
    // stored a string field as 0, 2026-12-04); through cloud-ingest no such line reaches it (below).
    const writer = new InfluxWriter({ url: vm.url, org: 'o', bucket: 'b', flushLines: 50_000, maxPendingLines: 200_000, writeConcurrency: 1, timeoutMs: 10_000, compress: 'gzip' }, undefined, silentLogger(), stats);
    try {
      // Same tick: the three writes join one HTTP request, which the database refuses for the poison line.
      const honest = writer.write(honestLines(2300));
      const mixed = writer.write([`power,source=evil-ok,gateway=hostile v=1 ${t0}`, poison, `power,source=evil-ok,gateway=hostile v=2 ${t0 + 1}`]);
      const alone = writer.write([poison]);
      expect(await honest).toEqual({ refusedLines: 0 });
      expect(await mixed).toMatchObject({ refusedLines: 1 });
      await expect(alone).rejects.toBeInstanceOf(WriteRefusedError);
      expect(stats.counter('ingest.write_refused')).toBeGreaterThanOrEqual(1);
      // VictoriaMetrics stores the lines it parsed before refusing a write, so the retried ones can be there
      // twice (same series and time, same value; InfluxDB would overwrite). What counts: none is missing.
      await vm.waitForSamples('{__name__="power_voltage",gateway="honest"}', 2300, 20_000);
      expect(await distinctSamples(vm, '{__name__="power_voltage",gateway="honest"}')).toBe(2300);
      expect(await distinctSamples(vm, '{__name__="power_v",gateway="hostile"}')).toBe(2);
    } finally {
      await writer.close();
    }
  }, 60_000);

  describe('through cloud-ingest', () => {
    let service: CloudIngest;
    let honest: { password: string };
    let hostile: { password: string };
    beforeAll(async () => {
      const config = testConfig({ influx: { url: vm.url } });
      honest = provision(config.dataDir, 'gw-honest', 'town-1', 'c1');
      hostile = provision(config.dataDir, 'gw-hostile', 'town-2', 'c2');
      service = await startService(config);
    });
    afterAll(async () => {
      await service?.stop();
    });

    it('rejects the poison line with its line number before the database; the honest gateway loses no receipted line', async () => {
      const good = await connectGateway(service.brokerPort, 'gw-honest', honest.password);
      const bad = await connectGateway(service.brokerPort, 'gw-hostile', hostile.password);
      const goodReceipts = await Receipts.watch(good, 'gw-honest');
      const badReceipts = await Receipts.watch(bad, 'gw-hostile');
      const ids = Array.from({ length: 10 }, (_, b) => `h-${b}`);
      await Promise.all([
        ...ids.map((id, b) => publishBatch(good, 'gw-honest', id, honestLines(230, b * 230).map((l) => l.replace(',gateway=honest', '')))),
        publishBatch(bad, 'gw-hostile', 'poison-1', [`power,source=evil v=1 ${t0}`, poison, `power,source=evil v=2 ${t0 + 1}`]),
      ]);
      const receipt = await badReceipts.wait('t', 'poison-1');
      expect(receipt).toMatchObject({ status: 'stored', reason: expect.stringMatching(/1 line\(s\) rejected, first: line 2: .*over the 65536-byte limit/) });
      for (const id of ids) expect(await goodReceipts.wait('t', id)).toMatchObject({ status: 'stored' });
      await vm.waitForSamples('{__name__="power_voltage",gateway="gw-honest"}', 2300, 20_000);
      expect(await distinctSamples(vm, '{__name__="power_voltage",gateway="gw-honest"}')).toBe(2300);
      expect(service.stats.counter('ingest.line_refused_by_database', { gateway: 'gw-honest' })).toBe(0);
      await good.endAsync();
      await bad.endAsync();
    }, 60_000);
  });
});
