// The embedded broker does not forward a gateway's own messages (issue 19): they end in Ingest, and no
// client may subscribe to them, so aedes' publish pipeline (a packet copy, two subscription matches, its
// 'publish' event) is skipped for them. A batch at QoS 1 and one at QoS 0 are still acknowledged,
// stored and receipted, a burst in one socket read is all handled, and the broker's own publishes
// (receipts) still go through aedes.
import { afterAll, describe, expect, it } from 'vitest';
import type { Aedes } from 'aedes';
import type { CloudIngest } from '../../cloud-ingest/service.js';
import { topics } from '../../contract/wire.js';
import { connectGateway, lineBatch, provision, Receipts, startService, testConfig } from './fixture.js';

describe('embedded broker forwarding', () => {
  let service: CloudIngest | undefined;
  afterAll(async () => {
    await service?.stop();
  });

  it('hands gateway messages to Ingest without publishing them on, and still publishes receipts', async () => {
    const config = testConfig({});
    const live = provision(config.dataDir, 'gw-a', 'town', 'c1');
    service = await startService(config);
    const aedes = (service.broker as unknown as { broker: Aedes }).broker;
    const published: string[] = [];
    aedes.on('publish', (packet) => published.push(packet.topic));
    const gateway = await connectGateway(service.brokerPort, 'gw-a', live.password, { clean: true });
    const receipts = await Receipts.watch(gateway, 'gw-a');
    const now = Date.now();
    await gateway.publishAsync(topics.telemetry('gw-a', 'b-q1'), lineBatch([`power,source=m1 v=1 ${now}`]), { qos: 1 });
    await gateway.publishAsync(topics.telemetry('gw-a', 'b-q0'), lineBatch([`power,source=m1 v=2 ${now + 1}`]), { qos: 0 });
    // Several in one socket read (fewer than admission.maxPendingPerGateway): each is handled.
    await Promise.all(Array.from({ length: 12 }, (_, i) => gateway.publishAsync(topics.telemetry('gw-a', `b-burst-${i}`), lineBatch([`power,source=m${i} v=${i} ${now + 2 + i}`]), { qos: 1 })));
    for (const id of ['b-q1', 'b-q0', ...Array.from({ length: 12 }, (_, i) => `b-burst-${i}`)]) expect(await receipts.wait('t', id)).toMatchObject({ status: 'stored' });
    expect(published.filter((t) => t.startsWith('lm/v1/gw-a/t/'))).toEqual([]);
    expect(published.filter((t) => t === topics.receipt('gw-a')).length).toBeGreaterThan(0);
    await gateway.endAsync();
  }, 30_000);
});
