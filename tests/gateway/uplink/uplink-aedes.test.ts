// The Uplink and its stage against an in-process aedes broker that shows what mosquitto cannot be made to
// (issue 18, mutation): the user name a gateway logs in with, the QoS of its subscriptions, and a
// subscription the broker refuses (SUBACK 128), after which nothing may be sent until a later connect
// subscribes, since no receipt could come back.
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { Aedes, type Client } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../../config/load-site.js';
import { topics, type GatewayStatus } from '../../../contract/wire.js';
import { silentLogger } from '../../../contract/logger.js';
import { Stats } from '../../../contract/stats.js';
import { Spool } from '../../../gateway/spool/spool.js';
import { SpoolStage } from '../../../gateway/spool/spool-stage.js';
import { encodeTelemetryRecord } from '../../../gateway/spool/telemetry-record.js';
import { HonestClock } from '../../../gateway/time/honest-clock.js';
import { Uplink } from '../../../gateway/uplink/uplink.js';
import { UplinkStage } from '../../../gateway/uplink/uplink-stage.js';
import { tempDir } from '../../helpers/peers.js';
import { testContext } from '../../helpers/runtime-context.js';
import { waitFor } from '../../helpers/wait.js';

/** What the broker saw, in order. */
type Seen =
  | { kind: 'login'; clientId: string; username: string | undefined }
  | { kind: 'subscribe'; clientId: string; topic: string; qos: number; granted: boolean }
  | { kind: 'publish'; clientId: string; topic: string; payload: string };

