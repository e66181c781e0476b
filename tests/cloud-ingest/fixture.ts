// Shared set-up for cloud-ingest tests: a service on free ports with a temp data dir, provisioned
// gateways, and a simulated gateway (a real mqtt.js client speaking the wire contract).
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { cloudIngestConfig, type CloudIngestConfig } from '../../cloud-ingest/config.js';
import { GatewayRegistry } from '../../cloud-ingest/registry/registry.js';
import { provisionGateway, type ProvisionResult } from '../../cloud-ingest/registry/provision.js';
import { CloudIngest } from '../../cloud-ingest/service.js';
import type { WallClock } from '../../cloud-ingest/alarms/types.js';
import { parseReceipt, topics, type ReceiptItem } from '../../contract/wire.js';
import type { AlarmEvent } from '../../gateway/pipeline/types.js';
import { silentLogger } from '../../contract/logger.js';
import { tempDir } from '../helpers/peers.js';

export function provision(dataDir: string, gateway: string, township: string, compound: string, brokerUrl = 'mqtt://127.0.0.1:1883'): ProvisionResult {
  const registry = new GatewayRegistry(join(dataDir, 'gateways.json')).load();
  return provisionGateway(registry, { gateway, township, compound, brokerUrl });
}

/** Builds a config from partial input (validated by the real schema) with a temp dataDir. */
export function testConfig(input: Record<string, unknown>): CloudIngestConfig {
  return cloudIngestConfig.parse({ version: 1, broker: { type: 'embedded', host: '127.0.0.1', port: 0 }, console: { enabled: false }, dataDir: tempDir('ingest').path, ...input });
}

export async function startService(config: CloudIngestConfig, clock?: WallClock): Promise<CloudIngest> {
  const service = new CloudIngest(config, silentLogger(), clock);
  await service.start();
  return service;
}

export async function connectGateway(port: number, gateway: string, password: string, extra: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: gateway, username: gateway, password, reconnectPeriod: 0, connectTimeout: 5000, ...extra });
}

export function lineBatch(lines: readonly string[]): Buffer {
  return gzipSync(Buffer.from(lines.join('\n')));
}

export async function publishBatch(client: MqttClient, gateway: string, batchId: string, lines: readonly string[]): Promise<void> {
  await client.publishAsync(topics.telemetry(gateway, batchId), lineBatch(lines), { qos: 1 });
}

/**
 * What cloud-ingest has receipted to one simulated gateway (lm/v1/<gateway>/receipt): the contract's
 * "it is in the database". Subscribe before publishing.
 */
export class Receipts {
  readonly items: ReceiptItem[] = [];
  private constructor() {}

  static async watch(client: MqttClient, gateway: string): Promise<Receipts> {
    const receipts = new Receipts();
    client.on('message', (topic, payload) => {
      if (topic !== topics.receipt(gateway)) return;
      const receipt = parseReceipt(payload);
      if (!receipt) throw new Error(`malformed receipt: ${payload.toString('utf8')}`);
      receipts.items.push(...receipt.items);
    });
    await client.subscribeAsync(topics.receipt(gateway), { qos: 1 });
    return receipts;
  }

  for(kind: ReceiptItem['kind'], id: string): ReceiptItem | undefined {
    return this.items.find((i) => i.kind === kind && i.id === id);
  }

  /** Waits (bounded) for the receipt naming this batch or event id. */
  wait(kind: ReceiptItem['kind'], id: string, timeoutMs = 20_000): Promise<ReceiptItem> {
    return waitFor(`receipt for ${kind}/${id}`, () => this.for(kind, id), timeoutMs);
  }
}

/** Publishes a batch as a gateway does: then waits for its receipt (a PUBACK alone means nothing). */
export async function publishBatchReceipted(client: MqttClient, receipts: Receipts, gateway: string, batchId: string, lines: readonly string[]): Promise<ReceiptItem> {
  await publishBatch(client, gateway, batchId, lines);
  return receipts.wait('t', batchId);
}

export function alarmEvent(overrides: Partial<AlarmEvent> & { eventId: string; alarmId: string }): AlarmEvent {
  return {
    transition: 'raise',
    state: 'raised',
    level: 'fire',
    source: 'smoke-1',
    point: 'smoke',
    rule: 'profile:smoke',
    value: true,
    text: { zh: '3号楼2单元烟感报警', en: 'Smoke detected, building 3 unit 2' },
    tags: { building: '3', unit: '2' },
    ts: Date.now(),
    mono: 1000,
    timeSynced: true,
    by: undefined,
    ...overrides,
  };
}

import { waitFor } from '../helpers/wait.js';
export { waitFor };
