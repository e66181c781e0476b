// The embedded broker under a burst of messages (issue 19, found by bench:fleet at 5,000 gateways): aedes'
// message emitter queues past its concurrency (100 by default) and releases the queue by synchronous
// recursion, one stack frame chain per queued message that completes at once (no subscriber), so a few
// thousand queued messages crashed cloud-ingest with "Maximum call stack size exceeded". The broker runs
// the emitter without that queue; this burst must all be delivered.
import { afterAll, describe, expect, it } from 'vitest';
import type { CloudIngest } from '../../cloud-ingest/service.js';
import { topics } from '../../contract/wire.js';
import type { EmbeddedBroker } from '../../cloud-ingest/ingest/embedded-broker.js';
import { connectGateway, provision, startService, testConfig } from './fixture.js';
import { waitFor } from '../helpers/wait.js';

describe('embedded broker message burst', () => {
  let service: CloudIngest | undefined;
  afterAll(async () => {
    await service?.stop();
  });

  it('delivers a burst of commands, most to gateways with no subscriber, without overflowing the stack', async () => {
    const config = testConfig({});
    const live = provision(config.dataDir, 'gw-a', 'town', 'c1');
    service = await startService(config);
    const gateway = await connectGateway(service.brokerPort, 'gw-a', live.password, { clean: true });
    let received = 0;
    gateway.on('message', () => received++);
    await gateway.subscribeAsync(topics.command('gw-a'), { qos: 1 });
    const broker = service.broker as EmbeddedBroker;
    const message = { type: 'test_alarm', id: 'x' } as never;
    // Deliveries to a subscriber complete later, so they hold the emitter's slots; the messages behind
    // them (no subscriber) complete at once when released.
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) sends.push(broker.sendCommand('gw-a', message));
    for (let i = 0; i < 20_000; i++) sends.push(broker.sendCommand(`gw-none-${i % 50}`, message));
    await Promise.all(sends);
    await waitFor('the 200 commands at gw-a', () => received >= 200);
    expect(received).toBe(200);
    await gateway.endAsync();
  }, 30_000);
});
