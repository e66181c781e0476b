// npx tsx bench/fleet/per-batch.ts: cloud-ingest's fixed cost per
// 60-measurement batch, in this process, without a broker: the Ingest core with the service's own
// pieces and config defaults (InfluxWriter to a real VictoriaMetrics, dedup journal on disk, recent
// window, series budget, receipts to a channel that only counts), fed as a fleet feeds it: GATEWAYS
// gateways, one batch each every 5 s, for SECONDS. Then each stage alone in a loop, for the breakdown.
// µs of CPU (process.cpuUsage) per measurement; JSON on stdout. BENCH_PROFILE=<file.cpuprofile> writes a
// V8 CPU profile of the measured window alone (warm-up, payload making and the stages left out).
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cloudIngestConfig } from '../../cloud-ingest/config.js';
import type { Receipt } from '../../contract/wire.js';
import { DedupStore } from '../../cloud-ingest/ingest/dedup.js';
import { Ingest } from '../../cloud-ingest/ingest/ingest.js';
import { ReceiptBatcher } from '../../cloud-ingest/ingest/receipts.js';
import { RecentWindow } from '../../cloud-ingest/ingest/recent-window.js';
import { SeriesBudget } from '../../cloud-ingest/ingest/series-budget.js';
import { HeadCache } from '../../cloud-ingest/ingest/head-cache.js';
import { decompressTelemetry } from '../../cloud-ingest/ingest/decompress.js';
import { checkBatch, decompressBatch } from '../../cloud-ingest/ingest/telemetry.js';
import { InfluxWriter } from '../../cloud-ingest/ingest/writer.js';
import type { GatewayIdentity } from '../../cloud-ingest/registry/registry.js';
import { silentLogger } from '../../contract/logger.js';
import { Stats } from '../../contract/stats.js';
import { tempDir } from '../../tests/helpers/peers.js';
import { startVictoria } from '../../tests/helpers/victoria.js';
import { profiled } from '../cpu-profile.js';

const GATEWAYS = Number(process.env.BENCH_GATEWAYS ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const LINES = 12;
const FIELDS = 5;
const say = (text: string) => process.stderr.write(`bench:fleet per-batch: ${text}\n`);

function batch(seq: number, ts: number): Buffer {
  const lines: string[] = [];
  for (let l = 0; l < LINES; l++) lines.push(`power,source=meter-${l},building=${l % 4} voltage=${220 + (seq % 10)},current=${(l % 50) / 10},active_power=${l * 3 + (seq % 7)},power_factor=0.95,import_energy=${seq * 10 + l} ${ts}`);
  return gzipSync(lines.join('\n'));
}

const cpuUs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return d.user + d.system;
};