interface TestBroker {
  readonly url: string;
  readonly seen: Seen[];
  /** Topics whose subscription is refused (SUBACK 128) while this returns true. */
  refuse: (topic: string) => boolean;
  /** Drops the client's connection from the broker's side. */
  kick(clientId: string): void;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startBroker(): Promise<TestBroker> {
  const seen: Seen[] = [];
  const clients = new Map<string, Client>();
  const broker: TestBroker = {
    url: '',
    seen,
    refuse: () => false,
    kick: (clientId) => clients.get(clientId)?.close(),
  };
  const aedes = await Aedes.createBroker({
    authenticate: (client, username, _password, done) => {
      seen.push({ kind: 'login', clientId: client.id, username });
      done(null, true);
    },
    authorizeSubscribe: (client, subscription, done) => {
      const granted = !broker.refuse(subscription.topic);
      seen.push({ kind: 'subscribe', clientId: client.id, topic: subscription.topic, qos: subscription.qos, granted });
      done(null, granted ? subscription : null);
    },
  });
  aedes.on('client', (client) => clients.set(client.id, client));
  aedes.on('publish', (packet, client) => {
    if (client) seen.push({ kind: 'publish', clientId: client.id, topic: packet.topic, payload: packet.payload.toString() });
  });
  const server: Server = createServer((socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return Object.assign(broker, { url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

function startUplink(url: string, gateway: string) {
  const dir = tempDir('uplink-aedes');
  const stats = new Stats();
  const clock = new HonestClock({ synced: true });
  const spool = new Spool({ dir: dir.path, maxBytes: 4 * 1024 * 1024, maxAgeMs: 86_400_000, syncEveryMs: 5, segmentBytes: 64 * 1024 }, silentLogger(), stats);
  spool.open();
  const uplink = new Uplink({
    connection: { url, gateway, clientId: gateway, username: gateway, passwordFile: undefined, ca: undefined, cert: undefined, key: undefined, keepaliveMs: 5_000, reconnectMinMs: 20, reconnectMaxMs: 50 },
    spool, time: { clock, epoch: clock.epoch }, batchMaxRecords: 1, batchMaxAgeMs: 10, maxInflight: 2, receiptTimeoutMs: 600_000, statusEveryMs: 50, sourceIds: [], log: silentLogger(), stats, onCommand: () => undefined,
  });
  uplink.start();
  cleanups.push(async () => {
    await uplink.stop();
    await spool.close();
    dir.remove();
  });
  const telemetry = () => spool.append('telemetry', encodeTelemetryRecord(`t,gateway=${gateway},source=s`, ['n=1'], { ts: clock.now(), mono: clock.mono(), synced: true, epoch: clock.epoch }));
  return { uplink, stats, telemetry };
}

const indexOf = (seen: readonly Seen[], match: (s: Seen) => boolean) => seen.findIndex(match);

describe('Uplink against aedes', () => {
  it('subscribes to its commands and receipts at QoS 1', async () => {
    const broker = await startBroker();
    const { uplink } = startUplink(broker.url, 'gw-qos');
    await waitFor('connected', () => uplink.connected());
    await waitFor('two subscriptions', () => broker.seen.filter((s) => s.kind === 'subscribe').length === 2);
    expect(broker.seen.filter((s) => s.kind === 'subscribe').map((s) => s.kind === 'subscribe' && [s.topic, s.qos])).toEqual([
      [topics.command('gw-qos'), 1],
      [topics.receipt('gw-qos'), 1],
    ]);
  });

  it('after a refused subscription (SUBACK 128) it counts it and sends nothing until a later connect subscribes', async () => {
    const broker = await startBroker();
    broker.refuse = (topic) => topic === topics.receipt('gw-acl');
    const { uplink, stats, telemetry } = startUplink(broker.url, 'gw-acl');
    await telemetry();
    await waitFor('the refusal counted', () => stats.counter('uplink.subscribe_failed') === 1);
    // The connection itself is up and used: status publishes (every 50 ms) keep arriving after the
    // refusal, and none of them is preceded by telemetry.
    const refusedAt = broker.seen.length;
    await waitFor('two status publishes after the refusal', () => broker.seen.slice(refusedAt).filter((s) => s.kind === 'publish' && s.topic === topics.status('gw-acl')).length >= 2);
    expect(uplink.connected()).toBe(true);
    expect(broker.seen.some((s) => s.kind === 'publish' && s.topic.startsWith('lm/v1/gw-acl/t/'))).toBe(false);

    broker.refuse = () => false;
    broker.kick('gw-acl');
    await waitFor('the telemetry batch', () => broker.seen.some((s) => s.kind === 'publish' && s.topic.startsWith('lm/v1/gw-acl/t/')));
    const granted = indexOf(broker.seen, (s) => s.kind === 'subscribe' && s.topic === topics.receipt('gw-acl') && s.granted);
    const sent = indexOf(broker.seen, (s) => s.kind === 'publish' && s.topic.startsWith('lm/v1/gw-acl/t/'));
    expect(granted).toBeGreaterThan(-1);
    expect(sent).toBeGreaterThan(granted);
    expect(stats.counter('uplink.subscribe_failed')).toBe(1);
  });
});

describe('uplink stage against aedes', () => {
  async function startStages(url: string, gateway: string, uplinkYaml: string) {
    const dir = tempDir('uplink-stage-aedes');
    const yaml = `version: 1
gateway: { township: t1, compound: c1, id: ${gateway} }
sources:
  - { id: meter-1, profile: eastron/sdm120, bus: meters, unit: 1, tags: { building: "1" } }
  - { id: meter-2, profile: eastron/sdm120, bus: meters, unit: 2, tags: { building: "1" } }
buses: [{ id: meters, type: tcp, host: 127.0.0.1, port: 1502 }]
uplink: { url: "${url}", statusEvery: 50ms, reconnectMin: 50ms, reconnectMax: 200ms${uplinkYaml} }
spool: { dir: ${join(dir.path, 'spool')}, syncEvery: 10ms, segmentBytes: 64KB }
`;
    const context = testContext(parseSiteConfig('site.yaml', yaml));
    const spoolStage = new SpoolStage(context);
    spoolStage.start();
    const uplinkStage = new UplinkStage(context);
    uplinkStage.start();
    cleanups.push(async () => {
      await uplinkStage.stop();
      await spoolStage.stop();
      dir.remove();
    });
    return context;
  }

  it('logs in with the configured user name, or the gateway id, and reports every configured source', async () => {
    const broker = await startBroker();
    await startStages(broker.url, 'gw-named', ', username: installer-7');
    await startStages(broker.url, 'gw-plain', '');
    const logins = await waitFor('both logins', () => {
      const list = broker.seen.filter((s) => s.kind === 'login');
      return list.length === 2 && list;
    });
    expect(Object.fromEntries(logins.map((l) => l.kind === 'login' && [l.clientId, l.username]) as [string, string][])).toEqual({ 'gw-named': 'installer-7', 'gw-plain': 'gw-plain' });
    // Before any driver reported, the retained status lists both configured sources, offline.
    const status = await waitFor('a status of gw-plain', () => broker.seen.find((s) => s.kind === 'publish' && s.topic === topics.status('gw-plain')));
    const sources = (JSON.parse((status as { payload: string }).payload) as GatewayStatus).sources;
    expect(sources).toEqual({ 'meter-1': { online: false }, 'meter-2': { online: false } });
  });
});
