// The embedded aedes broker against real mqtt.js clients over TCP: per-device credentials, the ACL
// ("a device can only publish its own topics"), refusals, and the gateway's own in-process identity.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientSubscribeCallback, MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_CLIENT_PREFIX, INTERNAL_USERNAME } from '../../../gateway/local-broker/users.js';
import { freePort, tempDir } from '../../helpers/peers.js';
import { connectDevice, connectRefusal, startGateway, waitFor, writeUsers, type TestGateway } from './harness.js';

const USERS = [
  { username: 'node-1', password: 'node-1-secret', publish: ['lastmile/dev/%u/#'], subscribe: ['lastmile/notice/#'] },
  { username: 'node-2', password: 'node-2-secret', publish: ['lastmile/dev/%u/#'], subscribe: ['lastmile/notice/#'] },
  { username: 'display', password: 'display-secret', subscribe: ['lastmile/dev/#'] },
];

function siteYaml(dir: string, port: number, usersBlock: string): string {
  return `version: 1
gateway: { township: t1, compound: c1, id: gw-1 }
sources:
  - id: door-1
    profile: hikvision/acs-mqtt
    mqtt: { topic: lastmile/dev/acs-1/events }
    tags: { building: "3" }
spool: { dir: ${join(dir, 'spool')} }
localBroker:
  host: 127.0.0.1
  port: ${port}
  users:${usersBlock === '' ? ' []' : `\n${usersBlock}`}
`;
}

describe('embedded local broker', () => {
  const dir = tempDir('local-broker');
  let port: number;
  let gateway: TestGateway;
  const clients: MqttClient[] = [];

  async function device(username: string | undefined, password: string | undefined, options = {}): Promise<MqttClient> {
    const client = await connectDevice(port, username, password, options);
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    port = await freePort();
    const usersBlock = await writeUsers(dir.path, USERS);
    gateway = await startGateway(dir.path, siteYaml(dir.path, port, usersBlock));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await gateway?.stop();
    dir.remove();
  });

  it('delivers a device publish on its own topic to an allowed subscriber', async () => {
    const display = await device('display', 'display-secret');
    const got: string[] = [];
    display.on('message', (topic) => got.push(topic));
    await display.subscribeAsync('lastmile/dev/#', { qos: 1 });
    const node1 = await device('node-1', 'node-1-secret');
    await node1.publishAsync('lastmile/dev/node-1/state', '{"t":1}', { qos: 1 });
    await waitFor('display to get node-1 state', () => got.includes('lastmile/dev/node-1/state'));
  });

  it("refuses a publish to another device's topic: the message never reaches any subscriber", async () => {
    const display = await device('display', 'display-secret');
    const seenByDisplay: string[] = [];
    display.on('message', (topic, payload) => seenByDisplay.push(`${topic} ${payload.toString()}`));
    await display.subscribeAsync('lastmile/dev/#', { qos: 1 });
    // The gateway's own client sees everything, so it would see a forged message if the broker let it through.
    const internal = gateway.runtime.context.services.get('localBroker')!.connect('test-spy');
    clients.push(internal);
    const seenByGateway: string[] = [];
    internal.on('message', (topic, payload) => seenByGateway.push(`${topic} ${payload.toString()}`));
    await new Promise<void>((resolve) => internal.once('connect', () => resolve()));
    await internal.subscribeAsync('lastmile/#', { qos: 1 });

    const denied = gateway.runtime.context.stats.counter('local_broker.publish_denied', { user: 'node-1' });
    const node1 = await device('node-1', 'node-1-secret');
    const closed = new Promise<void>((resolve) => node1.once('close', () => resolve()));
    node1.publish('lastmile/dev/node-2/state', 'forged', { qos: 0 });
    await closed; // MQTT 3.1.1 has no negative ack: the broker drops the message and the connection

    // A later legitimate message from node-2 proves delivery continued past the refused one.
    const node2 = await device('node-2', 'node-2-secret');
    await node2.publishAsync('lastmile/dev/node-2/state', 'genuine', { qos: 1 });
    await waitFor('node-2 genuine message', () => seenByDisplay.includes('lastmile/dev/node-2/state genuine') && seenByGateway.includes('lastmile/dev/node-2/state genuine'));
    expect(seenByDisplay.filter((m) => m.includes('forged'))).toEqual([]);
    expect(seenByGateway.filter((m) => m.includes('forged'))).toEqual([]);
    expect(gateway.runtime.context.stats.counter('local_broker.publish_denied', { user: 'node-1' })).toBe(denied + 1);
    const line = gateway.logLines().find((l) => l.topic === 'lastmile/dev/node-2/state' && l.username === 'node-1');
    expect(line?.msg).toMatch(/publish refused/);
  });

  it('refuses a subscription outside the user ACL but keeps the client connected', async () => {
    const node1 = await device('node-1', 'node-1-secret');
    // mqtt.js turns any 0x80 into an error; the SUBACK it passes along has the broker's answer per filter.
    const suback = await new Promise<Parameters<ClientSubscribeCallback>[2]>((resolve) => node1.subscribe(['lastmile/dev/#', 'lastmile/notice/+'], { qos: 1 }, (_error, _granted, packet) => resolve(packet)));
    expect(suback?.granted).toEqual([128, 1]);
    expect(node1.connected).toBe(true);
  });

  it('refuses a wrong password, an unknown user and an anonymous client', async () => {
    expect(await connectRefusal(port, 'node-1', 'wrong-password')).toBe(4);
    expect(await connectRefusal(port, 'nobody', 'node-1-secret')).toBe(4);
    expect(await connectRefusal(port, undefined, undefined)).toBe(5);
    const stats = gateway.runtime.context.stats;
    expect(stats.counter('local_broker.refused', { reason: 'wrong password' })).toBeGreaterThanOrEqual(1);
    expect(stats.counter('local_broker.refused', { reason: 'anonymous' })).toBeGreaterThanOrEqual(1);
    const logged = JSON.stringify(gateway.logLines());
    expect(logged).not.toContain('wrong-password');
    expect(logged).not.toContain('node-1-secret');
  });

  it("never accepts the gateway's internal identity or client-id prefix over the network", async () => {
    expect(await connectRefusal(port, INTERNAL_USERNAME, 'guess')).toBe(5);
    expect(await connectRefusal(port, 'node-1', 'node-1-secret', { clientId: `${INTERNAL_CLIENT_PREFIX}driver-mqtt-00000000` })).toBe(5);
  });
});

