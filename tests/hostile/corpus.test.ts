// The hostile corpus against a real cloud-ingest and VictoriaMetrics (issue 13): 10,300 seeded cases from
// one gateway (bit flips, truncation, bad gzip, gzip bombs, oversize lines, NaN/Inf, bad escapes,
// 1970/2100 timestamps, duplicate ids, foreign identity tags, the ReDoS line) while an honest gateway of
// another township publishes steadily. No crash, every hostile message answered (no hang), identity
// tags never spoofed, and the honest gateway loses none of its receipted lines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FULL_CORPUS, hostileCorpus } from '../../bench/hostile/corpus.js';
import { HonestGateway, sendCorpus, startHostileTownship, storedSamples, type HostileTownship } from '../../bench/hostile/township.js';

describe('hostile corpus', () => {
  let town: HostileTownship;
  const errors: unknown[] = [];
  const onError = (error: unknown) => errors.push(error);

  beforeAll(async () => {
    process.on('uncaughtException', onError);
    process.on('unhandledRejection', onError);
    town = await startHostileTownship();
  });
  afterAll(async () => {
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
    await town?.stop();
  });

  it('answers 10,300 cases without a crash or a hang; the honest gateway loses no receipted line', async () => {
    const honestClient = await town.connect('gw-honest');
    const hostileClient = await town.connect('gw-hostile');
    const honest = new HonestGateway(honestClient, 'gw-honest', Date.now() - 3_600_000, 100, 100);
    honest.start();
    const outcome = await sendCorpus(hostileClient, 'gw-hostile', hostileCorpus(20261202, FULL_CORPUS));
    await honest.stop();
    expect(errors).toEqual([]);
    expect(outcome.cases).toBeGreaterThanOrEqual(10_000);
    expect(outcome.noReceipt).toBe(0);
    expect(outcome.stored + outcome.refused).toBe(outcome.messages);
    expect(honest.unreceipted + honest.refusedBatches).toBe(0);
    expect(honest.receiptedLines).toBeGreaterThan(0);
    await town.vm.waitForSamples('{gateway="gw-honest"}', honest.receiptedLines, 30_000);
    expect(await storedSamples(town.vm, 'gw-honest')).toBe(honest.receiptedLines);
    // Nothing the hostile gateway sent is stored under another identity.
    const spoofed = await town.vm.exportSeries('{township="evil"}');
    const foreign = (await town.vm.exportSeries('{__name__=~".+",source=~".+"}')).filter((s) => s.metric.gateway !== 'gw-honest' && s.metric.gateway !== 'gw-hostile');
    expect([spoofed.length, foreign.length]).toEqual([0, 0]);
    for (const s of await town.vm.exportSeries('{gateway="gw-hostile"}')) expect([s.metric.township, s.metric.compound]).toEqual(['town-2', 'c-1']);
    // Still serving: one more honest batch is receipted.
    const after = new HonestGateway(honestClient, 'gw-honest', Date.now() - 1_800_000, 10, 1000);
    after.start();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await after.stop();
    expect(after.receiptedLines).toBeGreaterThan(0);
  }, 600_000);
});
