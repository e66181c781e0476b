// npm run bench:ingest — measurements/s from MQTT through cloud-ingest into VictoriaMetrics, per worker,
// against writing the same lines straight to VictoriaMetrics with the writer's own HTTP write (LinePoster).
// Like with like: the direct baseline writes as cloud-ingest's writer does (groups of up to flushLines
// lines, writeConcurrency writes in flight, both from the worker's defaults), and the run through
// cloud-ingest ends when every batch is *receipted* (stored), not when the broker PUBACKs, with each
// simulated gateway keeping at most the uplink's maxInflight batches unreceipted.
// The simulated gateways run in a child process (bench/ingest-gateways.ts), as the direct baseline's
// writer has no gateways on its event loop either: before, their mqtt.js work ran on the worker's event
// loop and in its CPU figure. Prints one JSON object on stdout; progress on stderr. Everything runs on
// this machine (VictoriaMetrics, broker, worker and the gateways' process share the CPUs), so the figures
// are a floor, not a ceiling. BENCH_ROUNDS (3) rounds, each path once per round in a rotated order; the
// medians are over the rounds, each ratio against its own round's direct run. BENCH_PROFILE=<prefix> writes
// a V8 CPU profile of each path's measured window through cloud-ingest to <prefix>.<mode>.cpuprofile
// (the last round's run; set-up, warm-up and the direct runs left out).
import { fork, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { cloudIngestConfig, gzipWrites } from '../cloud-ingest/config.js';
import { mosquittoPasswordHash } from '../cloud-ingest/registry/password.js';
import { mosquittoIngestAcl, provisionGateway } from '../cloud-ingest/registry/provision.js';
import { GatewayRegistry } from '../cloud-ingest/registry/registry.js';
import { CloudIngest } from '../cloud-ingest/service.js';
import { LinePoster } from '../cloud-ingest/ingest/line-post.js';
import { batchBody } from '../cloud-ingest/ingest/writer.js';
import { profiled } from './cpu-profile.js';
import { uplink as uplinkSchema } from '../config/sections/uplink.js';
import { silentLogger } from '../contract/logger.js';
import { startMosquitto, tempDir } from '../tests/helpers/peers.js';
import { FIELDS_PER_LINE, LINES_PER_BATCH, makeBatches, type GatewaysReport, type GatewaysTask } from './ingest-gateways.js';
import { startVictoria, type Victoria } from '../tests/helpers/victoria.js';
import { readServiceUnit, serviceEnvironment } from './service-unit.js';

// cloud-ingest runs in this process, so this process runs with the township unit's node options and
// environment (deploy/lastmile-ingest.service), as bench:fleet runs the shipped worker: V8's heap options
// change a drain's cost. The direct baseline shares the process and its options (like with like).
const UNIT = readServiceUnit('lastmile-ingest.service', 'bin/lastmile-ingest.js');
if (process.env.LASTMILE_BENCH_AS_UNIT !== '1') {
  const run = spawnSync(process.execPath, [...UNIT.nodeOptions, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...serviceEnvironment(UNIT), LASTMILE_BENCH_AS_UNIT: '1' } });
  process.exit(run.status ?? 1);
}

