// The external-broker client (issue 18, mutation of external-broker.ts) against an in-process aedes that
// stands in for the cluster broker and records what the worker does, which mosquitto cannot show or be
// made to do: the client ids and session of each connection, which filters each one subscribes (the
// share group on every connection, alarms and status on the first only), a subscription refused with
// SUBACK 0x80 (counted, the connection dropped, subscribed again on the reconnect), messages from
// gateways not in the registry, and receipts and commands published through a connected client.
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExternalBroker } from '../../cloud-ingest/ingest/external-broker.js';
import type { CloudIngest } from '../../cloud-ingest/service.js';
import { RECEIPT_QOS, topics } from '../../contract/wire.js';
import { provision, startService, testConfig, waitFor } from './fixture.js';

interface Seen {
  logins: { clientId: string; username: string | undefined; password: string; clean: boolean }[];
  subscriptions: { clientId: string; topic: string; qos: number; granted: boolean }[];
  publishes: { clientId: string; topic: string; qos: number; retain: boolean; payload: string }[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startClusterBroker(refuse: (topic: string, attempt: number) => boolean = () => false) {
  const seen: Seen = { logins: [], subscriptions: [], publishes: [] };
  const attempts = new Map<string, number>();
  const aedes = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      seen.logins.push({ clientId: client.id, username, password: password?.toString() ?? '', clean: client.clean });
      done(null, true);
    },
    authorizeSubscribe: (client, subscription, done) => {
      const attempt = (attempts.get(subscription.topic) ?? 0) + 1;
      attempts.set(subscription.topic, attempt);
      const granted = !refuse(subscription.topic, attempt);
      seen.subscriptions.push({ clientId: client.id, topic: subscription.topic, qos: subscription.qos, granted });
      done(null, granted ? subscription : null);
    },
  });
  aedes.on('publish', (packet, client) => {
    if (client) seen.publishes.push({ clientId: client.id, topic: packet.topic, qos: packet.qos, retain: packet.retain, payload: packet.payload.toString() });
  });
  const server = createServer((socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { seen, url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function startWorker(url: string, connections: number): Promise<CloudIngest> {
  const config0 = testConfig({});
  provision(config0.dataDir, 'gw-a', 'town', 'c1');
  writeFileSync(join(config0.dataDir, 'ingest.password'), 'ingest-secret\n');
  const config = testConfig({
    dataDir: config0.dataDir,
    broker: { type: 'external', url, username: 'ingest', passwordFile: join(config0.dataDir, 'ingest.password'), clientId: 'worker-1', shareGroup: 'grp', connections },
  });
  const service = await startService(config);
  cleanups.push(() => service.stop());
  return service;
}

const SHARED = ['$share/grp/lm/v1/+/t/+', '$share/grp/lm/v1/+/cmd/result'];
const EVERY_WORKER = ['lm/v1/+/a/+', 'lm/v1/+/status'];

describe('external broker client', () => {
  it('logs in as the configured client id with a persistent session and subscribes the share group and alarms/status at QoS 1', async () => {
    const broker = await startClusterBroker();
    const service = await startWorker(broker.url, 1);
    await waitFor('subscribed', () => service.stats.counter('ingest.subscribed') === 1);
    expect(broker.seen.logins).toEqual([{ clientId: 'worker-1', username: 'ingest', password: 'ingest-secret', clean: false }]);
    expect(broker.seen.subscriptions).toEqual([...SHARED, ...EVERY_WORKER].map((topic) => ({ clientId: 'worker-1', topic, qos: 1, granted: true })));
  });

  it('with several connections numbers their client ids and subscribes alarms and status on the first only', async () => {
    const broker = await startClusterBroker();
    const service = await startWorker(broker.url, 3);
    await waitFor('three subscribed', () => service.stats.counter('ingest.subscribed') === 3);
    expect(broker.seen.logins.map((l) => l.clientId)).toEqual(['worker-1-0', 'worker-1-1', 'worker-1-2']);
    const byClient = (clientId: string) => broker.seen.subscriptions.filter((s) => s.clientId === clientId).map((s) => s.topic);
    expect(byClient('worker-1-0')).toEqual([...SHARED, ...EVERY_WORKER]);
    expect(byClient('worker-1-1')).toEqual(SHARED);
    expect(byClient('worker-1-2')).toEqual(SHARED);
  });

  it('counts a refused subscription, drops the connection and subscribes again on the reconnect', async () => {
    const broker = await startClusterBroker((topic, attempt) => topic === 'lm/v1/+/status' && attempt === 1);
    const service = await startWorker(broker.url, 1);
    await waitFor('subscribed after the reconnect', () => service.stats.counter('ingest.subscribed') === 1, 10_000);
    expect(service.stats.counter('ingest.subscribe_failed')).toBe(1);
    expect(broker.seen.logins.map((l) => l.clientId)).toEqual(['worker-1', 'worker-1']);
    // Refused on the first connection, granted on the second (which, seen with mqtt.js 5 here, may send its
    // SUBSCRIBE twice: harmless, a repeated subscription replaces the first).
    const status = broker.seen.subscriptions.filter((s) => s.topic === 'lm/v1/+/status').map((s) => s.granted);
    expect([status[0], status[1]]).toEqual([false, true]);
    expect(status.slice(1).every(Boolean)).toBe(true);
  });

  it('passes a registered gateway\'s messages to ingest, and drops and counts any other', async () => {
    const broker = await startClusterBroker();
    const service = await startWorker(broker.url, 1);
    await waitFor('subscribed', () => service.stats.counter('ingest.subscribed') === 1);
    const gateway = await mqtt.connectAsync(broker.url, { clientId: 'sender', reconnectPeriod: 0 });
    cleanups.push(() => gateway.endAsync());
    await gateway.publishAsync(topics.status('gw-nobody'), JSON.stringify({ gateway: 'gw-nobody', online: true }), { qos: 1 });
    // aedes has no $share groups, so the every-worker filters carry these: an alarm topic whose id is no id.
    await gateway.publishAsync('lm/v1/gw-a/a/not.an.id', '{}', { qos: 1 });
    await waitFor('two dropped', () => service.stats.counter('ingest.unknown_gateway') === 2);
    expect(service.ingest.gateways.get('gw-nobody')).toBeUndefined();
    await gateway.publishAsync(topics.status('gw-a'), 'offline', { qos: 1 });
    await waitFor('gw-a seen', () => service.ingest.gateways.get('gw-a') !== undefined);
    expect(service.ingest.gateways.get('gw-a')?.connected).toBe(false);
    expect(service.stats.counter('ingest.unknown_gateway')).toBe(2);
  });

  it('publishes receipts at RECEIPT_QOS and commands at QoS 1 through a connected client; none once stopped', async () => {
    const broker = await startClusterBroker();
    const service = await startWorker(broker.url, 2);
    await waitFor('subscribed', () => service.stats.counter('ingest.subscribed') === 2);
    const channel = service.broker as ExternalBroker;
    await channel.sendReceipt('gw-a', { v: 1, items: [{ kind: 't', id: 'b-1', status: 'stored' }] });
    await channel.sendCommand('gw-a', { id: 'c-1', command: { kind: 'request_health', by: 'test' } });
    expect(broker.seen.publishes.map(({ topic, qos, retain, payload }) => ({ topic, qos, retain, payload: JSON.parse(payload) as unknown }))).toEqual([
      { topic: topics.receipt('gw-a'), qos: RECEIPT_QOS, retain: false, payload: { v: 1, items: [{ kind: 't', id: 'b-1', status: 'stored' }] } },
      { topic: topics.command('gw-a'), qos: 1, retain: false, payload: { id: 'c-1', command: { kind: 'request_health', by: 'test' } } },
    ]);
    await channel.stop();
    await expect(channel.sendReceipt('gw-a', { v: 1, items: [] })).rejects.toThrow('broker not connected');
  });
});
