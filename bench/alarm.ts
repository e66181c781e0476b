// bench:alarm: latency from an alarm-worthy event to the siren output, while the gateway carries
// 5,000 measurements/s of other load. Prints JSON on stdout only.
//   push:   an MQTT publish of a "door forced" event (hikvision/acs-mqtt) to the embedded local broker →
//           mqtt driver → decoder → rules → alarm engine → actuators → GPIO write (memory port).
//   polled: a Uniguard smoke detector (Modbus TCP, the demo's simulator, poll 100 ms) going
//           to "smoke" → GPIO write; reported both from the change and from the first poll that saw it
//           (i.e. minus the time spent waiting for the poll).
//   load:   readings for 10 level transmitters emitted on the bus, 50 every 10 ms (a 5,000/s target). The
//           generator does not top itself up after a late tick, so what it produced, and what the pipeline
//           decoded from it, are counted in the measured window (the samples), not from start-up.
// Quantiles: nearest rank (bench/quantile.ts), with the sample count beside them.
// Run: npx tsx bench/alarm.ts [pushSamples=200] [polledSamples=40]
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connectAsync } from 'mqtt';
import { parseSiteConfig } from '../config/load-site.js';
import { resolveProfile } from '../gateway/devices/resolve.js';
import { MemoryGpioPort } from '../gateway/drivers/gpio/memory-port.js';
import type { GpioLevel, GpioPort } from '../gateway/drivers/gpio/port.js';
import { hashPassword } from '../contract/password-hash.js';
import type { RawValue } from '../gateway/pipeline/types.js';
import { GatewayRuntime } from '../gateway/runtime.js';
import { silentLogger } from '../contract/logger.js';
import { ModbusSimulator } from '../gateway/sim/modbus-simulator.js';
import { freePort, tempDir } from '../tests/helpers/peers.js';
import { quantiles } from './quantile.js';

const PUSH_SAMPLES = Number(process.argv[2] ?? 200);
const POLLED_SAMPLES = Number(process.argv[3] ?? 40);
const LOAD_PER_SECOND = 5000;
const LOAD_SOURCES = 10;
const POLL_MS = 100;
const SIREN = 17;

/** The memory port, with the time of every write, so latency ends at the actuator output itself. */
class TimedPort implements GpioPort {
  readonly writes: { line: number; level: GpioLevel; at: number }[] = [];
  constructor(private readonly inner: MemoryGpioPort) {}
  input: GpioPort['input'] = (line, options) => this.inner.input(line, options);
  async output(line: number, options: { initial: GpioLevel }) {
    const output = await this.inner.output(line, options);
    return {
      write: (level: GpioLevel) => {
        this.writes.push({ line, level, at: performance.now() });
        return output.write(level);
      },
      level: () => output.level(),
      close: () => output.close(),
    };
  }
}

/** Latencies in ms: nearest-rank p50/p99/max with n. */
function stats(values: number[]) {
  const q = quantiles(values);
  return { method: q.method, n: q.n, p50_ms: q.p50, p99_ms: q.p99, max_ms: q.max };
}

