// bench:uplink: measurements through spool and uplink to a local mosquitto. Prints JSON on stdout only.
//   sustained: 10 s of realistic readings (power meters, 10 points each, full location tags) emitted on
//              the bus as fast as the spool + uplink keep up (producer backs off at 3 batches of backlog);
//              rate = measurements the broker PUBACK'd in that window / window.
//   replay:    broker stopped, a backlog spooled to disk, broker restarted; rate = backlog / time to drain.
//   wire:      gzip'd line-protocol payload bytes per measurement (and with MQTT topic/header overhead).
//   disk:      spool bytes written per measurement.   rss: peak resident set size of this process.
// Run: npx tsx bench/uplink.ts [sustainedSeconds=10] [replayMeasurements=300000]
// RSS depends on V8's heap sizing far more than on the spool/uplink: with --max-semi-space-size=2
// --max-old-space-size=64 (what a Pi service unit should pass) it stays well under the default's.
import { Services } from '../gateway/pipeline/services.js';
import { Durability } from '../gateway/pipeline/durability.js';
import { performance } from 'node:perf_hooks';
import { spool as spoolSchema, uplink as uplinkSchema } from '../config/sections/uplink.js';
import type { SiteConfig } from '../config/site.js';
import { EventBus } from '../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../gateway/pipeline/events.js';
import type { RuntimeContext } from '../gateway/pipeline/stage.js';
import { SpoolStage } from '../gateway/spool/spool-stage.js';
import { silentLogger } from '../contract/logger.js';
import { Stats } from '../contract/stats.js';
import { HonestClock } from '../gateway/time/honest-clock.js';
import { UplinkStage } from '../gateway/uplink/uplink-stage.js';
import { startMosquitto, tempDir } from '../tests/helpers/peers.js';

const SUSTAINED_S = Number(process.argv[2] ?? 10);
const REPLAY_MEASUREMENTS = Number(process.argv[3] ?? 300_000);
const SOURCES = 200;
const POINTS = ['voltage_l1', 'voltage_l2', 'voltage_l3', 'current_l1', 'current_l2', 'current_l3', 'active_power', 'power_factor', 'frequency', 'import_energy'];

const broker = await startMosquitto();
const dir = tempDir('bench-uplink');
const url = `mqtt://127.0.0.1:${broker.port}`;
const stats = new Stats();
const clock = new HonestClock({ synced: true });
const site = {
  version: 1,
  gateway: { township: 'xinhua-jiedao', compound: 'hongqi-xiaoqu', id: 'gw-hongqi-01' },
  buses: [],
  sources: [],
  actuators: [],
  uplink: uplinkSchema.parse({ url }),
  spool: spoolSchema.parse({ dir: dir.path }),
} as unknown as SiteConfig;
const context: RuntimeContext = { site, sources: [], events: new EventBus<GatewayEvents>((e) => stats.inc('listener_error', { e })), clock, log: silentLogger(), stats, services: new Services(), durability: new Durability() };

const spoolStage = new SpoolStage(context);
spoolStage.start();
const spool = context.services.get('spool')!;
const uplinkStage = new UplinkStage(context);
uplinkStage.start();

const rssAtStart = process.memoryUsage().rss;
let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

const energy = new Float64Array(SOURCES).map(() => 1000 + Math.random() * 5000);
const tags = Array.from({ length: SOURCES }, (_, i) => ({
  township: site.gateway.township,
  compound: site.gateway.compound,
  gateway: site.gateway.id,
  source: `meter-b${Math.floor(i / 20) + 1}-u${(i % 4) + 1}-f${(i % 20) + 1}`,
  building: String(Math.floor(i / 20) + 1),
  unit: String((i % 4) + 1),
  floor: String((i % 20) + 1),
}));
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** One poll of one three-phase meter: 10 points sharing a stamp, values with realistic noise and precision. */
function emitReading(i: number): void {
  const mono = clock.mono();
  const ts = clock.now();
  const current = 2 + Math.random() * 8;
  energy[i]! += current * 0.23 * 0.0003;
  const values = [
    round(220 + Math.random() * 10, 1), round(220 + Math.random() * 10, 1), round(220 + Math.random() * 10, 1),
    round(current, 2), round(current * (0.9 + Math.random() * 0.2), 2), round(current * (0.9 + Math.random() * 0.2), 2),
    round(current * 660, 0), round(0.9 + Math.random() * 0.09, 2), round(49.95 + Math.random() * 0.1, 2), round(energy[i]!, 2),
  ];
  for (let p = 0; p < POINTS.length; p++) {
    context.events.emit('measurement', { source: tags[i]!.source, point: POINTS[p]!, class: 'power', value: values[p]!, unit: undefined, ts, mono, timeSynced: true, quality: 'good', tags: tags[i]! });
  }
}

