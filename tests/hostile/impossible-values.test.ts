// Impossible values from devices (issue 13 item 12) become faults at the gateway, never readings: from an
// MQTT device (1e309, which JSON.parse makes Infinity; 3276.8 %RH) and from a Modbus slave (3.4e38 V,
// −3276.8 °C and 3276.8 %RH, the values of an unset or broken register), using the documented ranges of
// issue 14 and, where the reference gives none, the range an installer adds on the source. What still
// got past a gateway is refused at ingest (tests/hostile/line-checks.test.ts: finite, within ±1e15).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PointFault } from '../../gateway/pipeline/types.js';
import { freePort, tempDir, type Peer } from '../helpers/peers.js';
import { float32Words, startPymodbusTcp } from '../helpers/pymodbus.js';
import { connectDevice, startGateway as startMqttGateway, waitFor, writeUsers, type TestGateway } from '../gateway/local-broker/harness.js';
import { startGateway as startModbusGateway, waitFor as waitForModbus, type Recorded } from '../gateway/drivers/modbus/harness.js';

const PROFILES = fileURLToPath(new URL('./profiles/', import.meta.url));

describe('impossible values from an MQTT device', () => {
  const dir = tempDir('hostile-mqtt-values');
  let gateway: TestGateway;
  let device: MqttClient;
  const faults: PointFault[] = [];

  beforeAll(async () => {
    const port = await freePort();
    const users = await writeUsers(dir.path, [{ username: 'th-1', password: 'th-1-password', publish: ['lastmile/dev/%u/#'] }]);
    gateway = await startMqttGateway(
      dir.path,
      `version: 1
gateway: { township: t1, compound: c1, id: gw-1, profilesDir: ${PROFILES} }
sources:
  - id: th-1
    profile: testlab/wifi-th-ranged
    mqtt: { topic: lastmile/dev/th-1/state }
    tags: { building: "5" }
spool: { dir: ${join(dir.path, 'spool')} }
localBroker:
  host: 127.0.0.1
  port: ${port}
  users:
${users}
`,
    );
    gateway.runtime.context.events.on('fault', (f) => faults.push(f));
    device = await connectDevice(port, 'th-1', 'th-1-password');
  });
  afterAll(async () => {
    await device?.endAsync(true);
    await gateway?.stop();
    dir.remove();
  });

  it('turns 3276.8 %RH into an out_of_range fault and 1e309 (Infinity) into a decode error; neither is a reading', async () => {
    const stats = gateway.runtime.context.stats;
    await device.publishAsync('lastmile/dev/th-1/state', '{"sensor":{"temperature":1e309,"humidity":3276.8}}', { qos: 1 });
    await device.publishAsync('lastmile/dev/th-1/state', '{"sensor":{"temperature":-3276.8,"humidity":45}}', { qos: 1 });
    await waitFor('the faults', () => faults.length >= 2 && stats.counter('decode.error', { source: 'th-1' }) >= 1, 10_000);
    expect(faults.map((f) => [f.point, f.code])).toEqual([
      ['humidity', 'out_of_range'],
      ['temperature', 'out_of_range'],
    ]);
    await waitFor('the good humidity', () => gateway.measurements.some((m) => m.point === 'humidity' && m.value === 45));
    const values = gateway.measurements.filter((m) => m.source === 'th-1').map((m) => m.value);
    expect(values).toEqual([45]);
  });
});

describe('impossible values from a Modbus slave', () => {
  let slave: Peer;
  let gw: Recorded;

  beforeAll(async () => {
    const sdm120 = new Array<number>(0x20).fill(0);
    sdm120.splice(0x00, 2, ...float32Words(3.4e38));
    sdm120.splice(0x1e, 2, ...float32Words(0.98));
    slave = await startPymodbusTcp({
      1: { ir: [[0x00, sdm120]] },
      // XY-MD02: temperature 0x8000 (i16 −32768 × 0.1 = −3276.8 °C), humidity 0x8000 (u16 32768 × 0.1 = 3276.8 %RH).
      2: { ir: [[0x0001, [0x8000, 0x8000]]] },
    });
    gw = await startModbusGateway({
      buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port: slave.port, timeout: '500ms' }],
      sources: [
        // The reference gives the SDM120 no measuring range: the installer adds the one on its nameplate.
        { id: 'meter-1', profile: 'eastron/sdm120', bus: 'tcp1', unit: 1, poll: '300ms', decode: { points: { voltage: { range: { min: 0, max: 300 } } } } },
        { id: 'thermo-1', profile: 'generic/xy-md02', bus: 'tcp1', unit: 2, poll: '300ms', decode: { points: { temperature: { range: { min: -40, max: 80 } } } } },
      ],
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await slave?.stop();
  });

  it('turns 3.4e38 V, −3276.8 °C and 3276.8 %RH into out_of_range faults; none is a reading', async () => {
    await waitForModbus('the three faults', () => ['meter-1/voltage', 'thermo-1/temperature', 'thermo-1/humidity'].every((k) => gw.faults.some((f) => `${f.source}/${f.point}` === k)), 20_000);
    for (const f of gw.faults.filter((x) => x.point !== 'power_factor')) expect(f.code).toBe('out_of_range');
    const impossible = gw.measurements.filter((m) => (m.point === 'voltage' || m.point === 'temperature' || m.point === 'humidity') && (m.source === 'meter-1' || m.source === 'thermo-1'));
    expect(impossible).toEqual([]);
    expect(gw.measurements.some((m) => m.source === 'meter-1' && m.point === 'power_factor' && m.value === 0.98)).toBe(true);
  }, 60_000);
});