/** CPU seconds used so far by a process (utime + stime from /proc; clock ticks are 100 Hz on Linux). */
function processCpuS(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Run {
  measurements: number;
  seconds: number;
  /** CPU seconds of this process (the direct client, or cloud-ingest with its broker) and of VictoriaMetrics during the run. */
  nodeCpuS: number;
  vmCpuS: number;
  /** CPU seconds of the simulated gateways' process (through cloud-ingest only). */
  gatewaysCpuS?: number;
}

/** Starts the clocks: wall time, and CPU time of this process and of VictoriaMetrics. */
function startClock(vm: Victoria): (measurements: number) => Run {
  const vmPid = vm.process.pid!;
  const [t0, node0, vm0] = [performance.now(), processCpuS(process.pid), processCpuS(vmPid)];
  return (measurements) => ({ measurements, seconds: (performance.now() - t0) / 1000, nodeCpuS: processCpuS(process.pid) - node0, vmCpuS: processCpuS(vmPid) - vm0 });
}

const GATEWAYS = Number(process.env.BENCH_GATEWAYS ?? 32);
const BATCHES_PER_GATEWAY = Number(process.env.BENCH_BATCHES ?? 8);
/** The worker's write shape and the gateway's window, from their own config defaults. */
const WRITER = cloudIngestConfig.parse({ version: 1, dataDir: '/nonexistent', influx: { url: 'http://127.0.0.1:1' }, console: { enabled: false } }).influx!;
const MAX_INFLIGHT = uplinkSchema.parse({ url: 'mqtts://127.0.0.1' }).maxInflight;
const say = (text: string) => process.stderr.write(`bench:ingest: ${text}\n`);

async function direct(vm: Victoria, t0: number): Promise<Run> {
  // The writer's own HTTP write (keep-alive; gzip as the writer decides for this URL: none on loopback), one request per group.
  const poster = new LinePoster({ url: vm.url, org: 'o', bucket: 'b', token: undefined, timeoutMs: WRITER.timeoutMs, gzip: gzipWrites({ ...WRITER, url: vm.url }) });
  const batches = Array.from({ length: GATEWAYS }, (_, g) => makeBatches(`gw-${g}`, t0, true, BATCHES_PER_GATEWAY)).flat();
  // The writer's group shape: whole batches, up to flushLines lines per HTTP write.
  const groups: string[][][] = [];
  let groupLines = 0;
  for (const lines of batches) {
    const last = groups.at(-1);
    if (last && groupLines + lines.length <= WRITER.flushLines) {
      last.push(lines);
      groupLines += lines.length;
    } else {
      groups.push([lines]);
      groupLines = lines.length;
    }
  }
  const stop = startClock(vm);
  // writeConcurrency writes in flight, as in the writer.
  let next = 0;
  const slot = async () => {
    // Each batch joined and encoded in the window, as the writer does when it takes the batch.
    while (next < groups.length) await poster.post(groups[next++]!.map(batchBody));
  };
  await Promise.all(Array.from({ length: WRITER.writeConcurrency }, slot));
  const run = stop(batches.length * LINES_PER_BATCH * FIELDS_PER_LINE);
  poster.close();
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
  const child = fork(fileURLToPath(new URL('./ingest-gateways.ts', import.meta.url)), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const reports: GatewaysReport[] = [];
  let wake: () => void = () => undefined;
  child.on('message', (report: GatewaysReport) => (reports.push(report), wake()));
  child.once('exit', (code) => (reports.push({ failed: `gateways' process exited with ${code}` }), wake()));
  const next = async (): Promise<GatewaysReport> => {
    while (reports.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const report = reports.shift()!;
    if ('failed' in report) throw new Error(`bench:ingest: ${report.failed}; ${JSON.stringify(service.stats.snapshot()).slice(0, 2000)}`);
    return report;
  };
  const task: GatewaysTask = { port, gateways: gateways.map((gateway, i) => ({ gateway, password: passwords[i]!.password })), t0, batchesPerGateway: BATCHES_PER_GATEWAY, maxInflight: MAX_INFLIGHT };
  child.send(task);
  await next(); // connected, subscribed, payloads made
  const profilePrefix = process.env.BENCH_PROFILE;
  const stop = startClock(vm);
  // Each gateway keeps at most maxInflight batches unreceipted, as the uplink does; the run ends at the last receipt.
  const done = await profiled(
    profilePrefix ? `${profilePrefix}.${mode}.cpuprofile` : undefined,
    () => {
      child.send({ go: true });
      return next();
    },
    200,
  );
  if (!('done' in done)) throw new Error('bench:ingest: the gateways\' process answered out of turn');
  const run = { ...stop(GATEWAYS * BATCHES_PER_GATEWAY * LINES_PER_BATCH * FIELDS_PER_LINE), gatewaysCpuS: done.cpuS };
  const stored = gateways.reduce((n, g) => n + service.stats.counter('ingest.batches', { gateway: g }), 0);
  if (stored !== GATEWAYS * BATCHES_PER_GATEWAY || done.receipted !== stored) throw new Error(`bench:ingest: ${stored} batches stored and ${done.receipted} receipted, expected ${GATEWAYS * BATCHES_PER_GATEWAY}`);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.send({ stop: true });
  await exited;
  await service.stop();
  await mosquitto?.stop();
  dir.remove();
  return run;
}

/** Median by nearest rank (bench/quantile.ts's rule for the other benches): the value at rank ceil(n/2). */
function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.ceil(values.length / 2) - 1]!;
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const vm = await startVictoria();
try {
  const t0 = Date.now() - 3600_000;
  // Warm-up: VictoriaMetrics registers new series on first sight, which is slower than steady state.
  say(`warm-up, then ${ROUNDS} rounds of direct (${WRITER.writeConcurrency} writes in flight, ≤ ${WRITER.flushLines} lines each) and through cloud-ingest`);
  await direct(vm, t0 - 1000);
  const modes = (process.env.BENCH_MODES ?? 'embedded,mosquitto').split(',');
  const paths = ['direct', ...modes.filter((m) => m === 'embedded' || m === 'mosquitto')] as const;
  const rate = (r: Run) => Math.round(r.measurements / r.seconds);
  const report = (r: Run, directRate: number) => ({
    measurementsPerS: rate(r),
    ratioToDirect: Number((rate(r) / directRate).toFixed(2)),
    seconds: Number(r.seconds.toFixed(2)),
    // Capacity independent of what else the box runs: measurements per CPU-second of each process.
    measurementsPerNodeCpuS: Math.round(r.measurements / r.nodeCpuS),
    measurementsPerVmCpuS: Math.round(r.measurements / r.vmCpuS),
    ...(r.gatewaysCpuS === undefined ? {} : { gatewaysCpuS: Number(r.gatewaysCpuS.toFixed(2)) }),
  });
  // A run is 1-3 s, and two runs of one path differ by up to a third on a 2-core box: so several rounds,
  // each path once per round in a rotated order, each ratio against its own round's direct run.
  const rounds: Record<string, ReturnType<typeof report>>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = paths.map((_, i) => paths[(i + round) % paths.length]!);
    const runs: Partial<Record<(typeof paths)[number], Run>> = {};
    // Every run writes samples VictoriaMetrics has not seen yet, at its own time offset.
    for (const path of order) {
      say(`round ${round + 1}: ${path}`);
      const at = t0 + 1000 * (round + 1) + paths.indexOf(path) * 100;
      runs[path] = path === 'direct' ? await direct(vm, at) : await throughCloudIngest(vm, at, path);
    }
    const directRate = rate(runs.direct!);
    const row: Record<string, ReturnType<typeof report>> = { direct: report(runs.direct!, directRate) };
    if (runs.embedded) row.embedded = report(runs.embedded, directRate);
    if (runs.mosquitto) row.mosquittoSharedSubscription = report(runs.mosquitto, directRate);
    rounds.push(row);
    say(`round ${round + 1}: ${JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, [v.measurementsPerS, v.ratioToDirect]])))}`);
  }
  const medianOf = (path: string) => {
    const of = (key: 'measurementsPerS' | 'ratioToDirect' | 'measurementsPerNodeCpuS' | 'measurementsPerVmCpuS') => median(rounds.map((r) => r[path]![key]));
    return { measurementsPerS: of('measurementsPerS'), ratioToDirect: of('ratioToDirect'), measurementsPerNodeCpuS: of('measurementsPerNodeCpuS'), measurementsPerVmCpuS: of('measurementsPerVmCpuS') };
  };
  const result: Record<string, unknown> = {
    bench: 'ingest',
    setup: {
      gateways: GATEWAYS, batchesPerGateway: BATCHES_PER_GATEWAY, measurementsPerBatch: LINES_PER_BATCH * FIELDS_PER_LINE, workers: 1, rounds: ROUNDS,
      writeConcurrency: WRITER.writeConcurrency, flushLines: WRITER.flushLines, gatewayMaxInflight: MAX_INFLIGHT, endsAt: 'the last receipt (stored)', gatewaysProcess: 'a child process of their own (their CPU is gatewaysCpuS, not in measurementsPerNodeCpuS)',
      medians: 'nearest rank over the rounds; each ratio is against the direct run of its own round',
      nodeOptions: UNIT.nodeOptions.join(' '),
      cpus: cpus().length, loadAverage1m: Number(loadavg()[0]!.toFixed(1)),
    },
    direct: medianOf('direct'),
  };
  if (modes.includes('embedded')) result.embedded = medianOf('embedded');
  if (modes.includes('mosquitto')) result.mosquittoSharedSubscription = medianOf('mosquittoSharedSubscription');
  result.rounds = rounds;
  result.loadAverage1mAtEnd = Number(loadavg()[0]!.toFixed(1));
  result.target = { perWorker: 100_000, ratio: { embedded: 0.7, mosquittoSharedSubscription: 0.5 } };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
} finally {
  await vm.stop();
}
