// bench:peer: lastmile and Node-RED (4.1 + node-red-contrib-modbus 5.23.3) side by side on the demo
// compound's Modbus slaves, in one run, alternating, several rounds. JSON on stdout only; progress on stderr.
// Run: npm run bench:peer [-- --quick]     (docs/benchmarks.md says what every number means)
// lastmile runs as installed users run it: `node bin/lastmile.js run <site.yaml>`, the compiled gateway in
// dist/ (the npm script builds first), not the sources through tsx, with the node options of
// deploy/lastmile.service's ExecStart and the environment of its Environment= lines.
// Quantiles are nearest rank (bench/quantile.ts), with the sample count beside them. The Modbus requests
// the simulator answered per delivered cycle are printed per round as a diagnostic, not in the medians or
// the ratio: both sides run the same 19-request plan, so it is not an efficiency figure.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { connectAsync } from 'mqtt';
import { ModbusSimulator } from '../../gateway/sim/modbus-simulator.js';
import { freePort, startMosquitto, tempDir } from '../../tests/helpers/peers.js';
import { buildFlow, ensureNodeRed, startNodeRed } from './node-red.js';
import { nearestRank } from '../quantile.js';
import { readServiceUnit, serviceEnvironment } from '../service-unit.js';
import { ProcessMeter } from './proc.js';
import { SinkCounter } from './sink.js';
import { ALARM, demoWorkload } from './site.js';

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 1 : 3;
const WINDOW_S = QUICK ? 10 : 25;
const WARMUP_S = 3;
const ALARM_SAMPLES = QUICK ? 10 : 30;
/**
 * The poll interval given to every source on both sides: below what one bus connection can serve, so each
 * side is asked for more than it can read. 10 ms by default, the interval at which Node-RED does best (at
 * 2 ms its CPU per measurement and its RSS grow, docs/benchmarks.md "The poll interval"). At 10 ms lastmile
 * is held by its own schedule (84 measurements per cycle, so at most 8,400/s), which understates its
 * throughput; `--poll-ms=2` shows what it reads when it is not held.
 */
const POLL_MS = pollMs(process.argv.find((a) => a.startsWith('--poll-ms='))?.slice('--poll-ms='.length) ?? '10');

function pollMs(text: string): number {
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 1) throw new Error(`bench:peer: --poll-ms must be a whole number of milliseconds >= 1, got ${text}`);
  return ms;
}
const NODE_RED_ALARM_TOPIC = 'bench/node-red/alarm';
const NODE_RED_TELEMETRY_TOPIC = 'bench/node-red/t';
const say = (text: string) => process.stderr.write(`bench:peer: ${text}\n`);
const LASTMILE_BIN = fileURLToPath(new URL('../../bin/lastmile.js', import.meta.url));
const LASTMILE_DIST = fileURLToPath(new URL('../../dist/gateway/cli.js', import.meta.url));

/** deploy/lastmile.service: its ExecStart node options and Environment= lines, so the bench runs what a box runs. */
const SERVICE_UNIT = readServiceUnit('lastmile.service', 'bin/lastmile.js');
const NODE_OPTIONS = SERVICE_UNIT.nodeOptions;

type Side = 'lastmile' | 'node_red';

/** The headline figures of one round (medians and ratios are taken over these). */
interface SideRun {
  readonly measurements_per_s: number;
  readonly alarm_p50_ms: number;
  readonly alarm_p99_ms: number;
  readonly rss_mb: number;
  readonly cpu_s_per_100k: number;
  readonly startup_s: number;
}

