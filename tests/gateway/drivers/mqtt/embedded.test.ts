// The MQTT driver end to end on the embedded broker: a device (real mqtt.js client over TCP, with its
// own credentials) publishes JSON → reading → Decoder → measurement; malformed payloads are counted and
// logged with the topic, and the gateway keeps working.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, tempDir } from '../../../helpers/peers.js';
import { connectDevice, startGateway, waitFor, writeUsers, type TestGateway } from '../../local-broker/harness.js';

const PROFILES = fileURLToPath(new URL('./profiles/', import.meta.url));

describe('MQTT driver on the embedded broker', () => {
  const dir = tempDir('mqtt-driver');
  let gateway: TestGateway;
  let port: number;
  const devices: MqttClient[] = [];

  async function device(username: string, password: string): Promise<MqttClient> {
    const client = await connectDevice(port, username, password);
    devices.push(client);
    return client;
  }

  beforeAll(async () => {
    port = await freePort();
    const users = await writeUsers(dir.path, [
      { username: 'acs-1', password: 'acs-1-password', publish: ['lastmile/dev/%u/#'] },
      { username: 'th-1', password: 'th-1-password', publish: ['lastmile/dev/%u/#'] },
    ]);
    gateway = await startGateway(
      dir.path,
      `version: 1
gateway: { township: t1, compound: c1, id: gw-1, profilesDir: ${PROFILES} }
sources:
  - id: door-1
    profile: hikvision/acs-mqtt
    mqtt: { topic: lastmile/dev/acs-1/events }
    tags: { building: "3", unit: "2" }
  - id: th-1
    profile: testlab/wifi-th
    mqtt: { topic: lastmile/dev/th-1/state }
    tags: { building: "5", room: pump room }
spool: { dir: ${join(dir.path, 'spool')} }
localBroker:
  host: 127.0.0.1
  port: ${port}
  users:
${users}
`,
    );
  });

  afterAll(async () => {
    await Promise.all(devices.map((d) => d.endAsync(true)));
    await gateway?.stop();
    dir.remove();
  });

  it('turns a Hikvision access-controller event into measurements through the profile', async () => {
    const acs = await device('acs-1', 'acs-1-password');
    await acs.publishAsync('lastmile/dev/acs-1/events', JSON.stringify({ major: 5, minor: 27, door: 1, time: '2024-05-01T08:00:00+08:00' }), { qos: 1 });
    await waitFor('door-1 event measurement', () => gateway.measurements.some((m) => m.source === 'door-1' && m.point === 'event'));
    const byPoint = Object.fromEntries(gateway.measurements.filter((m) => m.source === 'door-1').map((m) => [m.point, m]));
    expect(byPoint.event?.value).toBe('door_forced');
    expect(byPoint.door?.value).toBe(1);
    expect(byPoint.major?.value).toBe(5);
    expect(byPoint.event?.tags).toMatchObject({ township: 't1', compound: 'c1', gateway: 'gw-1', source: 'door-1', building: '3', unit: '2' });
    expect(byPoint.event?.class).toBe('door');
    expect(gateway.statuses).toContainEqual(expect.objectContaining({ source: 'door-1', online: true }));
  });

  it('picks nested fields and scales them; a live message published with retain still counts', async () => {
    const th = await device('th-1', 'th-1-password');
    await th.publishAsync('lastmile/dev/th-1/state', JSON.stringify({ sensor: { temperature: 21.5, humidity: 40 }, battery: 3.01 }), { qos: 1, retain: true });
    await waitFor('th-1 measurements', () => gateway.measurements.filter((m) => m.source === 'th-1').length >= 3);
    const byPoint = Object.fromEntries(gateway.measurements.filter((m) => m.source === 'th-1').map((m) => [m.point, m]));
    expect(byPoint.temperature).toMatchObject({ value: 21.5, unit: '°C', quality: 'good' });
    expect(byPoint.humidity).toMatchObject({ value: 40, unit: '%RH' });
    expect(byPoint.battery_mv).toMatchObject({ value: 3010, unit: 'mV' });
  });

  it('counts and logs malformed payloads with the topic, and keeps decoding good ones', async () => {
    const stats = gateway.runtime.context.stats;
    const before = stats.counter('mqtt.malformed', { source: 'th-1' });
    const th = await device('th-1', 'th-1-password');
    const topic = 'lastmile/dev/th-1/state';
    await th.publishAsync(topic, 'temperature=21.5', { qos: 1 }); // not JSON
    await th.publishAsync(topic, '[21.5, 40]', { qos: 1 }); // JSON, not an object
    await th.publishAsync(topic, Buffer.from([0xff, 0xfe, 0x00, 0x7b]), { qos: 1 }); // not UTF-8
    await th.publishAsync(topic, JSON.stringify({ pad: 'x'.repeat(70 * 1024) }), { qos: 1 }); // over 64 KiB
    await th.publishAsync(topic, '', { qos: 1 }); // empty: clears a retained message, not malformed
    const count = gateway.measurements.length;
    await th.publishAsync(topic, JSON.stringify({ sensor: { temperature: -3.25, humidity: 88 }, battery: 2.9 }), { qos: 1 });
    await waitFor('a good reading after the bad ones', () => gateway.measurements.slice(count).some((m) => m.source === 'th-1' && m.value === -3.25));
    expect(stats.counter('mqtt.malformed', { source: 'th-1' })).toBe(before + 4);
    const reasons = gateway
      .logLines()
      .filter((l) => l.source === 'th-1' && l.topic === topic && String(l.msg).startsWith('malformed'))
      .map((l) => l.reason);
    expect(reasons).toEqual(expect.arrayContaining(['not_json', 'not_object', 'not_utf8', 'too_large']));
    expect(th.connected).toBe(true);
  });

  it('reports a missing field as a decode error, not a made-up value', async () => {
    const stats = gateway.runtime.context.stats;
    const before = stats.counter('decode.error', { source: 'th-1' });
    const th = await device('th-1', 'th-1-password');
    const count = gateway.measurements.length;
    await th.publishAsync('lastmile/dev/th-1/state', JSON.stringify({ sensor: { temperature: 19 }, battery: 3 }), { qos: 1 });
    await waitFor('the temperature measurement', () => gateway.measurements.slice(count).some((m) => m.point === 'temperature' && m.value === 19));
    expect(gateway.measurements.slice(count).some((m) => m.point === 'humidity')).toBe(false);
    expect(stats.counter('decode.error', { source: 'th-1' })).toBe(before + 1);
  });
});
