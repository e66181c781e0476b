// npm run bench:ingest — measurements/s from MQTT through cloud-ingest into VictoriaMetrics, per worker,
// against writing the same lines straight to VictoriaMetrics with the same client (@influxdata/influxdb-client).
// Prints one JSON object on stdout and nothing else. Everything runs on this machine (VictoriaMetrics,
// broker, worker and simulated gateways share the CPUs), so the figures are a floor, not a ceiling.
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { chmodSync, writeFileSync } from 'node:fs';
import { InfluxDB } from '@influxdata/influxdb-client';
import mqtt from 'mqtt';
import { cloudIngestConfig } from '../cloud-ingest/config.js';
import { topics } from '../cloud-ingest/contract.js';
import { mosquittoPasswordHash } from '../cloud-ingest/registry/password.js';
import { provisionGateway } from '../cloud-ingest/registry/provision.js';
import { GatewayRegistry } from '../cloud-ingest/registry/registry.js';
import { CloudIngest } from '../cloud-ingest/service.js';
import { silentLogger } from '../gateway/shared/logger.js';
import { startMosquitto, tempDir } from '../tests/helpers/peers.js';
import { startVictoria, type Victoria } from '../tests/helpers/victoria.js';

const GATEWAYS = Number(process.env.BENCH_GATEWAYS ?? 32);
const BATCHES_PER_GATEWAY = Number(process.env.BENCH_BATCHES ?? 8);
const LINES_PER_BATCH = 1000;
const FIELDS_PER_LINE = 5; // 5000 measurements per batch = the uplink's default batchMaxMeasurements

function makeBatches(gateway: string, t0: number, tagged: boolean): string[][] {
  const identity = tagged ? `,compound=c-${gateway},gateway=${gateway}` : '';
  const town = tagged ? ',township=bench-town' : '';
  return Array.from({ length: BATCHES_PER_GATEWAY }, (_, b) =>
    Array.from({ length: LINES_PER_BATCH }, (_, l) => `power,building=${l % 12}${identity},source=meter-${l}${town} voltage=${220 + (b % 10)},current=${(l % 50) / 10},active_power=${l * 3},power_factor=0.95,import_energy=${b * 1000 + l} ${t0 + b}`),
  );
}

async function direct(vm: Victoria, t0: number): Promise<{ measurements: number; seconds: number }> {
  const api = new InfluxDB({ url: vm.url }).getWriteApi('o', 'b', 'ms', { batchSize: 20_001, flushInterval: 0, maxRetries: 0, maxBufferLines: 1 });
  const batches = Array.from({ length: GATEWAYS }, (_, g) => makeBatches(`direct-${g}`, t0, true)).flat();
  const start = performance.now();
  // Same shape as cloud-ingest's writer: up to 20,000 lines per HTTP write, waiting for each.
  let pending: string[] = [];
  for (const lines of batches) {
    pending.push(...lines);
    if (pending.length >= 20_000) {
      api.writeRecords(pending);
      await api.flush();
      pending = [];
    }
  }
  api.writeRecords(pending);
  await api.flush();
  const seconds = (performance.now() - start) / 1000;
  await api.close();
  return { measurements: batches.length * LINES_PER_BATCH * FIELDS_PER_LINE, seconds };
}

