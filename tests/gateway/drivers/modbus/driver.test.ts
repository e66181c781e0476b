// The Modbus driver runs one poller per bus: sources on two buses are each read on their own connection,
// a socket reset on one bus is counted as that bus's port error (and the next read reconnects), and stop()
// ends the polling of every bus. Two scripted Modbus TCP slaves (tests/helpers/modbus-tcp-slave.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { registers, scriptedSlave, type ScriptedSlave } from '../../../helpers/modbus-tcp-slave.js';
import { startGateway, waitFor, type Recorded } from './harness.js';

/** Answers every read with register i = address + i, on any unit id. */
const slave = () => scriptedSlave((request) => [registers(request)]);

describe('ModbusDriver', () => {
  let gw: Recorded | undefined;
  const slaves: ScriptedSlave[] = [];
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
    await Promise.all(slaves.splice(0).map((s) => s.close()));
  });

  it('polls each bus on its own connection, counts a reset as that bus\'s port error, and stops every bus', async () => {
    const [a, b] = await Promise.all([slave(), slave()]);
    slaves.push(a!, b!);
    gw = await startGateway({
      buses: [
        { id: 'b1', type: 'tcp', host: '127.0.0.1', port: a!.port, timeout: '300ms' },
        { id: 'b2', type: 'tcp', host: '127.0.0.1', port: b!.port, timeout: '300ms' },
      ],
      sources: [
        { id: 'm1', profile: 'eastron/sdm120', bus: 'b1', unit: 1, poll: '100ms' },
        { id: 'm2', profile: 'eastron/sdm120', bus: 'b1', unit: 2, poll: '100ms' },
        { id: 'm3', profile: 'eastron/sdm120', bus: 'b2', unit: 1, poll: '100ms' },
      ],
    });
    const readingsOf = (source: string) => gw!.readings.filter((r) => r.source === source).length;
    await waitFor('readings from every source on both buses', () => ['m1', 'm2', 'm3'].every((s) => readingsOf(s) >= 2) || undefined);
    expect(a!.connections()).toBe(1);
    expect(b!.connections()).toBe(1);

    b!.resetAll();
    await waitFor('the reset counted on bus b2', () => gw!.counter('modbus.port_error', { bus: 'b2' }) >= 1 || undefined);
    expect(gw!.counter('modbus.port_error', { bus: 'b1' })).toBe(0);
    const m3Before = readingsOf('m3');
    await waitFor('bus b2 read again on a new connection', () => (b!.connections() === 2 && readingsOf('m3') > m3Before) || undefined);

    await gw.stop();
    gw = undefined;
    const stopped = [a!.requests.length, b!.requests.length];
    // Nothing is read after stop: ten poll periods later both slaves have had no request.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect([a!.requests.length, b!.requests.length]).toEqual(stopped);
  });
});
