// The township broker contract (issue 12): what a gateway relies on from either of cloud-ingest's broker
// adapters (the embedded aedes broker, or the external cluster client behind mosquitto's share group),
// run against both by tests/cloud-ingest/broker-contract.test.ts. A PUBACK means nothing; a receipt means
// stored; a repeat is receipted and stored once; commands reach the gateway they name and no other.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type CommandMessage } from '../../contract/wire.js';
import type { CloudIngest } from '../../cloud-ingest/service.js';
import { connectGateway, publishBatch, Receipts } from '../cloud-ingest/fixture.js';
import { waitFor } from '../helpers/wait.js';

export interface TownshipUnderTest {
  readonly service: CloudIngest;
  /** Where gateways connect. */
  readonly port: number;
  /** Two provisioned gateways: id → password. */
  readonly gateways: Readonly<Record<'a' | 'b', { id: string; password: string }>>;
  stop(): Promise<void>;
}

export function townshipBrokerContract(name: string, start: () => Promise<TownshipUnderTest>): void {
  describe(`township broker contract: ${name}`, () => {
    let township: TownshipUnderTest;
    let a: MqttClient;
    let b: MqttClient;
    let receiptsA: Receipts;

    beforeAll(async () => {
      township = await start();
      a = await connectGateway(township.port, township.gateways.a.id, township.gateways.a.password, { clean: false });
      b = await connectGateway(township.port, township.gateways.b.id, township.gateways.b.password, { clean: false });
      receiptsA = await Receipts.watch(a, township.gateways.a.id);
    }, 60_000);

    afterAll(async () => {
      await a?.endAsync(true);
      await b?.endAsync(true);
      await township?.stop();
    });

    it('receipts a batch once it is stored, and a repeat of it again without storing it twice', async () => {
      const gw = township.gateways.a.id;
      const line = `temperature,source=th-1 temp=21.5 ${Date.now()}`;
      await publishBatch(a, gw, 'contract-1', [line]);
      expect(await receiptsA.wait('t', 'contract-1')).toMatchObject({ status: 'stored' });
      const before = receiptsA.items.length;
      await publishBatch(a, gw, 'contract-1', [line]);
      await waitFor('the repeat receipted', () => receiptsA.items.length > before, 20_000);
      expect(receiptsA.items.slice(before)).toEqual([expect.objectContaining({ kind: 't', id: 'contract-1', status: 'stored' })]);
      expect(township.service.stats.counter('ingest.batches', { gateway: gw })).toBe(1);
      expect(township.service.stats.counter('ingest.duplicate_batch', { gateway: gw })).toBe(1);
    });

    it('delivers a command to the gateway it names, and to no other', async () => {
      const got: { who: string; topic: string }[] = [];
      for (const [who, client, id] of [['a', a, township.gateways.a.id], ['b', b, township.gateways.b.id]] as const) {
        client.on('message', (topic) => {
          if (topic.endsWith('/cmd')) got.push({ who, topic });
        });
        await client.subscribeAsync(topics.command(id), { qos: 1 });
      }
      const command: CommandMessage = { id: 'contract-cmd-1', command: { kind: 'request_health', by: 'contract' } };
      await township.service.broker.sendCommand(township.gateways.a.id, command);
      await waitFor('the command at gateway a', () => got.some((g) => g.who === 'a'), 20_000);
      expect(got).toEqual([{ who: 'a', topic: topics.command(township.gateways.a.id) }]);
    });

    it('lets no gateway read another gateway\'s receipts or commands', async () => {
      const other = township.gateways.a.id;
      const seenByB: string[] = [];
      const seenByA: string[] = [];
      b.on('message', (topic) => {
        if (topic.startsWith(`lm/v1/${other}/`)) seenByB.push(topic);
      });
      a.on('message', (topic, payload) => {
        if (topic === topics.command(other)) seenByA.push(payload.toString());
      });
      // Refused outright (SUBACK 0x80) or granted and never delivered: either way b must see nothing.
      await b.subscribeAsync([topics.receipt(other), topics.command(other)], { qos: 1 }).catch(() => undefined);
      await publishBatch(a, other, 'contract-2', [`temperature,source=th-1 temp=22 ${Date.now()}`]);
      await receiptsA.wait('t', 'contract-2');
      await township.service.broker.sendCommand(other, { id: 'contract-cmd-2', command: { kind: 'request_health', by: 'contract' } });
      // The same broker delivered both to a; a copy for b would have gone out with them.
      await waitFor('gateway a to get the second command', () => seenByA.some((p) => p.includes('contract-cmd-2')), 20_000);
      expect(seenByB).toEqual([]);
    });
  });
}
