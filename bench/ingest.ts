// npm run bench:ingest — measurements/s from MQTT through cloud-ingest into VictoriaMetrics, per worker,
// against writing the same lines straight to VictoriaMetrics with the same client (@influxdata/influxdb-client).
// Like with like: the direct baseline writes as cloud-ingest's writer does (groups of up to flushLines
// lines, writeConcurrency writes in flight, both from the worker's defaults), and the run through
// cloud-ingest ends when every batch is *receipted* (stored), not when the broker PUBACKs, with each
// simulated gateway keeping at most the uplink's maxInflight batches unreceipted.
// Prints one JSON object on stdout; progress on stderr. Everything runs on this machine (VictoriaMetrics,
// broker, worker and simulated gateways share the CPUs), so the figures are a floor, not a ceiling.
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { InfluxDB } from '@influxdata/influxdb-client';
import mqtt from 'mqtt';
import { cloudIngestConfig } from '../cloud-ingest/config.js';
import { parseReceipt, topics } from '../contract/wire.js';
import { mosquittoPasswordHash } from '../cloud-ingest/registry/password.js';
import { mosquittoIngestAcl, provisionGateway } from '../cloud-ingest/registry/provision.js';
import { GatewayRegistry } from '../cloud-ingest/registry/registry.js';
import { CloudIngest } from '../cloud-ingest/service.js';
import { uplink as uplinkSchema } from '../config/sections/uplink.js';
import { silentLogger } from '../contract/logger.js';
import { startMosquitto, tempDir } from '../tests/helpers/peers.js';
import { startVictoria, type Victoria } from '../tests/helpers/victoria.js';

