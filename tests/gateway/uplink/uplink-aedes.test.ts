// The Uplink, its connection and its stage against an in-process aedes broker that shows what mosquitto
// cannot be made to (issue 18, mutation): the user name a gateway logs in with, the QoS of its
// subscriptions, a subscription the broker refuses (SUBACK 128), after which nothing may be sent until a
// later connect subscribes, since no receipt could come back; reconnects after a drop and none after a
// stop; a stop whose offline status is never acknowledged; the back-off between refused connects; and
// the options the connection gives mqtt.js.
import { writeFileSync } from 'node:fs';
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
import { mqttOptions, type ConnectionOptions } from '../../../gateway/uplink/connection.js';
import { capturedLogger } from '../local-broker/harness.js';
import { UplinkStage } from '../../../gateway/uplink/uplink-stage.js';
import { freePort, tempDir } from '../../helpers/peers.js';
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
  /** Publishes never authorised (so never acknowledged) while this returns true. */
  hold: (topic: string, payload: string) => boolean;
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
    hold: () => false,
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
    authorizePublish: (_client, packet, done) => {
      if (!broker.hold(packet.topic, packet.payload.toString())) done(null);
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

function startUplink(url: string, gateway: string, log = silentLogger(), statusEveryMs = 50) {
  const dir = tempDir('uplink-aedes');
  const stats = new Stats();
  const clock = new HonestClock({ synced: true });
  const spool = new Spool({ dir: dir.path, maxBytes: 4 * 1024 * 1024, maxAgeMs: 86_400_000, syncEveryMs: 5, segmentBytes: 64 * 1024 }, silentLogger(), stats);
  spool.open();
  const uplink = new Uplink({
    connection: { url, gateway, clientId: gateway, username: gateway, passwordFile: undefined, ca: undefined, cert: undefined, key: undefined, keepaliveMs: 5_000, reconnectMinMs: 20, reconnectMaxMs: 50 },
    spool, time: { clock, epoch: clock.epoch }, batchMaxRecords: 1, batchMaxAgeMs: 10, maxInflight: 2, receiptTimeoutMs: 600_000, statusEveryMs, sourceIds: [], log, stats, onCommand: () => undefined,
  });
  uplink.start();
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= uplink.stop());
  cleanups.push(async () => {
    await stop();
    await spool.close();
    dir.remove();
  });
  const telemetry = () => spool.append('telemetry', encodeTelemetryRecord(`t,gateway=${gateway},source=s`, ['n=1'], { ts: clock.now(), mono: clock.mono(), synced: true, epoch: clock.epoch }));
  return { uplink, stats, telemetry, stop };
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

  it('reconnects no more once stopped, and after a stop whose offline status is never acknowledged ends within its wait, leaving it to the will', async () => {
    const broker = await startBroker();
    const { uplink, stats, stop } = startUplink(broker.url, 'gw-held', silentLogger(), 600_000);
    await waitFor('connected', () => uplink.connected() && broker.seen.some((s) => s.kind === 'publish' && s.topic === topics.status('gw-held')));
    // The broker takes the stop's offline status and never answers it (no PUBACK).
    let held = 0;
    broker.hold = (topic, payload) => topic === topics.status('gw-held') && payload.includes('"online":false') && held++ === 0;
    const stopped = stop().then(() => Date.now());
    const started = Date.now();
    const end = await waitFor('stop() to end after waiting for the acknowledgment', () => (held === 1 ? stopped : undefined), 10_000);
    expect(end - started).toBeGreaterThanOrEqual(1900);
    expect(uplink.connected()).toBe(false);
    // No DISCONNECT went, so the broker speaks for the gateway: its will, retained, offline.
    const will = await waitFor('the will', () => broker.seen.find((s) => s.kind === 'publish' && s.topic === topics.status('gw-held') && s.payload.includes('"online":false')));
    expect(will).toBeDefined();
    expect(stats.counter('uplink.reconnect_scheduled')).toBe(0);
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
    // One reconnect after the drop, each connect counted.
    expect(stats.counter('uplink.connect')).toBe(2);
    expect(stats.counter('uplink.reconnect_scheduled')).toBe(1);
  });

  it('backs off between refused connects, doubling from reconnectMin to reconnectMax, each wait 50-100 % of its step', async () => {
    const port = await freePort();
    const { log, lines } = capturedLogger();
    const { stats } = startUplink(`mqtt://127.0.0.1:${port}`, 'gw-nobody', log);
    await waitFor('six reconnects scheduled', () => stats.counter('uplink.reconnect_scheduled') >= 6);
    const delays = lines().filter((l) => String(l.msg).includes('reconnecting after back-off')).map((l) => l.delayMs as number);
    // reconnectMinMs 20, reconnectMaxMs 50 (startUplink): steps 20, 40, 50, 50, ...
    const steps = [20, 40, 50, 50, 50, 50];
    delays.slice(0, 6).forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(steps[i]! / 2);
      expect(delay).toBeLessThanOrEqual(steps[i]!);
    });
    expect(stats.counter('uplink.connect')).toBe(0);
  });
});

describe('mqttOptions', () => {
  const base: ConnectionOptions = {
    url: 'mqtt://127.0.0.1:1', gateway: 'gw-o', clientId: 'gw-o', username: 'gw-o', passwordFile: undefined, ca: undefined, cert: undefined, key: undefined,
    keepaliveMs: 60_000, reconnectMinMs: 1000, reconnectMaxMs: 120_000, lastWill: () => ({ online: false }) as never,
  };

  it('reads the password file trimmed, and names the file and the setting when it cannot', () => {
    const dir = tempDir('mqtt-options');
    cleanups.push(() => dir.remove());
    const file = join(dir.path, 'password');
    writeFileSync(file, '  s3cret\n');
    expect(mqttOptions({ ...base, passwordFile: file }).password).toBe('s3cret');
    const missing = join(dir.path, 'nope');
    let error: (Error & { cause?: NodeJS.ErrnoException }) | undefined;
    try {
      mqttOptions({ ...base, passwordFile: missing });
    } catch (e) {
      error = e as Error & { cause?: NodeJS.ErrnoException };
    }
    expect(error?.message).toContain(`uplink.passwordFile: cannot read ${missing}`);
    expect(error?.cause?.code).toBe('ENOENT');
  });

  it('keeps a persistent session, reconnects only through the Uplink, keeps no write cache, and sets keepalive in whole seconds', () => {
    const options = mqttOptions(base);
    expect(options).toMatchObject({ clean: false, resubscribe: false, reconnectPeriod: 0, protocolVersion: 4, keepalive: 60, rejectUnauthorized: true, writeCache: false });
    expect(options.will).toMatchObject({ topic: topics.status('gw-o'), qos: 1, retain: true });
    expect(mqttOptions({ ...base, keepaliveMs: 1_400 }).keepalive).toBe(1);
    expect(mqttOptions({ ...base, keepaliveMs: 1_600 }).keepalive).toBe(2);
    expect(mqttOptions({ ...base, keepaliveMs: 100 }).keepalive).toBe(1);
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
