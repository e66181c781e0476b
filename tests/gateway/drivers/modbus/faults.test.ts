// Fault cases against a real pymodbus slave over TCP: a dead unit id on the same bus costs at most one
// timeout per cycle and never stalls the healthy alarm-class source; the slave killed mid-run takes its
// sources offline ('source.status'), and after a restart on the same port they come back and readings resume.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BACKOFF_MS, OFFLINE_AFTER_FAILURES, retryDelay } from '../../../../gateway/drivers/modbus/bus-poller.js';
import type { Peer } from '../../../helpers/peers.js';
import { startPymodbusTcp, type SlaveUnits } from '../../../helpers/pymodbus.js';
import { startGateway, waitFor, type Recorded } from './harness.js';

const UNITS: SlaveUnits = {
  1: { ir: [[0x0001, [215, 503]]] }, // XY-MD02 thermometer, alarm class
  // unit 9 (an SDM120, 3 requests per poll) is not served at all: pymodbus stays silent, like a dead slave.
};

let slave: Peer;
let gw: Recorded;

beforeAll(async () => {
  slave = await startPymodbusTcp(UNITS);
  gw = await startGateway({
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port: slave.port, timeout: '250ms' }],
    sources: [
      { id: 'thermo-1', profile: 'generic/xy-md02', bus: 'tcp1', unit: 1, poll: '100ms' },
      { id: 'dead-meter', profile: 'eastron/sdm120', bus: 'tcp1', unit: 9, poll: '100ms' },
    ],
  });
});

afterAll(async () => {
  await gw?.stop();
  await slave?.stop();
});

const readingsOf = (source: string) => gw.readings.filter((r) => r.source === source).length;

describe('Modbus faults against pymodbus', () => {
  it('backs off a failing source: poll interval, then doubling up to the cap', () => {
    expect(retryDelay(100, 1)).toBe(100);
    expect(retryDelay(100, OFFLINE_AFTER_FAILURES)).toBe(200);
    expect(retryDelay(100, OFFLINE_AFTER_FAILURES + 1)).toBe(400);
    expect(retryDelay(100, 40)).toBe(MAX_BACKOFF_MS);
  });

  it('a dead unit id goes offline after 3 timeouts, one per cycle, while the healthy source keeps being read', async () => {
    await waitFor('dead-meter offline', () => gw.statuses.some((s) => s.source === 'dead-meter' && !s.online), 5000);
    const offline = gw.statuses.find((s) => s.source === 'dead-meter')!;
    expect(offline).toMatchObject({ online: false, lastError: { kind: 'timeout' } });
    const start = readingsOf('thermo-1');
    await new Promise((r) => setTimeout(r, 1500));
    // The thermometer polls every 100 ms; a stalled bus would show a handful at most.
    expect(readingsOf('thermo-1') - start).toBeGreaterThanOrEqual(5);
    // No retries of a timeout within a cycle: every request to the dead unit is one failed cycle, although
    // its plan has 3 requests. (One request may still be waiting for its timeout.)
    const timeouts = gw.counter('modbus.timeout', { source: 'dead-meter' });
    const requests = gw.counter('modbus.requests', { source: 'dead-meter' });
    expect(timeouts).toBeGreaterThanOrEqual(OFFLINE_AFTER_FAILURES);
    expect(requests - timeouts).toBeGreaterThanOrEqual(0);
    expect(requests - timeouts).toBeLessThanOrEqual(1);
    expect(readingsOf('dead-meter')).toBe(0);
    expect(gw.statuses.filter((s) => s.source === 'dead-meter')).toHaveLength(1);
    expect(gw.logs.some((l) => l.msg === 'source offline' && l.source === 'dead-meter' && l.kind === 'timeout')).toBe(true);
  });

  it('the slave killed mid-run takes the source offline; after a restart it comes back and readings resume', async () => {
    const port = slave.port;
    await slave.kill();
    await waitFor('thermo-1 offline', () => gw.statuses.some((s) => s.source === 'thermo-1' && !s.online), 8000);
    const down = gw.statuses.filter((s) => s.source === 'thermo-1').at(-1)!;
    expect(down.lastError?.kind).toMatch(/connection|timeout/);
    const before = readingsOf('thermo-1');
    slave = await startPymodbusTcp(UNITS, { port });
    await waitFor('thermo-1 online again', () => gw.statuses.filter((s) => s.source === 'thermo-1').at(-1)?.online === true, 10_000);
    await waitFor('readings resume', () => readingsOf('thermo-1') >= before + 3, 5000);
    expect(gw.statuses.filter((s) => s.source === 'thermo-1').map((s) => s.online)).toEqual([true, false, true]);
    expect(gw.counter('modbus.connection', { source: 'thermo-1' })).toBeGreaterThan(0);
  });

  it('an RS-485 port that cannot be opened is a connection fault naming the port, not a crash', async () => {
    const missing = await startGateway({
      buses: [{ id: 'rs485-x', type: 'rtu', port: '/nonexistent/ttyUSB9', baud: 9600, parity: 'none', stopBits: 1, timeout: '200ms' }],
      sources: [{ id: 'thermo-x', profile: 'generic/xy-md02', bus: 'rs485-x', unit: 1, poll: '50ms' }],
    });
    try {
      await waitFor('thermo-x offline', () => missing.statuses.some((s) => !s.online), 5000);
      expect(missing.statuses[0]!.lastError).toMatchObject({ kind: 'connection', message: expect.stringContaining('/nonexistent/ttyUSB9') });
      expect(missing.counter('modbus.connection', { source: 'thermo-x' })).toBeGreaterThanOrEqual(OFFLINE_AFTER_FAILURES);
    } finally {
      await missing.stop();
    }
  });
});
