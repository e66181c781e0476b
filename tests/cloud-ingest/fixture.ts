// Shared set-up for cloud-ingest tests: a service on free ports with a temp data dir, provisioned
// gateways, and a simulated gateway (a real mqtt.js client speaking the wire contract).
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { cloudIngestConfig, type CloudIngestConfig } from '../../cloud-ingest/config.js';
import { GatewayRegistry } from '../../cloud-ingest/registry/registry.js';
import { provisionGateway, type ProvisionResult } from '../../cloud-ingest/registry/provision.js';
import { CloudIngest } from '../../cloud-ingest/service.js';
import { topics } from '../../cloud-ingest/contract.js';
import type { AlarmEvent } from '../../gateway/pipeline/types.js';
import { silentLogger } from '../../gateway/shared/logger.js';
import { tempDir } from '../helpers/peers.js';

export function provision(dataDir: string, gateway: string, township: string, compound: string, brokerUrl = 'mqtt://127.0.0.1:1883'): ProvisionResult {
  const registry = new GatewayRegistry(join(dataDir, 'gateways.json')).load();
  return provisionGateway(registry, { gateway, township, compound, brokerUrl });
}

/** Builds a config from partial input (validated by the real schema) with a temp dataDir. */
export function testConfig(input: Record<string, unknown>): CloudIngestConfig {
  return cloudIngestConfig.parse({ version: 1, broker: { type: 'embedded', host: '127.0.0.1', port: 0 }, console: { enabled: false }, dataDir: tempDir('ingest').path, ...input });
}

export async function startService(config: CloudIngestConfig): Promise<CloudIngest> {
  const service = new CloudIngest(config, silentLogger());
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

export { waitFor } from '../helpers/wait.js';
