// Modbus TCP against modbus-serial's ServerTCP as a second, independent peer implementation, serving
// several unit ids: an energy meter (FC04 float32), a smoke detector (FC02 discrete inputs) and a level
// transmitter (FC03, value scaled by a decimals register read in the same request). A counting TCP relay
// between the gateway and the server checks that the bus never has more than one transaction in flight.
import { connect, createServer, type Server, type Socket } from 'node:net';
import modbusSerial from 'modbus-serial';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../helpers/peers.js';
import { float32Words } from '../../../helpers/pymodbus.js';
import { latest, startGateway, waitFor, type Recorded } from './harness.js';

const inputRegisters = new Map<number, number>([
  ...float32Words(229.5).map((w, i) => [0x00 + i, w] as [number, number]),
  ...float32Words(50).map((w, i) => [0x46 + i, w] as [number, number]),
]);
const holdingRegisters = new Map<number, number>([
  [0x0002, 17], // cm
  [0x0003, 1], // one decimal
  [0x0004, 123], // 12.3 cm
]);
const discreteInputs = [true, false, true, false]; // mounted, no service alarm, SMOKE, relay released
const asked: { unit: number; fn: number }[] = [];

let server: InstanceType<typeof modbusSerial.ServerTCP>;
let relay: Server;
let gw: Recorded;
const inFlight = { now: 0, max: 0, requests: 0 };

/** Calls `onFrame` once per complete MBAP frame (7-byte header, length at bytes 4–5) in a TCP stream. */
function mbapFrames(onFrame: () => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 6 && pending.length >= 6 + pending.readUInt16BE(4)) {
      pending = pending.subarray(6 + pending.readUInt16BE(4));
      onFrame();
    }
  };
}

/** Forwards to the server, delaying answers by a few ms so overlapping transactions would show. */
async function startRelay(upstreamPort: number): Promise<number> {
  const sockets = new Set<Socket>();
  relay = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: upstreamPort });
    sockets.add(client).add(upstream);
    const countRequest = mbapFrames(() => {
      inFlight.requests++;
      inFlight.now++;
      inFlight.max = Math.max(inFlight.max, inFlight.now);
    });
    const countAnswer = mbapFrames(() => inFlight.now--);
    client.on('data', (chunk: Buffer) => {
      countRequest(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      setTimeout(() => {
        countAnswer(chunk);
        if (!client.destroyed) client.write(chunk);
      }, 3);
    });
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      a.on('close', () => b.destroy());
      a.on('error', () => b.destroy());
    }
  });
  relay.on('close', () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const address = relay.address();
  return typeof address === 'object' && address ? address.port : 0;
}

beforeAll(async () => {
  const port = await freePort();
  server = new modbusSerial.ServerTCP(
    {
      getInputRegister: (addr: number, unit: number) => {
        asked.push({ unit, fn: 4 });
        return unit === 1 ? (inputRegisters.get(addr) ?? 0) : 0;
      },
      getHoldingRegister: (addr: number, unit: number) => {
        asked.push({ unit, fn: 3 });
        return unit === 3 ? (holdingRegisters.get(addr) ?? 0) : 0;
      },
      getDiscreteInput: (addr: number, unit: number) => {
        asked.push({ unit, fn: 2 });
        return unit === 2 ? (discreteInputs[addr] ?? false) : false;
      },
    },
    { host: '127.0.0.1', port, unitID: 255 }, // 255: answer for every unit id
  );
  await new Promise<void>((resolve, reject) => {
    server.on('initialized', () => resolve());
    server.on('serverError', reject);
  });
  const relayPort = await startRelay(port);
  gw = await startGateway({
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port: relayPort, timeout: '500ms' }],
    sources: [
      { id: 'meter-1', profile: 'eastron/sdm120', bus: 'tcp1', unit: 1, poll: '200ms' },
      { id: 'smoke-1', profile: 'calectro/uniguard-ug3-mb', bus: 'tcp1', unit: 2, poll: '200ms' },
      { id: 'level-1', profile: 'generic/qdy30a', bus: 'tcp1', unit: 3, poll: '800ms' },
    ],
  });
  await waitFor('two readings from every source', () => ['meter-1', 'smoke-1', 'level-1'].every((s) => gw.readings.filter((r) => r.source === s).length >= 2));
});

afterAll(async () => {
  await gw?.stop();
  await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe("Modbus TCP against modbus-serial's ServerTCP", () => {
  it('reads every unit id with its own function code and decodes the profiles', () => {
    expect(latest(gw, 'meter-1', 'voltage')?.value).toBe(229.5);
    expect(latest(gw, 'meter-1', 'frequency')?.value).toBe(50);
    expect(latest(gw, 'smoke-1', 'smoke_alarm')?.value).toBe('smoke');
    expect(latest(gw, 'smoke-1', 'detector_mounted')?.value).toBe('mounted');
    expect(latest(gw, 'smoke-1', 'relay')?.value).toBe('released');
    expect(latest(gw, 'level-1', 'level')).toMatchObject({ value: 12.3, unit: 'cm' });
    // Internal points (unit code, decimals) are read but never sent as measurements.
    expect(gw.measurements.some((m) => m.point === 'decimals' || m.point === 'unit_code')).toBe(false);
    expect(new Set(asked.map((a) => `${a.unit}:${a.fn}`))).toEqual(new Set(['1:4', '2:2', '3:3']));
  });

  it('coalesces: one request per poll for the four smoke inputs and for the level block', () => {
    for (const source of ['smoke-1', 'level-1']) {
      const polls = gw.readings.filter((r) => r.source === source).length;
      const requests = gw.counter('modbus.requests', { source });
      expect(requests - polls).toBeGreaterThanOrEqual(0);
      expect(requests - polls).toBeLessThanOrEqual(1);
    }
  });

  it('keeps one transaction at a time on the bus', async () => {
    // On a loaded CI box the first polls come slowly: wait for enough traffic to mean something.
    await waitFor('more than 10 requests through the relay', () => inFlight.requests > 10);
    expect(inFlight.max).toBe(1);
  });

  it('polls each source at its own interval', async () => {
    await waitFor('a few more level readings', () => gw.readings.filter((r) => r.source === 'level-1').length >= 6);
    const count = (source: string) => gw.readings.filter((r) => r.source === source).length;
    // smoke-1 polls every 200 ms, level-1 every 800 ms.
    expect(count('smoke-1')).toBeGreaterThan(2 * count('level-1'));
  });
});
