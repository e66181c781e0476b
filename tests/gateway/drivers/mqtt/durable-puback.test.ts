// A device's QoS 1 publish is acknowledged only once what it caused is durable (issue 11): the embedded
// broker holds the PUBACK on the runtime's durability barrier (the spool's fsync in production). Here the
// barrier is a hand-held promise, so the order is checked exactly: PUBACK strictly after it resolves;
// none at all when it rejects (the device keeps the message and resends it after reconnecting). And no
// device can connect before the drivers are ready.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, tempDir } from '../../../helpers/peers.js';
import { connectDevice, connectRefusal, startGateway, waitFor, writeUsers, type TestGateway } from '../../local-broker/harness.js';

const PROFILES = fileURLToPath(new URL('./profiles/', import.meta.url));

describe('device PUBACK after durability (embedded local broker)', () => {
  const dir = tempDir('mqtt-durable');
  let gateway: TestGateway;
  let port: number;
  let users = '';

  const site = () => `version: 1
gateway: { township: t1, compound: c1, id: gw-durable, profilesDir: ${PROFILES} }
sources:
  - id: th-1
    profile: testlab/wifi-th
    mqtt: { topic: lastmile/dev/th-1/state }
    tags: { building: "5" }
spool: { dir: ${join(dir.path, 'spool')} }
localBroker:
  host: 127.0.0.1
  port: ${port}
  users:
${users}
`;

  beforeAll(async () => {
    port = await freePort();
    users = await writeUsers(dir.path, [{ username: 'th-1', password: 'th-1-password', publish: ['lastmile/dev/%u/#'] }]);
  });

  afterAll(async () => {
    await gateway?.stop();
    dir.remove();
  });

  it('opens the device listener only after the drivers have started', async () => {
    gateway = await startGateway(dir.path, site(), { start: false });
    // Not started: nothing listens, so a device is refused at TCP level and keeps its message.
    expect(String(await connectRefusal(port, 'th-1', 'th-1-password'))).toMatch(/ECONNREFUSED/);
    await gateway.runtime.start();
    expect(await connectRefusal(port, 'th-1', 'th-1-password')).toBe('accepted');
  });

  it('keeps what a device sent in the spool, fsync\'d before the PUBACK, with no uplink configured', async () => {
    const spool = gateway.runtime.context.services.get('spool')!;
    expect(spool).toBeDefined();
    const device = await connectDevice(port, 'th-1', 'th-1-password');
    try {
      let durableAtPuback = -1;
      const before = spool.telemetry.durableEnd();
      await device.publishAsync('lastmile/dev/th-1/state', JSON.stringify({ sensor: { temperature: 20, humidity: 39 }, battery: 3 }), { qos: 1 }).then(() => {
        durableAtPuback = spool.telemetry.durableEnd();
      });
      expect(durableAtPuback).toBeGreaterThan(before);
    } finally {
      await device.endAsync(true);
    }
  });

  it('sends the PUBACK only after the durability barrier resolved', async () => {
    let release: () => void = () => undefined;
    let barriers = 0;
    let released = false;
    const remove = gateway.runtime.context.durability!.provide(() => {
      barriers++;
      return new Promise<void>((resolve) => {
        release = () => {
          released = true;
          resolve();
        };
      });
    });
    const device = await connectDevice(port, 'th-1', 'th-1-password');
    try {
      const count = gateway.measurements.length;
      let releasedAtPuback: boolean | undefined;
      const acked = device.publishAsync('lastmile/dev/th-1/state', JSON.stringify({ sensor: { temperature: 21, humidity: 40 }, battery: 3 }), { qos: 1 }).then(() => {
        releasedAtPuback = released;
      });
      await waitFor('the measurement and the barrier', () => gateway.measurements.length > count && barriers === 1);
      expect(releasedAtPuback).toBeUndefined();
      setTimeout(() => release(), 300);
      await acked;
      expect(releasedAtPuback).toBe(true);
    } finally {
      remove();
      await device.endAsync(true);
    }
  });

  it('sends no PUBACK when the data cannot be made durable: the device is dropped and resends', async () => {
    let fail = true;
    const remove = gateway.runtime.context.durability!.provide(() => (fail ? Promise.reject(new Error('disk full (test)')) : Promise.resolve()));
    // A real device: persistent session, reconnects, resends what was not acknowledged.
    const device = await connectDevice(port, 'th-1', 'th-1-password', { clientId: 'th-1-dev', clean: false, reconnectPeriod: 200 });
    try {
      const stats = gateway.runtime.context.stats;
      const refusedBefore = stats.counter('local_broker.publish_not_durable', { user: 'th-1' });
      const acked = device.publishAsync('lastmile/dev/th-1/state', JSON.stringify({ sensor: { temperature: 22, humidity: 41 }, battery: 3 }), { qos: 1 });
      await waitFor('the refusal', () => stats.counter('local_broker.publish_not_durable', { user: 'th-1' }) > refusedBefore);
      fail = false;
      await acked; // resent after the reconnect, acknowledged once durable
      expect(gateway.measurements.filter((m) => m.point === 'temperature' && m.value === 22).length).toBeGreaterThanOrEqual(2);
    } finally {
      remove();
      await device.endAsync(true);
    }
  });
});
