// Modbus RTU through a real socat pty pair against pymodbus: profile points decoded end to end, then
// garbage and short frames written into the line from the test side become counted faults naming the
// source, never a crash and never a made-up value, and readings resume once the line is clean.
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32Words, startPtyPair, startPymodbusRtu, type PtyPair } from '../../../helpers/pymodbus.js';
import type { Peer } from '../../../helpers/peers.js';
import { latest, startGateway, waitFor, type Recorded } from './harness.js';

let pty: PtyPair;
let slave: Omit<Peer, 'port'>;
let gw: Recorded;

beforeAll(async () => {
  pty = await startPtyPair();
  slave = await startPymodbusRtu(pty.deviceSide, {
    1: { ir: [[0x0001, [215, 503]]] }, // XY-MD02: 21.5 °C, 50.3 %RH
    2: { ir: [[0x00, [...float32Words(231), ...new Array<number>(4).fill(0), ...float32Words(2.5), ...new Array<number>(24).fill(0)]], [0x46, new Array<number>(6).fill(0)], [0x156, float32Words(77)]] },
  });
  gw = await startGateway({
    buses: [{ id: 'rs485-1', type: 'rtu', port: pty.gatewaySide, baud: 9600, parity: 'none', stopBits: 1, timeout: '300ms' }],
    sources: [
      { id: 'thermo-1', profile: 'generic/xy-md02', bus: 'rs485-1', unit: 1, poll: '100ms' },
      { id: 'meter-1', profile: 'eastron/sdm120', bus: 'rs485-1', unit: 2, poll: '200ms' },
    ],
  });
});

afterAll(async () => {
  await gw?.stop();
  await slave?.stop();
  await pty?.stop();
});

/**
 * Writes `frame` into the device side of the line every `everyMs`, for at least `minMs` and then until `done()`
 * holds (at most `maxMs`): it arrives at the gateway. Whether a burst lands inside a transaction depends on the
 * box's load, so the test writes until the gateway has seen it instead of for a fixed time.
 */
async function junk(frame: number[], everyMs: number, minMs: number, done: () => boolean = () => true, maxMs = 15_000): Promise<void> {
  const fd = openSync(pty.deviceSide, constants.O_WRONLY | constants.O_NOCTTY);
  try {
    const start = Date.now();
    while (Date.now() - start < minMs || (!done() && Date.now() - start < maxMs)) {
      writeSync(fd, Buffer.from(frame));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  } finally {
    closeSync(fd);
  }
}

const SOURCES = ['thermo-1', 'meter-1'];

/** Framing faults counted against either source: junk is the fault of whichever transaction it garbled. */
function framingFaults(): number {
  return SOURCES.reduce((n, source) => n + ['crc', 'short_frame'].reduce((m, kind) => m + gw.counter(`modbus.${kind}`, { source }), 0), 0);
}

describe('Modbus RTU over a pty pair against pymodbus', () => {
  it('decodes both sources end to end', async () => {
    await waitFor('readings from both RTU sources', () => latest(gw, 'thermo-1', 'humidity') !== undefined && latest(gw, 'meter-1', 'current') !== undefined);
    expect(latest(gw, 'thermo-1', 'temperature')?.value).toBe(21.5);
    expect(latest(gw, 'thermo-1', 'humidity')?.value).toBe(50.3);
    expect(latest(gw, 'meter-1', 'voltage')?.value).toBe(231);
    expect(latest(gw, 'meter-1', 'current')?.value).toBe(2.5);
    expect(latest(gw, 'meter-1', 'total_energy')?.value).toBe(77);
    expect(gw.statuses.map((s) => [s.source, s.online]).sort()).toEqual([['meter-1', true], ['thermo-1', true]]);
  });

  it('counts garbage and short frames as faults of the source, makes up no value, and recovers', async () => {
    const before = gw.measurements.length;
    // Looks like the start of an answer from unit 1 (FC04, 4 bytes) but carries a bad CRC; sent faster than
    // the poll so some of it lands while the gateway waits for a real answer.
    const faultsBefore = framingFaults();
    await junk([0x01, 0x04, 0x04, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00], 7, 1500, () => framingFaults() > faultsBefore);
    // A truncated answer (header only): whatever follows it on the line no longer passes the CRC check.
    await junk([0x01, 0x04, 0x04, 0x00], 50, 400);
    expect(framingFaults()).toBeGreaterThan(faultsBefore);
    expect(gw.counter('modbus.discarded_bytes', { bus: 'rs485-1' })).toBeGreaterThan(0);
    // Each counted fault is logged with the source whose answer it garbled.
    const named = gw.logs.filter((l) => l.msg === 'bad answer on the bus' && SOURCES.includes(l.source as string));
    expect(named.length).toBeGreaterThan(0);
    for (const l of named) expect(gw.counter(`modbus.${l.kind as string}`, { source: l.source as string })).toBeGreaterThan(0);
    // Every temperature that got through is the real one: junk never became a reading.
    for (const m of gw.measurements.slice(before)) {
      if (m.point === 'temperature') expect(m.value).toBe(21.5);
      if (m.point === 'humidity') expect(m.value).toBe(50.3);
    }
    const afterJunk = gw.measurements.length;
    await waitFor('readings resume on a clean line', () => gw.measurements.slice(afterJunk).some((m) => m.source === 'thermo-1') && gw.measurements.slice(afterJunk).some((m) => m.source === 'meter-1'));
    expect(latest(gw, 'meter-1', 'voltage')?.value).toBe(231);
  });

  it('the slave killed mid-run takes both sources offline; restarted on the same line, they come back', async () => {
    await slave.kill();
    await waitFor('both RTU sources offline', () => ['thermo-1', 'meter-1'].every((id) => gw.statuses.filter((s) => s.source === id).at(-1)?.online === false), 8000);
    expect(gw.statuses.find((s) => s.source === 'thermo-1' && !s.online)?.lastError?.kind).toBe('timeout');
    const before = gw.readings.length;
    slave = await startPymodbusRtu(pty.deviceSide, { 1: { ir: [[0x0001, [220, 480]]] }, 2: { ir: [[0x00, new Array<number>(32).fill(0)], [0x46, new Array<number>(6).fill(0)], [0x156, float32Words(78)]] } });
    await waitFor('both RTU sources online again', () => ['thermo-1', 'meter-1'].every((id) => gw.statuses.filter((s) => s.source === id).at(-1)?.online === true), 10_000);
    await waitFor('new values', () => latest(gw, 'thermo-1', 'temperature')?.value === 22 && latest(gw, 'meter-1', 'total_energy')?.value === 78);
    expect(gw.readings.length).toBeGreaterThan(before);
  });
});