const vm = await startVictoria();
const dir = tempDir('per-batch');
try {
  const config = cloudIngestConfig.parse({ version: 1, dataDir: dir.path, influx: { url: vm.url }, console: { enabled: false } });
  const stats = new Stats();
  const log = silentLogger();
  const sink = new InfluxWriter(config.influx!, undefined, log, stats);
  const window = new RecentWindow(config.recentWindow);
  const series = new SeriesBudget({ maxPerGateway: config.series.maxPerGateway, maxPerTownship: config.series.maxPerTownship, rotateMs: config.series.forgetAfterMs });
  const dedup = new DedupStore(config.dedup.capacity, join(dir.path, 'dedup.journal'));
  const receipts = new ReceiptBatcher(log, stats);
  let receipted = 0;
  receipts.bind({ sendReceipt: async (_g: string, r: Receipt) => void (receipted += r.items.length) });
  const ingest = new Ingest({ dedup, sink, window, series, alarms: { addEvent: async () => undefined }, receipts, limits: config.admission, log, stats });
  const identities: GatewayIdentity[] = Array.from({ length: GATEWAYS }, (_, g) => ({ gateway: `gw-${g}`, township: 'bench-town', compound: `c-${g}` }));

  // The fleet's rhythm: every 5 s each gateway once, spread evenly (200 batches/s for 1,000 gateways).
  const perTick = Math.max(1, Math.round(GATEWAYS / 500)); // a tick every 10 ms
  let seq = 0;
  let g = 0;
  const t0 = Date.now() - 600_000;
  /** Payloads made before the clock starts: gzip is the gateway's cost, not the township's. */
  const payloadsFor = (seconds: number) => Array.from({ length: Math.ceil(seconds * 100 * perTick) + perTick }, (_, i) => batch(seq + i, t0 + seq + i));
  const feed = async (seconds: number, payloads: Buffer[]) => {
    const first = seq;
    const pending: Promise<void>[] = [];
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end && seq - first + perTick <= payloads.length) {
      for (let i = 0; i < perTick; i++) {
        const id = identities[g]!;
        pending.push(ingest.accept(id, `lm/v1/${id.gateway}/t/b${seq}`, payloads[seq - first]!));
        seq++;
        g = (g + 1) % GATEWAYS;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(pending);
  };
  say(`warm-up (series created), then ${SECONDS} s at ${perTick * 100} batches/s from ${GATEWAYS} gateways`);
  await feed(5, payloadsFor(5));
  // Made here, not inside feed: the measured window held the gzip of its own payloads before (~25 µs a batch).
  const payloads = payloadsFor(SECONDS);
  const seq0 = seq;
  const requests0 = stats.counter('ingest.write_requests', {});
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  // BENCH_PROFILE: the fed window only, not what surrounds it.
  await profiled(process.env.BENCH_PROFILE, () => feed(SECONDS, payloads));
  const wholeUs = cpuUs(c0);
  const split = process.cpuUsage(c0);
  const requests = stats.counter('ingest.write_requests', {}) - requests0;
  const batches = seq - seq0;
  const wallS = (performance.now() - w0) / 1000;

  // Stages alone, on the same payloads: what each costs per batch.
  const samples = Array.from({ length: 2000 }, (_, i) => batch(i, t0 - 1000 + i));
  const stage = async (name: string, run: (i: number) => Promise<unknown> | unknown) => {
    const c = process.cpuUsage();
    for (let i = 0; i < samples.length; i++) await run(i);
    return [name, Number((cpuUs(c) / samples.length).toFixed(1))] as const;
  };
  const texts = await Promise.all(samples.map((p) => decompressBatch(p)));
  const checkedSamples = await Promise.all(texts.map(async (t, i) => (await checkBatch(identities[i % GATEWAYS]!, t, Date.now(), series)).checked));
  const scratch = new DedupStore(100_000, join(dir.path, 'scratch.journal'));
  // The heads the samples' gateways sent, as Ingest keeps them (its own cache is not reachable from here).
  const heads = new HeadCache();
  for (let i = 0; i < GATEWAYS; i++) await checkBatch(identities[i]!, texts[i % texts.length]!, Date.now(), undefined, heads);
  const breakdown = Object.fromEntries([
    await stage('gunzipAsyncUs', (i) => decompressBatch(samples[i]!)),
    await stage('decompressTelemetryUs', (i) => decompressTelemetry(samples[i]!)),
    await stage('windowAddUs', (i) => window.add(identities[i % GATEWAYS]!, checkedSamples[i]!)),
    await stage('checkBatchUs', (i) => checkBatch(identities[i % GATEWAYS]!, texts[i]!, Date.now(), series, heads)),
    await stage('checkBatchNoHeadCacheUs', (i) => checkBatch(identities[i % GATEWAYS]!, texts[i]!, Date.now(), series)),
    await stage('dedupJournalUs', (i) => scratch.once(`gw-${i % GATEWAYS}/t/x${i}`, async () => undefined)),
    await stage('promiseTickUs', () => new Promise((r) => setImmediate(r))),
  ]);
  const measurements = batches * LINES * FIELDS;
  const result = {
    bench: 'fleet-per-batch',
    setup: { gateways: GATEWAYS, seconds: Number(wallS.toFixed(1)), batches, measurementsPerBatch: LINES * FIELDS, writer: { flushLines: config.influx!.flushLines, writeConcurrency: config.influx!.writeConcurrency } },
    whole: { cpuUsPerBatch: Number((wholeUs / batches).toFixed(0)), cpuUsPerMeasurement: Number((wholeUs / measurements).toFixed(2)), systemShare: Number((split.system / wholeUs).toFixed(2)), cpuPercentOfOneCore: Number(((100 * wholeUs) / 1e6 / wallS).toFixed(1)), receipted, httpWritesPerS: Number((requests / wallS).toFixed(1)), batchesPerHttpWrite: Number((batches / requests).toFixed(1)) },
    stagesAloneUsPerBatch: breakdown,
    rssMB: Math.round(process.memoryUsage().rss / 1e6),
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  await sink.close();
} finally {
  await vm.stop();
  dir.remove();
}