/** CPU seconds used so far by a process (utime + stime from /proc; clock ticks are 100 Hz on Linux). */
function processCpuS(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Run {
  measurements: number;
  seconds: number;
  /** CPU seconds of this process (worker + simulated gateways) and of VictoriaMetrics during the run. */
  nodeCpuS: number;
  vmCpuS: number;
}

/** Starts the clocks: wall time, and CPU time of this process and of VictoriaMetrics. */
function startClock(vm: Victoria): (measurements: number) => Run {
  const vmPid = vm.process.pid!;
  const [t0, node0, vm0] = [performance.now(), processCpuS(process.pid), processCpuS(vmPid)];
  return (measurements) => ({ measurements, seconds: (performance.now() - t0) / 1000, nodeCpuS: processCpuS(process.pid) - node0, vmCpuS: processCpuS(vmPid) - vm0 });
}

const GATEWAYS = Number(process.env.BENCH_GATEWAYS ?? 32);
const BATCHES_PER_GATEWAY = Number(process.env.BENCH_BATCHES ?? 8);
const LINES_PER_BATCH = 1000;
const FIELDS_PER_LINE = 5; // 5000 measurements per batch = the uplink's default batchMaxMeasurements
/** The worker's write shape and the gateway's window, from their own config defaults. */
const WRITER = cloudIngestConfig.parse({ version: 1, dataDir: '/nonexistent', influx: { url: 'http://127.0.0.1:1' }, console: { enabled: false } }).influx!;
const MAX_INFLIGHT = uplinkSchema.parse({ url: 'mqtts://127.0.0.1' }).maxInflight;
const say = (text: string) => process.stderr.write(`bench:ingest: ${text}\n`);

function makeBatches(gateway: string, t0: number, tagged: boolean): string[][] {
  // Tagged lines look exactly like what cloud-ingest writes (identity tags last).
  const identity = tagged ? `,township=bench-town,compound=c-${gateway},gateway=${gateway}` : '';
  return Array.from({ length: BATCHES_PER_GATEWAY }, (_, b) =>
    Array.from({ length: LINES_PER_BATCH }, (_, l) => `power,building=${l % 12},source=meter-${l}${identity} voltage=${220 + (b % 10)},current=${(l % 50) / 10},active_power=${l * 3},power_factor=0.95,import_energy=${b * 1000 + l} ${t0 + b}`),
  );
}

async function direct(vm: Victoria, t0: number): Promise<Run> {
  // The writer's client settings: its own batching and retries off, one write per flush.
  const api = new InfluxDB({ url: vm.url }).getWriteApi('o', 'b', 'ms', { batchSize: WRITER.flushLines + 1, maxBatchBytes: 1024 * 1024 * 1024, flushInterval: 0, maxRetries: 0, maxBufferLines: 1 });
  const batches = Array.from({ length: GATEWAYS }, (_, g) => makeBatches(`gw-${g}`, t0, true)).flat();
  // The writer's group shape: whole batches, up to flushLines lines per HTTP write.
  const groups: string[][] = [];
  for (const lines of batches) {
    const last = groups.at(-1);
    if (last && last.length + lines.length <= WRITER.flushLines) last.push(...lines);
    else groups.push([...lines]);
  }
  const stop = startClock(vm);
  // writeConcurrency writes in flight; writeRecords + flush run synchronously up to the send, as in the writer.
  let next = 0;
  const slot = async () => {
    while (next < groups.length) {
      api.writeRecords(groups[next++]!);
      await api.flush();
    }
  };
  await Promise.all(Array.from({ length: WRITER.writeConcurrency }, slot));
  const run = stop(batches.length * LINES_PER_BATCH * FIELDS_PER_LINE);
  await api.close();
  return run;
}

async function throughCloudIngest(vm: Victoria, t0: number, mode: 'embedded' | 'mosquitto'): Promise<Run> {
  const dir = tempDir(`bench-${mode}`);
  const registry = new GatewayRegistry(join(dir.path, 'gateways.json')).load();
  // The same series as the direct run: VictoriaMetrics registers a series on first sight, which costs far
  // more than a sample, so every run writes to series the warm-up already created.
  const gateways = Array.from({ length: GATEWAYS }, (_, g) => `gw-${g}`);
  const passwords = gateways.map((gateway) => provisionGateway(registry, { gateway, township: 'bench-town', compound: `c-${gateway}`, brokerUrl: 'mqtt://127.0.0.1' }));
  let mosquitto: Awaited<ReturnType<typeof startMosquitto>> | undefined;
  let broker: Record<string, unknown> = { type: 'embedded', host: '127.0.0.1', port: 0 };
  if (mode === 'mosquitto') {
    writeFileSync(join(dir.path, 'worker.password'), 'bench-worker\n');
    writeFileSync(join(dir.path, 'passwd'), [...passwords.map((p) => p.mosquittoPasswordLine), `ingest:${mosquittoPasswordHash('bench-worker')}`].join('\n') + '\n');
    // The worker's ACL as the township deploys it (it must be able to write receipts).
    writeFileSync(join(dir.path, 'acl'), [...passwords.map((p) => p.mosquittoAcl), mosquittoIngestAcl('ingest')].join('\n'));
    chmodSync(dir.path, 0o755);
    mosquitto = await startMosquitto({ extraConfig: [`password_file ${join(dir.path, 'passwd')}`, `acl_file ${join(dir.path, 'acl')}`, 'allow_anonymous false', 'max_inflight_messages 100', 'max_queued_messages 100000'] });
    broker = { type: 'external', url: `mqtt://127.0.0.1:${mosquitto.port}`, username: 'ingest', passwordFile: join(dir.path, 'worker.password') };
  }
  const config = cloudIngestConfig.parse({ version: 1, dataDir: dir.path, broker, influx: { url: vm.url }, console: { enabled: false } });
  const service = new CloudIngest(config, silentLogger());
  await service.start();
  const port = mode === 'embedded' ? service.brokerPort : mosquitto!.port;
  // One at a time: the broker limits concurrent password checks per address (all of these are 127.0.0.1).
  const clients: mqtt.MqttClient[] = [];
  for (const [i, g] of gateways.entries()) clients.push(await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: g, username: g, password: passwords[i]!.password, reconnectPeriod: 0 }));
  const payloads = gateways.map((g) => makeBatches(g, t0, false).map((lines) => gzipSync(lines.join('\n'))));
  // Receipts say a batch is stored; a PUBACK only that the broker has it.
  const receipted = new Map<string, () => void>();
  await Promise.all(
    clients.map(async (client, g) => {
      client.on('message', (_topic, payload) => {
        for (const item of parseReceipt(payload)?.items ?? []) receipted.get(`${gateways[g]}/${item.id}`)?.();
      });
      await client.subscribeAsync(topics.receipt(gateways[g]!), { qos: 1 });
    }),
  );
  const stop = startClock(vm);
  // Each gateway keeps at most maxInflight batches unreceipted, as the uplink does; the run ends at the last receipt.
  await Promise.all(
    clients.map(async (client, g) => {
      let next = 0;
      const lane = async () => {
        while (next < payloads[g]!.length) {
          const id = `b${next}`;
          const stored = new Promise<void>((resolve, reject) => {
            // Bounded: a receipt that never comes fails the bench with what cloud-ingest counted.
            const timer = setTimeout(() => reject(new Error(`bench:ingest: no receipt for ${gateways[g]}/${id} in 120 s; ${JSON.stringify(service.stats.snapshot()).slice(0, 2000)}`)), 120_000);
            receipted.set(`${gateways[g]}/${id}`, () => (clearTimeout(timer), resolve()));
          });
          await client.publishAsync(topics.telemetry(gateways[g]!, id), payloads[g]![next++]!, { qos: 1 });
          await stored;
        }
      };
      await Promise.all(Array.from({ length: MAX_INFLIGHT }, lane));
    }),
  );
  const run = stop(GATEWAYS * BATCHES_PER_GATEWAY * LINES_PER_BATCH * FIELDS_PER_LINE);
  const stored = gateways.reduce((n, g) => n + service.stats.counter('ingest.batches', { gateway: g }), 0);
  if (stored !== GATEWAYS * BATCHES_PER_GATEWAY) throw new Error(`bench:ingest: ${stored} batches stored, expected ${GATEWAYS * BATCHES_PER_GATEWAY}`);
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await service.stop();
  await mosquitto?.stop();
  dir.remove();
  return run;
}

