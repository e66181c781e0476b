// Modbus TCP against an independent slave (pymodbus 3.0): profile points decoded end to end through the
// real runtime (ModbusDriver → reading → Decoder → measurement/fault), coalesced request counts, alarm-class
// sources first, a fault sentinel turned into a fault event, and a refused block counted as an exception.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Peer } from '../../../helpers/peers.js';
import { float32Words, startPymodbusTcp } from '../../../helpers/pymodbus.js';
import { latest, startGateway, waitFor, type Recorded } from './harness.js';

// SDM120 (FC04 float32, maxGap 16, max 80): registers 0x00–0x1F, 0x46–0x4B and 0x156–0x157 → 3 requests.
const sdm120 = (): number[] => {
  const words: number[] = new Array(0x20).fill(0);
  words.splice(0x00, 2, ...float32Words(230.5));
  words.splice(0x06, 2, ...float32Words(4.25));
  words.splice(0x0c, 2, ...float32Words(979.75));
  words.splice(0x1e, 2, ...float32Words(0.98));
  return words;
};

let slave: Peer;
let gw: Recorded;

beforeAll(async () => {
  slave = await startPymodbusTcp({
    1: { ir: [[0x00, sdm120()], [0x46, [...float32Words(50), ...float32Words(1234.5), ...float32Words(0)]], [0x156, float32Words(1234.5)]] },
    // XY-MD02: FC04 0x0001 temperature i16 ×0.1, 0x0002 humidity ×0.1 (alarm class: temperature).
    2: { ir: [[0x0001, [0xff9c, 456]]] },
    // AIM-R100: SOE 1 value 0xE5E5 is the "transformer short" sentinel, never a reading.
    3: { hr: [[0x0008, [6]], [0x000b, [0x1000, 0, 3, 0xe5e5, 300]], [0x004a, new Array<number>(24).fill(12)]] },
    // DDSU666: only the 0x2000 block exists, so the energy block at 0x4000 is refused (exception 2).
    4: { hr: [[0x2000, [...float32Words(229), ...float32Words(1.5), ...float32Words(0.3), ...float32Words(0), 0, 0, ...float32Words(0.99), 0, 0, ...float32Words(50)]]] },
  });
  gw = await startGateway({
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port: slave.port, timeout: '500ms' }],
    sources: [
      { id: 'meter-1', profile: 'eastron/sdm120', bus: 'tcp1', unit: 1, poll: '300ms' },
      { id: 'thermo-1', profile: 'generic/xy-md02', bus: 'tcp1', unit: 2, poll: '300ms' },
      { id: 'rcm-1', profile: 'acrel/aim-r100', bus: 'tcp1', unit: 3, poll: '300ms' },
      { id: 'meter-2', profile: 'chint/ddsu666', bus: 'tcp1', unit: 4, poll: '300ms' },
    ],
  });
  await waitFor('three readings from every source', () =>
    ['meter-1', 'thermo-1', 'rcm-1', 'meter-2'].every((s) => gw.readings.filter((r) => r.source === s).length >= 3),
  );
});

afterAll(async () => {
  await gw?.stop();
  await slave?.stop();
});

describe('Modbus TCP against pymodbus', () => {
  it('decodes SDM120 float32 points end to end as measurements with tags', () => {
    expect(latest(gw, 'meter-1', 'voltage')?.value).toBe(230.5);
    expect(latest(gw, 'meter-1', 'current')?.value).toBe(4.25);
    expect(latest(gw, 'meter-1', 'active_power')?.value).toBe(979.75);
    expect(latest(gw, 'meter-1', 'power_factor')?.value).toBe(0.98);
    expect(latest(gw, 'meter-1', 'total_energy')?.value).toBe(1234.5);
    expect(latest(gw, 'meter-1', 'voltage')).toMatchObject({ unit: 'V', quality: 'good', tags: { source: 'meter-1', building: '1', compound: 'test-compound' } });
    expect(latest(gw, 'thermo-1', 'temperature')?.value).toBe(-10);
    expect(latest(gw, 'thermo-1', 'humidity')?.value).toBe(45.6);
  });

  it('coalesces: SDM120 costs 3 requests per poll, AIM-R100 3, XY-MD02 1', () => {
    const perPoll = (source: string) => gw.counter('modbus.requests', { source }) / gw.readings.filter((r) => r.source === source).length;
    // Counted requests may include one poll whose reading is still in flight; allow for that.
    expect(perPoll('meter-1')).toBeGreaterThanOrEqual(3);
    expect(perPoll('meter-1')).toBeLessThan(3 + 3 / 3);
    expect(perPoll('rcm-1')).toBeGreaterThanOrEqual(3);
    expect(perPoll('rcm-1')).toBeLessThan(4);
    expect(perPoll('thermo-1')).toBeGreaterThanOrEqual(1);
    expect(perPoll('thermo-1')).toBeLessThan(2);
  });

  it('polls alarm-class sources first when several are due together', () => {
    const first = gw.readings.slice(0, 2).map((r) => r.source);
    expect(first.sort()).toEqual(['rcm-1', 'thermo-1']);
  });

  it('turns the 0xE5E5 sentinel into a fault event and never a measurement', () => {
    const soe = gw.faults.filter((f) => f.source === 'rcm-1' && f.point === 'soe1_value');
    expect(soe.length).toBeGreaterThan(0);
    expect(soe[0]).toMatchObject({ code: 'sensor_short', raw: 0xe5e5, text: { zh: '互感器短路' } });
    expect(gw.measurements.some((m) => m.source === 'rcm-1' && m.point === 'soe1_value')).toBe(false);
    expect(latest(gw, 'rcm-1', 'soe1_threshold')?.value).toBe(300);
    expect(latest(gw, 'rcm-1', 'loop1_current')?.value).toBe(12);
  });

  it('counts a refused block as an exception, names the source, and keeps the other blocks', () => {
    expect(gw.counter('modbus.exception', { source: 'meter-2' })).toBeGreaterThan(0);
    expect(latest(gw, 'meter-2', 'voltage')?.value).toBe(229);
    expect(gw.measurements.some((m) => m.source === 'meter-2' && m.point === 'import_energy')).toBe(false);
    const refused = gw.logs.filter((l) => l.msg === 'device refused a read (logged once per block)' && l.source === 'meter-2');
    // Logged once per refused block (0x4000 and 0x400A), not once per poll.
    expect(refused.map((l) => l.address).sort()).toEqual([0x4000, 0x400a]);
    expect(gw.statuses.filter((s) => s.source === 'meter-2')).toEqual([expect.objectContaining({ online: true })]);
  });

  it('marks every answering source online exactly once', () => {
    for (const source of ['meter-1', 'thermo-1', 'rcm-1']) {
      expect(gw.statuses.filter((s) => s.source === source).map((s) => s.online)).toEqual([true]);
    }
  });
});
