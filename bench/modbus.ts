// bench:modbus — what read coalescing buys for the demo compound's Modbus profiles.
// Starts the simulator's Modbus TCP listener on loopback (every unit id, every address answers), then for each
// Modbus profile under devices/ polls one source N cycles with the coalesced plan and N cycles with one
// request per point, through the driver's own ModbusTransport. Prints JSON only on stdout.
// Cycle-time quantiles are nearest rank (bench/quantile.ts) with the sample count (n = cycles) beside them;
// requestsAnswered counts the requests that returned in the timed cycles, not the plan times the cycles.
// Run: npx tsx bench/modbus.ts [cycles]
import { ProfileIndex } from '../gateway/devices/profile-index.js';
import { resolveProfile, type ResolvedPoint } from '../gateway/devices/resolve.js';
import { planReads, type ReadRequest } from '../gateway/drivers/modbus/plan.js';
import { ModbusTransport } from '../gateway/drivers/modbus/transport.js';
import { ModbusTcpListener } from '../gateway/sim/modbus-tcp-listener.js';
import type { Profile } from '../config/profile.js';
import { quantiles } from './quantile.js';

const CYCLES = Number(process.argv[2] ?? process.env.BENCH_CYCLES ?? 100);
const PROTOCOL_LIMITS = { maxRegistersPerRead: 125, maxBitsPerRead: 2000, maxGap: 0 };

interface Subject {
  readonly profile: Profile;
  readonly unit: number;
  readonly points: readonly ResolvedPoint[];
  readonly coalesced: readonly ReadRequest[];
  readonly perPoint: readonly ReadRequest[];
}

/** Cycle times in ms: the mean, and nearest-rank p50/p99/max with the sample count (bench/quantile.ts). */
function stats(samples: number[]) {
  const q = quantiles(samples);
  const mean = Math.round((samples.reduce((a, b) => a + b, 0) / samples.length) * 1000) / 1000;
  return { method: q.method, n: q.n, mean, p50: q.p50, p99: q.p99, max: q.max };
}

/**
 * Time on an RS-485 line at the profile's factory baud (computed, not measured): request 8 bytes, answer
 * 5 + data bytes, a 3.5-character gap after each frame, 11 bits per character as the spec counts them.
 */
function rtuWireMs(requests: readonly ReadRequest[], baud: number): number {
  const charMs = (11 * 1000) / baud;
  let chars = 0;
  for (const r of requests) chars += 8 + 5 + (r.function <= 2 ? Math.ceil(r.count / 8) : 2 * r.count) + 2 * 3.5;
  return Math.round(chars * charMs * 10) / 10;
}

/** Requests answered in the timed cycles, counted as they return (what was produced, not what was planned). */
let answered = 0;

async function read(transport: ModbusTransport, unit: number, request: ReadRequest): Promise<void> {
  await transport.read(unit, request);
  answered++;
}

/** N timed cycles of `requests`: the cycle times and the requests answered in them. */
async function timeCycles(transport: ModbusTransport, unit: number, requests: readonly ReadRequest[]): Promise<{ samples: number[]; requests: number }> {
  const samples: number[] = [];
  const before = answered;
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const started = performance.now();
    for (const request of requests) await read(transport, unit, request);
    samples.push(performance.now() - started);
  }
  return { samples, requests: answered - before };
}

async function main(): Promise<void> {
  // Answers at once (the simulator's listener): modbus-serial's ServerTCP answers from a 1 ms timer, so
  // its cycle times were the timer's, not the transport's (docs/benchmarks.md).
  const server = new ModbusTcpListener({
    registers: (_unit, fn, address, quantity) => Array.from({ length: quantity }, (_, i) => (fn === 4 ? address + i : (address + i) * 7) & 0xffff),
    bits: (_unit, fn, address, quantity) => Array.from({ length: quantity }, (_, i) => (fn === 1 ? (address + i) % 2 === 0 : (address + i) % 3 === 0)),
  });
  const port = await server.listen('127.0.0.1', 0);
  const transport = new ModbusTransport({ id: 'bench', type: 'tcp', host: '127.0.0.1', port, timeout: 2000 });

  const index = ProfileIndex.load();
  const subjects: Subject[] = index
    .ids()
    .map((id) => index.get(id)!)
    .filter((profile) => profile.driver === 'modbus')
    .map((profile, i) => {
      const points = resolveProfile(profile).points;
      return {
        profile,
        unit: i + 1,
        points,
        coalesced: planReads(points, profile.modbus ?? PROTOCOL_LIMITS),
        perPoint: points.map((p) => ({ function: p.function, address: p.address, count: p.width, points: [p.id] })),
      };
    });

  const profiles = [];
  for (const s of subjects) {
    const coalesced = await timeCycles(transport, s.unit, s.coalesced);
    const perPoint = await timeCycles(transport, s.unit, s.perPoint);
    const baud = s.profile.serialDefaults?.baud ?? 9600;
    profiles.push({
      profile: s.profile.id,
      points: s.points.length,
      requestsPerCycle: { coalesced: s.coalesced.length, perPoint: s.perPoint.length },
      registersOrBitsPerCycle: { coalesced: s.coalesced.reduce((n, r) => n + r.count, 0), perPoint: s.perPoint.reduce((n, r) => n + r.count, 0) },
      requestsAnswered: { coalesced: coalesced.requests, perPoint: perPoint.requests },
      tcpLoopbackCycleMs: { coalesced: stats(coalesced.samples), perPoint: stats(perPoint.samples) },
      rtuWireMsPerCycleEstimate: { baud, coalesced: rtuWireMs(s.coalesced, baud), perPoint: rtuWireMs(s.perPoint, baud) },
    });
  }

  // The whole compound on one bus: every profile polled once per cycle.
  const whole = async (pick: (s: Subject) => readonly ReadRequest[]) => {
    const samples: number[] = [];
    const before = answered;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const started = performance.now();
      for (const s of subjects) for (const request of pick(s)) await read(transport, s.unit, request);
      samples.push(performance.now() - started);
    }
    return { requestsAnswered: answered - before, ...stats(samples) };
  };
  const total = {
    sources: subjects.length,
    requestsPerCycle: {
      coalesced: subjects.reduce((n, s) => n + s.coalesced.length, 0),
      perPoint: subjects.reduce((n, s) => n + s.perPoint.length, 0),
    },
    tcpLoopbackCycleMs: { coalesced: await whole((s) => s.coalesced), perPoint: await whole((s) => s.perPoint) },
    rtuWireMsPerCycleEstimate: {
      coalesced: Math.round(subjects.reduce((n, s) => n + rtuWireMs(s.coalesced, s.profile.serialDefaults?.baud ?? 9600), 0) * 10) / 10,
      perPoint: Math.round(subjects.reduce((n, s) => n + rtuWireMs(s.perPoint, s.profile.serialDefaults?.baud ?? 9600), 0) * 10) / 10,
    },
  };

  await transport.close();
  await server.close();
  const result = {
    bench: 'modbus',
    peer: "the simulator's Modbus TCP listener on 127.0.0.1, answering at once (TCP loopback times measure the gateway's per-request cost, not a bus)",
    cycles: CYCLES,
    node: process.version,
    profiles,
    total,
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:modbus failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
