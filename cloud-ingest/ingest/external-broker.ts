// Ingest behind an existing broker (Mosquitto, EMQX): this worker subscribes through a shared subscription
// ($share/<group>/...), so several identical workers split the load. The broker authenticates gateways and
// enforces the ACL (see registry/provision.ts for the Mosquitto entries); identity still comes from our
// registry by the topic's gateway id. mqtt.js sends the PUBACK only after `handleMessage` calls back, so
// overriding it holds the acknowledgment until the write succeeded. mqtt.js handles one message at a time
// per connection, so a worker opens several connections in the same share group: their batches meet in
// the writer and go out in one HTTP write.
import { readFileSync } from 'node:fs';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from '../../gateway/shared/logger.js';
import type { Stats } from '../../gateway/shared/stats.js';
import { INGEST_SUBSCRIPTIONS, parseTopic, topics, type CommandMessage } from '../contract.js';
import type { GatewayRegistry } from '../registry/registry.js';
import type { CommandChannel } from './embedded-broker.js';
import type { Ingest } from './ingest.js';

/**
 * Alarm events and gateway status go to every worker (not through the share group): they are few, each
 * worker's board then shows every alarm, and retained status messages are only delivered to ordinary
 * subscriptions. Telemetry and command results are shared. Repeats are dropped by event id per worker.
 */
const EVERY_WORKER = INGEST_SUBSCRIPTIONS.filter((t) => t.endsWith('/a/+') || t.endsWith('/status'));
const SHARED = INGEST_SUBSCRIPTIONS.filter((t) => !EVERY_WORKER.includes(t));

export interface ExternalBrokerOptions {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly clientId: string;
  readonly shareGroup: string;
  /** Connections this worker opens in the share group (messages in flight at once). */
  readonly connections: number;
  readonly caFile?: string;
}

export class ExternalBroker implements CommandChannel {
  private readonly clients: MqttClient[] = [];

  constructor(
    private readonly options: ExternalBrokerOptions,
    private readonly registry: GatewayRegistry,
    private readonly ingest: Ingest,
    private readonly log: Logger,
    private readonly stats: Stats,
  ) {}

  async start(): Promise<void> {
    for (let i = 0; i < this.options.connections; i++) this.clients.push(await this.connect(this.options.connections === 1 ? this.options.clientId : `${this.options.clientId}-${i}`, i === 0));
  }

  private async connect(clientId: string, first: boolean): Promise<MqttClient> {
    const o = this.options;
    const client = mqtt.connect(o.url, {
      clientId,
      username: o.username,
      password: o.password,
      clean: false, // the broker keeps our share of QoS 1 messages while this worker restarts
      reconnectPeriod: 1000,
      ...(o.caFile ? { ca: readFileSync(o.caFile) } : {}),
    });
    client.handleMessage = (packet: IPublishPacket, callback: (error?: Error) => void) => {
      this.onMessage(packet).then(
        () => callback(),
        (error: Error) => {
          this.stats.inc('ingest.handle_failed');
          this.log.error({ topic: packet.topic, err: error.message }, 'ingest failed; message not acknowledged');
          callback(error);
        },
      );
    };
    client.on('error', (error) => this.log.warn({ err: error.message, url: o.url, clientId }, 'broker connection error'));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    const filters = [...SHARED.map((t) => `$share/${o.shareGroup}/${t}`), ...(first ? EVERY_WORKER : [])];
    await client.subscribeAsync(filters, { qos: 1 });
    this.log.info({ url: o.url, clientId, filters }, 'subscribed through shared subscriptions');
    return client;
  }

  private async onMessage(packet: IPublishPacket): Promise<void> {
    const parsed = parseTopic(packet.topic);
    const identity = parsed ? this.registry.identity(parsed.gateway) : undefined;
    if (!identity) {
      this.stats.inc('ingest.unknown_gateway');
      this.log.warn({ topic: packet.topic }, 'message from a gateway not in the registry dropped');
      return;
    }
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    await this.ingest.handle(identity, packet.topic, payload);
  }

  async sendCommand(gateway: string, message: CommandMessage): Promise<void> {
    const client = this.clients[0];
    if (!client) throw new Error('broker not connected');
    await client.publishAsync(topics.command(gateway), JSON.stringify(message), { qos: 1 });
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.endAsync()));
  }
}
