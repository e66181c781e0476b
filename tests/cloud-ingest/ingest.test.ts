// End to end through the embedded broker: a simulated gateway (real mqtt.js client) publishes gzip'd line
// protocol and alarm JSON; the points land in a real VictoriaMetrics with the tags cloud-ingest enforces,
// and every batch and event is answered with a receipt only once it is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { topics } from '../../contract/wire.js';
import type { CloudIngest } from '../../cloud-ingest/service.js';
import { startVictoria, type Victoria } from '../helpers/victoria.js';
import { alarmEvent, connectGateway, provision, publishBatch, publishBatchReceipted, Receipts, startService, testConfig, waitFor } from './fixture.js';

describe('cloud-ingest with the embedded broker into VictoriaMetrics', () => {
  let vm: Victoria;
  let service: CloudIngest;
  let gwA: MqttClient;
  let gwB: MqttClient;
  let receiptsA: Receipts;
  let passwordA = '';
  const now = Date.now();

  beforeAll(async () => {
    vm = await startVictoria();
    const config = testConfig({ influx: { url: vm.url, org: 'o', bucket: 'b' } });
    passwordA = provision(config.dataDir, 'gw-a', 'town-1', 'compound-a').password;
    const passwordB = provision(config.dataDir, 'gw-b', 'town-1', 'compound-b').password;
    service = await startService(config);
    gwA = await connectGateway(service.brokerPort, 'gw-a', passwordA);
    gwB = await connectGateway(service.brokerPort, 'gw-b', passwordB);
    receiptsA = await Receipts.watch(gwA, 'gw-a');
  });

  afterAll(async () => {
    await gwA?.endAsync(true);
    await gwB?.endAsync(true);
    await service?.stop();
    await vm?.stop();
  });

  it('writes valid lines with enforced identity tags, rejects a bad line by number, keeps the rest', async () => {
    const receipt = await publishBatchReceipted(gwA, receiptsA, 'gw-a', 'batch-1', [
      `temperature,source=th-1,building=3,township=spoofed,gateway=gw-b temp=21.5,humidity=40 ${now}`,
      `temperature,source=th-1 temp=oops ${now + 1}`,
      `power,source=meter-1,building=3,floor=2 voltage=229.8,active_power=120i ${now + 2}`,
    ]);
    expect(receipt).toMatchObject({ status: 'stored', reason: expect.stringContaining('line 2') });
    // The receipt means written: the samples are there at once (only VictoriaMetrics' flush is waited for).
    const series = await vm.waitForSamples('{gateway="gw-a"}', 4);
    expect(series.map((s) => s.metric.__name__).sort()).toEqual(['power_active_power', 'power_voltage', 'temperature_humidity', 'temperature_temp']);
    for (const s of series) expect(s.metric).toMatchObject({ township: 'town-1', compound: 'compound-a', gateway: 'gw-a' });
    expect(series.find((s) => s.metric.__name__ === 'temperature_temp')?.values).toEqual([21.5]);
    expect(service.ingest.rejections).toContainEqual(expect.objectContaining({ gateway: 'gw-a', batchId: 'batch-1', line: 2 }));
    expect(service.stats.counter('ingest.line_rejected', { gateway: 'gw-a' })).toBe(1);
  });

  it('drops a repeated batch id even when the content differs', async () => {
    receiptsA.items.length = 0;
    // Answered as stored: it is (the first time); the gateway may free it.
    expect(await publishBatchReceipted(gwA, receiptsA, 'gw-a', 'batch-1', [`temperature,source=th-9 temp=99 ${now + 10}`])).toMatchObject({ status: 'stored' });
    await publishBatchReceipted(gwA, receiptsA, 'gw-a', 'batch-2', [`temperature,source=th-2 temp=18 ${now + 11}`]);
    await vm.waitForSamples('{source="th-2"}', 1);
    expect(await vm.countSamples('{source="th-9"}')).toBe(0);
    expect(service.stats.counter('ingest.duplicate_batch', { gateway: 'gw-a' })).toBe(1);
  });

  it('refuses a gateway publishing under another gateway id (no PUBACK, disconnected, nothing written)', async () => {
    const closed = new Promise<void>((resolve) => gwB.once('close', () => resolve()));
    void publishBatch(gwB, 'gw-a', 'forged-1', [`smoke,source=forged alarm=true ${now}`]).catch(() => undefined);
    await closed;
    expect(service.stats.counter('broker.publish_denied', { gateway: 'gw-b' })).toBe(1);
    await publishBatch(gwA, 'gw-a', 'after-forgery', [`smoke,source=real alarm=false ${now}`]);
    await vm.waitForSamples('{source="real"}', 1);
    expect(await vm.countSamples('{source="forged"}')).toBe(0);
  });

  it('refuses wrong credentials and subscriptions to another gateway\'s commands', async () => {
    await expect(connectGateway(service.brokerPort, 'gw-a', 'wrong-password')).rejects.toThrow(/Bad username or password|Not authorized/i);
    await expect(gwA.subscribeAsync(topics.command('gw-b'), { qos: 1 })).rejects.toThrow(/Subscribe error/);
  });

  it('opens an alarm case from an alarm event and drops the repeated event id', async () => {
    const event = alarmEvent({ eventId: 'ev-1', alarmId: 'smoke-1/smoke' });
    await gwA.publishAsync(topics.alarm('gw-a', 'ev-1'), JSON.stringify(event), { qos: 1 });
    await gwA.publishAsync(topics.alarm('gw-a', 'ev-1'), JSON.stringify(event), { qos: 1 });
    await waitFor('both copies receipted', () => receiptsA.items.filter((i) => i.kind === 'a' && i.id === 'ev-1').length === 2);
    // The broker acknowledges at once; the case appears once the store has committed the event.
    await waitFor('the repeated event id counted', () => service.stats.counter('ingest.duplicate_event', { gateway: 'gw-a' }) === 1);
    const cases = await waitFor('the alarm case', async () => {
      const open = (await service.alarms.listOpen('town-1')).filter((c) => c.gateway === 'gw-a');
      return open.length > 0 && open;
    });
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ township: 'town-1', compound: 'compound-a', level: 'fire', step: 'open' });
    expect((await service.alarms.get(cases[0]!.caseId))!.events).toHaveLength(1);
  });

  it('sends no receipt while the database is down, keeps its connection alive, and receipts every batch once it is back', async () => {
    await vm.stop();
    const ids = Array.from({ length: 5 }, (_, i) => `outage-${i}`);
    for (const [i, id] of ids.entries()) await publishBatch(gwA, 'gw-a', id, [`water_level,source=tank-1 level=${i} ${now + 100 + i}`]);
    await waitFor('write retries against the stopped database', () => service.stats.counter('ingest.write_retry') > 0);
    expect(ids.filter((id) => receiptsA.for('t', id))).toEqual([]);
    // The broker answered at once; the connection is not held hostage by the database.
    expect(gwA.connected).toBe(true);
    vm = await vm.restart();
    for (const id of ids) expect(await receiptsA.wait('t', id)).toMatchObject({ status: 'stored' });
    const series = await vm.waitForSamples('{source="tank-1"}', 5);
    expect(series[0]!.values.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('receipts an alarm event the store can never file (unknown level) as refused, with the reason', async () => {
    const event = { ...alarmEvent({ eventId: 'ev-bad-level', alarmId: 'smoke-1/smoke' }), level: 'apocalypse' };
    await gwA.publishAsync(topics.alarm('gw-a', 'ev-bad-level'), JSON.stringify(event), { qos: 1 });
    expect(await receiptsA.wait('a', 'ev-bad-level')).toMatchObject({ status: 'refused', reason: expect.stringContaining('ev-bad-level') });
  });

  it('receipts a batch that is not gzip as refused, with the reason, so the gateway stops resending it', async () => {
    await gwA.publishAsync(topics.telemetry('gw-a', 'not-gzip'), Buffer.from('plain text'), { qos: 1 });
    expect(await receiptsA.wait('t', 'not-gzip')).toMatchObject({ status: 'refused', reason: expect.stringMatching(/gzip/) });
  });

  it('records the gateway status message for the console', async () => {
    const status = { gateway: 'gw-a', online: true, ts: Date.now(), timeSynced: true, version: '0.1.0', uptimeS: 5, spool: { telemetryBytes: 2048, alarmEvents: 0, dropped: 0, oldestMs: undefined }, sources: { 'th-1': { online: true, lastSeen: Date.now() } } };
    await gwA.publishAsync(topics.status('gw-a'), JSON.stringify(status), { qos: 1, retain: true });
    const seen = await waitFor('status', () => service.ingest.gateways.get('gw-a')?.status);
    expect(seen.spool.telemetryBytes).toBe(2048);
  });
});
