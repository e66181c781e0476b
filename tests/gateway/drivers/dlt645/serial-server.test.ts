// DL/T 645 meters behind a transparent serial server (RS-485 ↔ TCP), as in the demo compound: readings over
// loopback TCP, and a dropped connection (the server restarts) that the driver survives and recovers from.
import { afterEach, describe, expect, it } from 'vitest';
import { ProfileIndex } from '../../../../gateway/devices/profile-index.js';
import { Dlt645MeterSimulator } from '../../../../gateway/sim/dlt645-meter.js';
import { freePort } from '../../../helpers/peers.js';
import { waitFor } from '../../../helpers/wait.js';
import { latest, startGateway } from '../modbus/harness.js';

const THREE = ProfileIndex.load().get('generic/dlt645-three-phase')!;
const METER = '000000000101';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

describe('DL/T 645 over a serial server (TCP)', () => {
  it('reads a three-phase meter, survives the server dropping the connection, and recovers', async () => {
    const port = await freePort();
    let sim = new Dlt645MeterSimulator([{ address: METER, profile: THREE, scenario: () => ({ voltage_b: 231.2, active_power_c: -0.0125 }) }]);
    await sim.listenTcp('127.0.0.1', port);
    cleanups.push(() => sim.stop());
    const gw = await startGateway({
      buses: [{ id: 'stairwell', type: 'dlt645', host: '127.0.0.1', tcpPort: port, timeout: '1s' }],
      sources: [{ id: 'stairwell-meter', profile: THREE.id, bus: 'stairwell', meter: METER, poll: '500ms' }],
    });
    cleanups.push(() => gw.stop());
    await waitFor('phase readings', () => latest(gw, 'stairwell-meter', 'active_power_c'), 30_000);
    expect(latest(gw, 'stairwell-meter', 'voltage_b')).toMatchObject({ value: 231.2, unit: 'V' });
    expect(latest(gw, 'stairwell-meter', 'active_power_c')).toMatchObject({ value: -0.0125, unit: 'kW' });

    await sim.stop(); // the serial server reboots: its socket closes and nobody listens for a while
    await waitFor('the meter offline', () => gw.statuses.some((s) => s.source === 'stairwell-meter' && !s.online), 30_000);
    expect(gw.counter('dlt645.connection', { source: 'stairwell-meter' })).toBeGreaterThanOrEqual(1);

    sim = new Dlt645MeterSimulator([{ address: METER, profile: THREE, scenario: () => ({ voltage_b: 228.8 }) }]);
    await sim.listenTcp('127.0.0.1', port);
    await waitFor('back online', () => gw.statuses.filter((s) => s.source === 'stairwell-meter').at(-1)?.online === true, 60_000);
    await waitFor('fresh readings', () => latest(gw, 'stairwell-meter', 'voltage_b')?.value === 228.8, 30_000);
  }, 120_000);
});
