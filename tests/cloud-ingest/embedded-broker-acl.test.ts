// The embedded township broker's own rules (issue 18, mutation survivors of embedded-broker.ts): a gateway
// publishes only under lm/v1/<own id>/ and never on its own downlink topics, subscribes only to those,
// logs in only with credentials and (for the -doctor twin) a clean session; every refusal is counted.
// Receipts and commands go out unretained (a later subscriber must not be handed an old one) and the
// broker marks a gateway connected and disconnected. What a publish or subscription refusal looks like
// to mqtt.js: a denied publish closes the connection, a denied subscription is a SUBACK 0x80 error.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../cloud-ingest/ingest/embedded-broker.js';
import type { CloudIngest } from '../../cloud-ingest/service.js';
import { silentLogger } from '../../contract/logger.js';
import { RECEIPT_QOS, topics } from '../../contract/wire.js';
import { connectGateway, lineBatch, provision, startService, testConfig, waitFor } from './fixture.js';

describe('embedded township broker rules', () => {
  let service: CloudIngest;
  let password: string;
  const clients: MqttClient[] = [];
  const connect = async (gateway: string, pass: string, extra: Parameters<typeof connectGateway>[3] = {}) => {
    const client = await connectGateway(service.brokerPort, gateway, pass, extra);
    clients.push(client);
    return client;
  };
  const denied = (gateway: string) => service.stats.counter('broker.publish_denied', { gateway });

  beforeAll(async () => {
    const config = testConfig({});
    password = provision(config.dataDir, 'gw-a', 'town', 'c1').password;
    provision(config.dataDir, 'gw-ab', 'town', 'c2');
    service = await startService(config);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await service?.stop();
  });

  it.each([
    ['another gateway\'s telemetry', topics.telemetry('gw-ab', 'b1')],
    ['its own command topic', topics.command('gw-a')],
    ['its own receipt topic', topics.receipt('gw-a')],
    ['a topic outside lm/v1', 'other/gw-a/t/b1'],
  ])('closes a gateway publishing on %s, counts it and ingests nothing', async (_what, topic) => {
    const before = denied('gw-a');
    const batches = service.stats.counter('ingest.batches', { gateway: 'gw-ab' });
    const gw = await connect('gw-a', password);
    const closed = new Promise<void>((resolve) => gw.once('close', () => resolve()));
    gw.publish(topic, lineBatch([`power,source=m1 v=1 ${Date.now()}`]), { qos: 1 });
    await closed;
    gw.end(true);
    expect(denied('gw-a')).toBe(before + 1);
    expect(service.stats.counter('ingest.batches', { gateway: 'gw-ab' })).toBe(batches);
  });

  it('takes a publish under its own topics without a denial', async () => {
    const before = denied('gw-a');
    const gw = await connect('gw-a', password);
    await gw.publishAsync(topics.telemetry('gw-a', 'own-1'), lineBatch([`power,source=m1 v=1 ${Date.now()}`]), { qos: 1 });
    await waitFor('the own batch ingested', () => service.stats.counter('ingest.batches', { gateway: 'gw-a' }) >= 1);
    expect(denied('gw-a')).toBe(before);
    await gw.endAsync();
  });

  it('grants its own command and receipt topics and refuses any other subscription, counted', async () => {
    const gw = await connect('gw-a', password);
    const granted = await gw.subscribeAsync([topics.command('gw-a'), topics.receipt('gw-a')], { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1, 1]);
    const before = service.stats.counter('broker.subscribe_denied', { gateway: 'gw-a' });
    for (const topic of [topics.receipt('gw-ab'), topics.command('gw-ab'), 'lm/v1/+/receipt', topics.telemetry('gw-a', '+')]) {
      await expect(gw.subscribeAsync(topic, { qos: 1 }), topic).rejects.toThrow(/Subscribe error/);
    }
    expect(service.stats.counter('broker.subscribe_denied', { gateway: 'gw-a' })).toBe(before + 4);
    await gw.endAsync();
  });

  it('refuses a login without a password, and a -doctor twin without a clean session, counting why', async () => {
    await expect(connectGateway(service.brokerPort, 'gw-a', '', { password: undefined })).rejects.toThrow(/bad user ?name or password/i);
    expect(service.stats.counter('broker.auth_failed', { why: 'no credentials' })).toBe(1);
    await expect(connectGateway(service.brokerPort, 'gw-a', password, { clientId: 'gw-a-doctor', clean: false })).rejects.toThrow(/bad user ?name or password/i);
    expect(service.stats.counter('broker.auth_failed', { why: 'doctor check without a clean session' })).toBe(1);
    const doctor = await connect('gw-a', password, { clientId: 'gw-a-doctor', clean: true });
    expect(doctor.connected).toBe(true);
    await doctor.endAsync();
  });

  it('marks a gateway connected while it is, and not after it left', async () => {
    const a = await connect('gw-a', password);
    await waitFor('gw-a connected', () => service.ingest.gateways.get('gw-a')?.connected === true);
    await a.endAsync();
    await waitFor('gw-a disconnected', () => service.ingest.gateways.get('gw-a')?.connected === false);
  });

  it('sends receipts at RECEIPT_QOS and commands at QoS 1, neither retained for a later subscriber', async () => {
    const broker = service.broker as EmbeddedBroker;
    const early = await connect('gw-a', password, { clean: true });
    const got: { topic: string; qos: number; retain: boolean; body: string }[] = [];
    early.on('message', (topic, payload, packet) => got.push({ topic, qos: packet.qos, retain: packet.retain, body: payload.toString() }));
    await early.subscribeAsync([topics.command('gw-a'), topics.receipt('gw-a')], { qos: 1 });
    await broker.sendReceipt('gw-a', { v: 1, items: [{ kind: 't', id: 'r-1', status: 'stored' }] });
    await broker.sendCommand('gw-a', { id: 'c-1', command: { kind: 'request_health', by: 'test' } });
    await waitFor('both at the subscriber', () => got.length >= 2);
    expect(got.map((g) => [g.topic, g.qos, g.retain])).toEqual([[topics.receipt('gw-a'), RECEIPT_QOS, false], [topics.command('gw-a'), 1, false]]);
    await early.endAsync();
    // A later subscriber is handed nothing old: the first message it gets is the one sent after it subscribed.
    const late = await connect('gw-a', password, { clean: true });
    const later: string[] = [];
    late.on('message', (_topic, payload) => later.push(payload.toString()));
    await late.subscribeAsync([topics.command('gw-a'), topics.receipt('gw-a')], { qos: 1 });
    await broker.sendReceipt('gw-a', { v: 1, items: [{ kind: 't', id: 'r-2', status: 'stored' }] });
    await waitFor('the new receipt', () => later.length >= 1);
    expect(later.map((p) => JSON.parse(p) as unknown)).toEqual([{ v: 1, items: [{ kind: 't', id: 'r-2', status: 'stored' }] }]);
    await late.endAsync();
  });

  it('refuses commands and receipts before it started, and stops without having started', async () => {
    const broker = new EmbeddedBroker(service.registry, service.ingest, silentLogger(), service.stats);
    await expect(broker.sendCommand('gw-a', { id: 'c', command: { kind: 'request_health', by: 'test' } })).rejects.toThrow('broker not started');
    await expect(broker.sendReceipt('gw-a', { v: 1, items: [] })).rejects.toThrow('broker not started');
    await expect(broker.stop()).resolves.toBeUndefined();
  });
});