const vm = await startVictoria();
try {
  const t0 = Date.now() - 3600_000;
  // Warm-up: VictoriaMetrics registers new series on first sight, which is slower than steady state.
  say(`warm-up, then direct (${WRITER.writeConcurrency} writes in flight, ≤ ${WRITER.flushLines} lines each)`);
  await direct(vm, t0 - 1000);
  const d = await direct(vm, t0);
  const modes = (process.env.BENCH_MODES ?? 'embedded,mosquitto').split(',');
  const rate = (r: Run) => Math.round(r.measurements / r.seconds);
  const directRate = rate(d);
  const report = (r: Run) => ({
    measurementsPerS: rate(r),
    ratioToDirect: Number((rate(r) / directRate).toFixed(2)),
    seconds: Number(r.seconds.toFixed(2)),
    // Capacity independent of what else the box runs: measurements per CPU-second of each process.
    measurementsPerNodeCpuS: Math.round(r.measurements / r.nodeCpuS),
    measurementsPerVmCpuS: Math.round(r.measurements / r.vmCpuS),
  });
  const result: Record<string, unknown> = {
    bench: 'ingest',
    setup: {
      gateways: GATEWAYS, batchesPerGateway: BATCHES_PER_GATEWAY, measurementsPerBatch: LINES_PER_BATCH * FIELDS_PER_LINE, workers: 1,
      writeConcurrency: WRITER.writeConcurrency, flushLines: WRITER.flushLines, gatewayMaxInflight: MAX_INFLIGHT, endsAt: 'the last receipt (stored)',
      cpus: cpus().length, loadAverage1m: Number(loadavg()[0]!.toFixed(1)),
    },
    direct: report(d),
  };
  say('through cloud-ingest');
  if (modes.includes('embedded')) result.embedded = report(await throughCloudIngest(vm, t0 + 100, 'embedded'));
  if (modes.includes('mosquitto')) result.mosquittoSharedSubscription = report(await throughCloudIngest(vm, t0 + 500, 'mosquitto'));
  result.target = { perWorker: 100_000, ratio: 0.7 };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
} finally {
  await vm.stop();
}