async function throughCloudIngest(vm: Victoria, t0: number, mode: 'embedded' | 'mosquitto'): Promise<{ measurements: number; seconds: number }> {
  const dir = tempDir(`bench-${mode}`);
  const registry = new GatewayRegistry(join(dir.path, 'gateways.json')).load();
  const gateways = Array.from({ length: GATEWAYS }, (_, g) => `${mode}-${g}`);
  const passwords = gateways.map((gateway) => provisionGateway(registry, { gateway, township: 'bench-town', compound: `c-${gateway}`, brokerUrl: 'mqtt://127.0.0.1' }));
  let mosquitto: Awaited<ReturnType<typeof startMosquitto>> | undefined;
  let broker: Record<string, unknown> = { type: 'embedded', host: '127.0.0.1', port: 0 };
  if (mode === 'mosquitto') {
    writeFileSync(join(dir.path, 'worker.password'), 'bench-worker\n');
    writeFileSync(join(dir.path, 'passwd'), [...passwords.map((p) => p.mosquittoPasswordLine), `ingest:${mosquittoPasswordHash('bench-worker')}`].join('\n') + '\n');
    writeFileSync(join(dir.path, 'acl'), [...passwords.map((p) => p.mosquittoAcl), 'user ingest\ntopic read lm/v1/#\ntopic write lm/v1/+/cmd\n'].join('\n'));
    chmodSync(dir.path, 0o755);
    mosquitto = await startMosquitto({ extraConfig: [`password_file ${join(dir.path, 'passwd')}`, `acl_file ${join(dir.path, 'acl')}`, 'allow_anonymous false', 'max_inflight_messages 100', 'max_queued_messages 100000'] });
    broker = { type: 'external', url: `mqtt://127.0.0.1:${mosquitto.port}`, username: 'ingest', passwordFile: join(dir.path, 'worker.password') };
  }
  const config = cloudIngestConfig.parse({ version: 1, dataDir: dir.path, broker, influx: { url: vm.url }, console: { enabled: false } });
  const service = new CloudIngest(config, silentLogger());
  await service.start();
  const port = mode === 'embedded' ? service.brokerPort : mosquitto!.port;
  const clients = await Promise.all(gateways.map((g, i) => mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: g, username: g, password: passwords[i]!.password, reconnectPeriod: 0 })));
  const payloads = gateways.map((g) => makeBatches(g, t0, false).map((lines) => gzipSync(lines.join('\n'))));
  const start = performance.now();
  // Each gateway sends its batches with a few in flight, as the uplink does; PUBACK = written.
  await Promise.all(
    clients.map(async (client, g) => {
      const inFlight = 4;
      let next = 0;
      const lane = async () => {
        while (next < payloads[g]!.length) {
          const b = next++;
          await client.publishAsync(topics.telemetry(gateways[g]!, `b${b}`), payloads[g]![b]!, { qos: 1 });
        }
      };
      await Promise.all(Array.from({ length: inFlight }, lane));
    }),
  );
  if (mode === 'mosquitto') {
    // Mosquitto acks the gateway on receipt; the worker's own PUBACKs follow its writes, so wait for the count.
    const total = GATEWAYS * BATCHES_PER_GATEWAY;
    while (gateways.reduce((n, g) => n + service.stats.counter('ingest.batches', { gateway: g }), 0) < total) await new Promise((r) => setTimeout(r, 5));
  }
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await service.stop();
  await mosquitto?.stop();
  dir.remove();
  return { measurements: GATEWAYS * BATCHES_PER_GATEWAY * LINES_PER_BATCH * FIELDS_PER_LINE, seconds };
}

const vm = await startVictoria();
try {
  const t0 = Date.now() - 3600_000;
  // Warm-up: VictoriaMetrics registers new series on first sight, which is slower than steady state.
  await direct(vm, t0 - 1000);
  const d = await direct(vm, t0);
  const modes = (process.env.BENCH_MODES ?? 'embedded,mosquitto').split(',');
  const skipped = { measurements: 0, seconds: 1 };
  const e = modes.includes('embedded') ? await throughCloudIngest(vm, t0, 'embedded') : skipped;
  const m = modes.includes('mosquitto') ? await throughCloudIngest(vm, t0 + 500, 'mosquitto') : skipped;
  const rate = (r: { measurements: number; seconds: number }) => Math.round(r.measurements / r.seconds);
  const directRate = rate(d);
  process.stdout.write(
    JSON.stringify(
      {
        bench: 'ingest',
        setup: { gateways: GATEWAYS, batchesPerGateway: BATCHES_PER_GATEWAY, measurementsPerBatch: LINES_PER_BATCH * FIELDS_PER_LINE, workers: 1, cpus: (await import('node:os')).cpus().length },
        directMeasurementsPerS: directRate,
        embedded: { measurementsPerS: rate(e), seconds: Number(e.seconds.toFixed(2)), ratioToDirect: Number((rate(e) / directRate).toFixed(2)) },
        mosquittoSharedSubscription: { measurementsPerS: rate(m), seconds: Number(m.seconds.toFixed(2)), ratioToDirect: Number((rate(m) / directRate).toFixed(2)) },
        target: { perWorker: 100_000, ratio: 0.7 },
      },
      null,
      2,
    ) + '\n',
  );
} finally {
  await vm.stop();
}