/** What a round also records, beside the headline: sample counts and a derived diagnostic. */
interface RoundDetail {
  readonly alarm_samples: number;
  readonly rss_samples: number;
  /** Requests the simulator answered in the window ÷ (measurements delivered ÷ measurements per cycle). */
  readonly modbus_requests_per_delivered_cycle: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (values: number[]) => nearestRank(values, 0.5);
const round3 = (n: number) => Number(n.toFixed(3));

async function main(): Promise<void> {
  if (!existsSync(LASTMILE_DIST)) throw new Error('dist/ is missing: run `npm run build` (npm run bench:peer does)');
  const red = ensureNodeRed(say);
  const modbusPort = await freePort();
  const workload = demoWorkload(modbusPort);
  const sim = new ModbusSimulator(workload.devices, { host: '127.0.0.1', port: modbusPort });
  await sim.start();
  const mosquitto = await startMosquitto();
  const sink = new SinkCounter(await connectAsync(`mqtt://127.0.0.1:${mosquitto.port}`, { clientId: 'bench-peer-sink' }), NODE_RED_TELEMETRY_TOPIC, NODE_RED_ALARM_TOPIC);
  await sink.subscribe();
  const dir = tempDir('bench-peer');
  const runs: Record<Side, SideRun[]> = { lastmile: [], node_red: [] };
  const details: Record<Side, RoundDetail[]> = { lastmile: [], node_red: [] };

  const start = async (side: Side, round: number) => {
    if (side === 'lastmile') {
      const runDir = join(dir.path, `lastmile-${round}`);
      const config = workload.writeLastmileConfig(runDir, { modbus: modbusPort, mqtt: mosquitto.port }, POLL_MS);
      const child = spawn(process.execPath, [...NODE_OPTIONS, LASTMILE_BIN, 'run', config], { stdio: ['ignore', 'ignore', 'pipe'], env: serviceEnvironment(SERVICE_UNIT, { LASTMILE_CONFIG: config }) });
      child.stderr.on('data', (chunk: Buffer) => process.stderr.write(`[lastmile] ${chunk.toString()}`));
      return child;
    }
    const flow = buildFlow({ sources: workload.sources, modbusPort, mqttPort: mosquitto.port, pollMs: POLL_MS, alarm: ALARM, alarmTopic: NODE_RED_ALARM_TOPIC, telemetryTopic: NODE_RED_TELEMETRY_TOPIC });
    return startNodeRed(red, join(dir.path, `node-red-${round}`), await freePort(), flow).child;
  };

  const measure = async (side: Side, round: number): Promise<{ run: SideRun; detail: RoundDetail }> => {
    const t0 = performance.now();
    const child = await start(side, round);
    const meter = new ProcessMeter(child.pid!);
    await sink.waitForTelemetry(side, 60_000);
    const startup = (performance.now() - t0) / 1000;
    await sleep(WARMUP_S * 1000);
    const before = { lines: sink.lines[side], requests: sim.requests, cpu: meter.cpuSeconds(), at: performance.now() };
    const rss: number[] = [];
    for (let s = 0; s < WINDOW_S; s++) {
      await sleep(1000);
      rss.push(meter.rssMb());
    }
    const after = { lines: sink.lines[side], requests: sim.requests, cpu: meter.cpuSeconds(), at: performance.now() };
    const measurements = after.lines - before.lines;
    const cycles = measurements / workload.measurementsPerCycle;

    const latencies: number[] = [];
    for (let i = 0; i < ALARM_SAMPLES; i++) {
      await sleep(Math.random() * 50); // a random phase of the poll cycle
      const raisedAt = performance.now();
      const raised = sink.nextAlarm(side, 'raised', 10_000);
      sim.set(ALARM.unit, ALARM.point, 35);
      latencies.push((await raised) - raisedAt);
      const cleared = sink.nextAlarm(side, 'cleared', 10_000);
      sim.set(ALARM.unit, ALARM.point, undefined);
      await cleared;
    }
    const stopped = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
    child.kill('SIGTERM');
    await stopped;
    const run: SideRun = {
      measurements_per_s: Math.round(measurements / ((after.at - before.at) / 1000)),
      alarm_p50_ms: round3(nearestRank(latencies, 0.5)),
      alarm_p99_ms: round3(nearestRank(latencies, 0.99)),
      rss_mb: round3(median(rss)),
      cpu_s_per_100k: round3(((after.cpu - before.cpu) / measurements) * 100_000),
      startup_s: round3(startup),
    };
    const detail: RoundDetail = { alarm_samples: latencies.length, rss_samples: rss.length, modbus_requests_per_delivered_cycle: round3((after.requests - before.requests) / cycles) };
    say(`round ${round + 1} ${side}: ${JSON.stringify({ ...run, ...detail })}`);
    return { run, detail };
  };

  for (let round = 0; round < ROUNDS; round++) {
    const order: Side[] = round % 2 === 0 ? ['lastmile', 'node_red'] : ['node_red', 'lastmile'];
    for (const side of order) {
      const { run, detail } = await measure(side, round);
      runs[side].push(run);
      details[side].push(detail);
    }
  }

  const medians = (side: Side) => Object.fromEntries(Object.keys(runs[side][0]!).map((k) => [k, median(runs[side].map((r) => r[k as keyof SideRun]))])) as Record<keyof SideRun, number>;
  const lastmile = medians('lastmile');
  const nodeRed = medians('node_red');
  const ratio = Object.fromEntries(Object.keys(lastmile).map((k) => [k, round3(lastmile[k as keyof SideRun] / nodeRed[k as keyof SideRun])]));
  const result = {
    bench: 'peer',
    mode: QUICK ? 'quick' : 'full',
    workload: {
      config: 'config/examples/demo-compound.yaml (Modbus sources only)',
      sources: workload.sources.map((s) => ({ id: s.id, unit: s.unit, requests: s.requests.map((r) => `fc${r.function}@${r.address}x${r.count}`) })),
      measurements_per_cycle: workload.measurementsPerCycle,
      planned_requests_per_cycle: workload.requestsPerCycle,
      poll_ms: POLL_MS,
      lastmile_command: `node ${[...NODE_OPTIONS, 'bin/lastmile.js', 'run', '<site.yaml>'].join(' ')}`,
      lastmile_environment: `deploy/lastmile.service Environment=: ${[...SERVICE_UNIT.environment.keys()].join(', ')}`,
      alarm: `${ALARM.source}.${ALARM.point} >= ${ALARM.above} (hysteresis ${ALARM.hysteresis}), no on-delay, no latch`,
      rounds: ROUNDS,
      window_s: WINDOW_S,
      alarm_samples: ALARM_SAMPLES,
      quantiles: `nearest rank (ceil q·n) over ${ALARM_SAMPLES} alarm samples per round; medians over ${ROUNDS} round(s)`,
    },
    medians: { lastmile, node_red: nodeRed },
    ratio_lastmile_over_node_red: ratio,
    rounds: runs,
    round_details: details,
    // The box is shared: the 1-minute load average at the end says how much else ran beside the bench.
    machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model, ram_gb: round3(totalmem() / 2 ** 30), node: process.version, load_average_1m_at_end: round3(loadavg()[0]!) },
  };
  await sink.close();
  await mosquitto.stop();
  await sim.stop();
  dir.remove();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:peer failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