async function until(what: string, probe: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!probe()) {
    if (performance.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function main(): Promise<void> {
  const dir = tempDir('bench-alarm');
  const modbusPort = await freePort();
  const brokerPort = await freePort();
  const hashFile = join(dir.path, 'acs-1.hash');
  writeFileSync(hashFile, `${await hashPassword('bench-only-password')}\n`, { mode: 0o600 });
  const loadSources = Array.from({ length: LOAD_SOURCES }, (_, i) => `  - { id: level-${i}, profile: generic/qdy30a, bus: riser, unit: ${10 + i}, poll: 10s, tags: { building: "9" } }`).join('\n');
  const yaml = `
version: 1
gateway: { township: tw, compound: bench, id: gw-bench }
buses: [{ id: riser, type: tcp, host: 127.0.0.1, port: ${modbusPort}, timeout: 500ms }]
sources:
  - id: door-1
    profile: hikvision/acs-mqtt
    mqtt: { topic: lastmile/dev/acs-1/events }
    tags: { building: "1" }
    rules: { door_forced: { latch: false } }
  - id: smoke-1
    profile: calectro/uniguard-ug3-mb
    bus: riser
    unit: 1
    poll: ${POLL_MS}ms
    tags: { building: "2" }
    rules: { smoke: { latch: false } }
${loadSources}
localBroker:
  host: 127.0.0.1
  port: ${brokerPort}
  users: [{ username: acs-1, passwordFile: ${hashFile}, publish: ["lastmile/dev/%u/#"] }]
actuators:
  - { id: siren, type: gpio, role: siren, line: ${SIREN} }
spool: { dir: ${join(dir.path, 'spool')} }
`;
  const loaded = parseSiteConfig('bench-alarm.yaml', yaml);
  let smoke = false;
  let firstServedWithSmoke: number | undefined;
  const smokeScenario = () => {
    if (smoke && firstServedWithSmoke === undefined) firstServedWithSmoke = performance.now();
    return { detector_mounted: 'mounted', service_alarm: 'ok', smoke_alarm: smoke ? 'smoke' : 'normal', relay: 'released' };
  };
  const level = resolveProfile(loaded.profiles.get('generic/qdy30a')!);
  const sim = new ModbusSimulator(
    [
      { unit: 1, resolved: resolveProfile(loaded.profiles.get('calectro/uniguard-ug3-mb')!), scenario: smokeScenario },
      ...Array.from({ length: LOAD_SOURCES }, (_, i) => ({ unit: 10 + i, resolved: level, scenario: () => ({ unit_code: 17, decimals: 1, level: 2 }) })),
    ],
    { host: '127.0.0.1', port: modbusPort },
  );
  await sim.start();

  const port = new TimedPort(new MemoryGpioPort());
  const runtime = new GatewayRuntime(loaded, { log: silentLogger(), gpioPort: () => port });
  // Decoded measurements of the load sources (the level transmitters' own 10 s polls add at most 1/s).
  let loadMeasurements = 0;
  runtime.context.events.on('measurement', (m) => {
    if (m.source.startsWith('level-')) loadMeasurements++;
  });
  await runtime.start();
  const sirenOn = () => port.writes.filter((w) => w.line === SIREN).at(-1)?.level === 1;

  // Every 10 ms, 50 readings of the level transmitters (one measurement each): 5,000/s if every tick is
  // on time. A late tick is not made up for, so the produced rate shows what the box really carried.
  const events = runtime.context.events;
  let emitted = 0;
  const load = setInterval(() => {
    for (let i = 0; i < LOAD_PER_SECOND / 100; i++, emitted++) {
      const values = new Map<string, RawValue>([
        ['unit_code', { kind: 'registers', words: [17] }],
        ['decimals', { kind: 'registers', words: [1] }],
        ['level', { kind: 'registers', words: [20 + (emitted % 7)] }],
      ]);
      events.emit('reading', { source: `level-${emitted % LOAD_SOURCES}`, mono: performance.now(), values });
    }
  }, 10);

  const device = await connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { username: 'acs-1', password: 'bench-only-password', clientId: 'acs-1' });
  const publish = (minor: number) => device.publishAsync('lastmile/dev/acs-1/events', JSON.stringify({ major: 5, minor, door: 1 }), { qos: 0 });
  await new Promise((r) => setTimeout(r, 500)); // let the driver subscribe and the load settle
  // The measured window: the samples below, and nothing from start-up.
  const window0 = { at: performance.now(), emitted, decoded: loadMeasurements };

  const say = (text: string) => process.stderr.write(`bench:alarm: ${text}\n`);
  say(`${PUSH_SAMPLES} push samples (MQTT → GPIO) under load`);
  const push: number[] = [];
  for (let i = 0; i < PUSH_SAMPLES; i++) {
    const writesBefore = port.writes.length;
    const t0 = performance.now();
    await publish(27); // door_forced
    await until('siren on (push)', () => port.writes.slice(writesBefore).some((w) => w.level === 1));
    push.push(port.writes.slice(writesBefore).find((w) => w.level === 1)!.at - t0);
    await publish(26); // door_closed clears the (non-latching in this bench) alarm
    await until('siren off (push)', () => !sirenOn());
  }

  say(`${POLLED_SAMPLES} polled samples (Modbus smoke → GPIO), each at a random phase of the ${POLL_MS} ms poll`);
  const fromChange: number[] = [];
  const fromPoll: number[] = [];
  for (let i = 0; i < POLLED_SAMPLES; i++) {
    // Start at a random phase of the poll cycle, so from_change shows the real spread of the poll wait.
    await new Promise((r) => setTimeout(r, Math.random() * POLL_MS));
    const writesBefore = port.writes.length;
    firstServedWithSmoke = undefined;
    const t0 = performance.now();
    smoke = true;
    await until('siren on (polled)', () => port.writes.slice(writesBefore).some((w) => w.level === 1));
    const on = port.writes.slice(writesBefore).find((w) => w.level === 1)!.at;
    fromChange.push(on - t0);
    fromPoll.push(on - firstServedWithSmoke!);
    smoke = false;
    await until('siren off (polled)', () => !sirenOn());
  }
  const seconds = (performance.now() - window0.at) / 1000;
  const produced = emitted - window0.emitted;
  const decoded = loadMeasurements - window0.decoded;
  clearInterval(load);

  const result = {
    bench: 'alarm',
    load: {
      target_measurements_per_s: LOAD_PER_SECOND,
      window_s: Number(seconds.toFixed(1)),
      produced_readings: produced,
      produced_per_s: Math.round(produced / seconds),
      decoded_measurements: decoded,
      decoded_per_s: Math.round(decoded / seconds),
    },
    push_mqtt_to_gpio: { ...stats(push), path: 'mqtt.js publish → embedded aedes → mqtt driver → decoder → rules → alarms → actuators → GPIO write' },
    polled_modbus_to_gpio: {
      poll_interval_ms: POLL_MS,
      from_change: stats(fromChange),
      minus_poll_wait: { ...stats(fromPoll), note: 'from the simulator serving the first read that carried the change to the GPIO write' },
    },
    node: process.version,
    // The box is shared: the 1-minute load average at the end says how much else ran beside the bench.
    load_average_1m_at_end: Number(loadavg()[0]!.toFixed(1)),
  };
  await device.endAsync();
  await runtime.stop();
  await sim.stop();
  dir.remove();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:alarm failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