describe('embedded local broker without users', () => {
  const dir = tempDir('local-broker-nousers');
  let gateway: TestGateway;

  afterAll(async () => {
    await gateway?.stop();
    dir.remove();
  });

  it('refuses every device and says why, while the gateway itself still connects', async () => {
    const port = await freePort();
    gateway = await startGateway(dir.path, siteYaml(dir.path, port, ''));
    expect(gateway.logLines().some((l) => String(l.msg).includes('no device users'))).toBe(true);
    expect(await connectRefusal(port, 'node-1', 'anything')).toBe(5);
    expect(gateway.runtime.context.stats.counter('local_broker.refused', { reason: 'no users configured' })).toBe(1);
    const internal = gateway.runtime.context.services.get('localBroker')!.connect('test');
    await new Promise<void>((resolve, reject) => {
      internal.once('connect', () => resolve());
      internal.once('error', reject);
    });
    await internal.endAsync(true);
  });
});

describe('embedded local broker with a broken password file', () => {
  const dir = tempDir('local-broker-badfile');
  let gateway: TestGateway;

  afterAll(async () => {
    await gateway?.stop();
    dir.remove();
  });

  it('disables only that user, names the config path, and lets the others in', async () => {
    const port = await freePort();
    const usersBlock = await writeUsers(dir.path, USERS.slice(0, 2));
    writeFileSync(join(dir.path, 'node-2.hash'), 'plain-text-password\n');
    gateway = await startGateway(dir.path, siteYaml(dir.path, port, usersBlock));
    const line = gateway.logLines().find((l) => l.username === 'node-2' && l.path === 'localBroker.users[1].passwordFile');
    expect(line?.reason).toMatch(/not a "scrypt/);
    expect(JSON.stringify(gateway.logLines())).not.toContain('plain-text-password');
    expect(await connectRefusal(port, 'node-2', 'plain-text-password')).toBe(4);
    expect(await connectRefusal(port, 'node-1', 'node-1-secret')).toBe('accepted');
  });
});