const batchLines = site.uplink!.batchMaxMeasurements;
const backlogLines = () => spool.telemetry.durableEnd() - spool.telemetry.acked();
const tick = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let source = 0;

// Target rate: 20,000 measurements/s for a few seconds, to see the footprint at the load we size for.
const TARGET_RATE = 20_000;
const targetStart = performance.now();
let targetProduced = 0;
while (performance.now() - targetStart < 5000) {
  const due = ((performance.now() - targetStart) / 1000) * TARGET_RATE;
  while (targetProduced < due) {
    emitReading(source);
    source = (source + 1) % SOURCES;
    targetProduced += POINTS.length;
  }
  await sleep(10);
}
while (backlogLines() > 0) await sleep(20);
const rssAtTargetRate = peakRss;

// Sustained: produce while the backlog stays small; count what the broker acknowledged.
let produced = 0;
const ackedLinesAtStart = spool.telemetry.acked();
const cpuStart = process.cpuUsage();
const started = performance.now();
let pendingLines = 0;
while (performance.now() - started < SUSTAINED_S * 1000) {
  if (backlogLines() + pendingLines > 3 * batchLines) {
    await sleep(2);
    pendingLines = 0;
    continue;
  }
  for (let r = 0; r < 100; r++) {
    emitReading(source);
    source = (source + 1) % SOURCES;
    produced += POINTS.length;
  }
  pendingLines += 100;
  await tick();
  pendingLines = 0;
}
const window = (performance.now() - started) / 1000;
const ackedLines = spool.telemetry.acked() - ackedLinesAtStart;
const cpu = process.cpuUsage(cpuStart);
const sustained = (ackedLines * POINTS.length) / window;
// Let the tail drain (the last batch waits up to batchMaxAge).
while (backlogLines() > 0) await sleep(50);
const wireBytes = stats.counter('uplink.bytes', { lane: 'telemetry' });
const batches = stats.counter('uplink.published', { lane: 'telemetry' });
const diskBytes = stats.counter('spool.bytes_written', { lane: 'telemetry' });
const measurementsSent = stats.counter('uplink.telemetry_lines') * POINTS.length;

// Replay: broker down, backlog to disk, broker back, time to drain.
await broker.stop();
await sleep(200);
for (let m = 0; m < REPLAY_MEASUREMENTS; m += POINTS.length) {
  emitReading(source);
  source = (source + 1) % SOURCES;
  if (m % 10_000 === 0) await tick();
}
await spool.flush();
const backlog = backlogLines();
const restarted = await startMosquitto({ port: broker.port, dir: broker.dir });
const replayStart = performance.now();
while (backlogLines() > 0) await sleep(5);
const replaySeconds = (performance.now() - replayStart) / 1000;

clearInterval(rssTimer);
await uplinkStage.stop();
await spoolStage.stop();
await restarted.stop();
dir.remove();

const topicBytes = `lm/v1/${site.gateway.id}/t/${spool.id}-1234567-1239999`.length;
process.stdout.write(
  JSON.stringify(
    {
      bench: 'uplink',
      setup: { sources: SOURCES, pointsPerReading: POINTS.length, tags: Object.keys(tags[0]!), batchMaxMeasurements: batchLines, batchUnit: 'lines (one reading each)', syncEvery: site.spool.syncEvery, segmentBytes: site.spool.segmentBytes, maxInflight: site.uplink!.maxInflight },
      sustained: { seconds: round(window, 2), measurementsProduced: produced, measurementsAcked: ackedLines * POINTS.length, measurementsPerSecond: Math.round(sustained), cpuSecondsUser: round(cpu.user / 1e6, 2), cpuSecondsSystem: round(cpu.system / 1e6, 2) },
      replay: { backlogMeasurements: backlog * POINTS.length, seconds: round(replaySeconds, 2), measurementsPerSecond: Math.round((backlog * POINTS.length) / replaySeconds) },
      wire: { batches, payloadBytesPerMeasurement: round(wireBytes / measurementsSent, 2), withMqttOverheadBytesPerMeasurement: round((wireBytes + batches * (topicBytes + 6)) / measurementsSent, 2) },
      disk: { spoolBytesPerMeasurement: round(diskBytes / Math.max(1, stats.counter('spool.measurements')), 2) },
      rssMB: { afterStart: round(rssAtStart / 1048576, 1), peakAt20kPerSecond: round(rssAtTargetRate / 1048576, 1), peakOverall: round(peakRss / 1048576, 1), runner: process.execArgv.some((a) => a.includes('tsx')) ? 'tsx (TypeScript compiled in-process)' : 'node (bundled)', v8Flags: [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(' ')].filter((a) => a.startsWith('--max')) },
      targets: { measurementsPerSecond: 20_000, wireBytesPerMeasurement: 8, rssMB: 120 },
    },
    null,
    2,
  ) + '\n',
);
process.exit(0);
