// The LocalBroker contract (issue 12): what the MQTT driver, the notice and Home Assistant actuators rely
// on from the gateway's local broker, embedded (aedes in the gateway) or external (a mosquitto the site
// names), run against both by tests/gateway/local-broker/contract.test.ts.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalBroker } from '../../gateway/local-broker/local-broker.js';
import { waitFor } from '../helpers/wait.js';

export interface LocalBrokerUnderTest {
  readonly broker: LocalBroker;
  readonly kind: LocalBroker['kind'];
  /** Secrets that must never appear in url(). */
  readonly secrets: readonly string[];
  stop(): Promise<void>;
}

export function localBrokerContract(name: string, start: () => Promise<LocalBrokerUnderTest>): void {
  describe(`local broker contract: ${name}`, () => {
    let under: LocalBrokerUnderTest;
    const clients: MqttClient[] = [];

    beforeAll(async () => {
      under = await start();
    }, 60_000);

    afterAll(async () => {
      for (const client of clients) await client.endAsync(true);
      await under?.stop();
    });

    it('says what it is and where devices connect, without credentials', () => {
      expect(under.broker.kind).toBe(under.kind);
      const url = under.broker.url();
      expect(url).toMatch(/^mqtts?:\/\/[^@/]+(:\d+)?$/);
      for (const secret of under.secrets) expect(url).not.toContain(secret);
    });

    it('hands out clients that connect by themselves, each with its own id naming its purpose', async () => {
      const notice = under.broker.connect('contract-notice');
      const ha = under.broker.connect('contract-ha');
      clients.push(notice, ha);
      await waitFor('both clients connected', () => notice.connected && ha.connected, 20_000);
      expect(notice.options.clientId).toContain('contract-notice');
      expect(ha.options.clientId).toContain('contract-ha');
      expect(notice.options.clientId).not.toBe(ha.options.clientId);
    });

    it('carries a QoS 1 message from one of its clients to another', async () => {
      const publisher = under.broker.connect('contract-pub');
      const subscriber = under.broker.connect('contract-sub');
      clients.push(publisher, subscriber);
      await waitFor('both clients connected', () => publisher.connected && subscriber.connected, 20_000);
      const got: string[] = [];
      subscriber.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
      await subscriber.subscribeAsync('lastmile/notice/contract/#', { qos: 1 });
      await publisher.publishAsync('lastmile/notice/contract/1', '火警 / fire', { qos: 1 });
      await waitFor('the message at the subscriber', () => got.length > 0, 20_000);
      expect(got).toEqual(['lastmile/notice/contract/1 火警 / fire']);
    });
  });
}
